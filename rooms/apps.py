from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Chat rooms"

    def ready(self):
        from . import signals  # noqa: F401
