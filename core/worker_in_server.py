"""The task worker inside the server process (CHAT_TASKS_IN_SERVER): for a
trial on one machine without Redis, which `make run` sets up so.

In production the worker is a process of its own (`manage.py db_worker`,
the Procfile's worker:), and what its tasks broadcast (a bot's answer)
reaches the server's open pages through Redis, the channel layer all the
processes share. Without Redis each process has an in-memory layer of its
own, and a worker process's broadcasts would reach nobody. Here the same
worker loop (django-tasks-db's Worker, as db_worker runs it) runs in a
thread of the server, started once daphne's reactor runs and told to stop
when it stops.

The thread is entered through asgiref's sync_to_async, so the
async_to_sync calls of a task's broadcast run on the server's own event
loop, where the in-memory layer and the sockets live; a thread with a loop
of its own would put messages in another loop's queues, whose readers
would not wake up. It is a daemon thread: neither the server nor
runserver's autoreloader waits for it to finish a poll before exiting.
"""

import asyncio
import concurrent.futures
import logging
import sys
import threading

from asgiref.sync import SyncToAsync
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

# How often the queue is looked at while it is empty (db_worker's default).
POLL_SECONDS = 1

# The running loop's task, kept so that it is not collected.
_running = set()


class DaemonThreads(concurrent.futures.Executor):
    """Runs each call in a daemon thread of its own."""

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()

        def run():
            if not future.set_running_or_notify_cancel():
                return
            # As concurrent.futures' own pools: whatever the call raises, the
            # future carries it to whoever waits on it.
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:  # noqa: BLE001
                future.set_exception(error)

        threading.Thread(target=run, name="tasks-in-server", daemon=True).start()
        return future


def start():
    """Runs the tasks of every queue in this process while daphne serves."""
    if "twisted.internet.reactor" not in sys.modules:
        raise ImproperlyConfigured(
            "CHAT_TASKS_IN_SERVER runs tasks in daphne's process: serve with daphne or runserver."
        )
    from twisted.internet import reactor

    worker = Worker(
        queue_names=["*"],
        interval=POLL_SECONDS,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )

    def begin():
        task = asyncio.ensure_future(SyncToAsync(worker.run, thread_sensitive=False, executor=DaemonThreads())())
        _running.add(task)
        task.add_done_callback(ended)

    def ended(task):
        _running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("The tasks in the server stopped", exc_info=task.exception())

    def stop():
        worker.running = False

    reactor.callWhenRunning(begin)
    reactor.addSystemEventTrigger("before", "shutdown", stop)
