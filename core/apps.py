from django.apps import AppConfig
from django.tasks import TaskResultStatus
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.urls import register_converter

from . import logs, metrics


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared infrastructure"

    def ready(self):
        from .ids import IdConverter

        # Before any URLconf is read: rooms, files and realtime routes say <id:pk>.
        register_converter(IdConverter, "id")
        # Background tasks, wherever they are queued and run (web, worker).
        task_enqueued.connect(_task_queued, dispatch_uid="core.task_queued")
        task_started.connect(_task_started, dispatch_uid="core.task_started")
        task_finished.connect(_task_finished, dispatch_uid="core.task_finished")


def _task_queued(sender, task_result, **kwargs):
    metrics.task_queued(task_result.task.module_path)


def _task_started(sender, task_result, **kwargs):
    # The task's own lines carry its id (the worker runs one task at a time).
    logs.bind(task_id=str(task_result.id))


def _task_finished(sender, task_result, **kwargs):
    if task_result.status == TaskResultStatus.FAILED:
        metrics.task_failed(task_result.task.module_path)
    logs.bind(task_id=None)
