from django.apps import AppConfig
from django.urls import register_converter


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared infrastructure"

    def ready(self):
        from .ids import IdConverter

        # Before any URLconf is read: rooms, files and realtime routes say <id:pk>.
        register_converter(IdConverter, "id")
