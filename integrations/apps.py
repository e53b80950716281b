from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Bots and webhooks"

    def ready(self):
        from . import signals  # noqa: F401
