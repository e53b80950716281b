from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime delivery"

    def ready(self):
        from . import signals  # noqa: F401
