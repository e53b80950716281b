from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "transfer"
    verbose_name = "Moving history in and out"

    def ready(self):
        from . import signals  # noqa: F401
