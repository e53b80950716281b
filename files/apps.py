from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files and images"

    def ready(self):
        from . import signals  # noqa: F401
