"""Background work: django.tasks on django-tasks-db's database queue, and
the retry policy it lacks.

Neither django.tasks nor django-tasks-db retries a task that raised: the
attempt is recorded as FAILED (with its traceback in the admin at
/admin/django_tasks_database/dbtaskresult/, filter "Failed") and that is all. `retrying_task` adds it on top: a failed
attempt re-enqueues the same task with the same arguments, `attempt` one
higher, to run after an exponentially growing delay with jitter, then
re-raises so the failure stays visible. After `retries` retries it stops.
Each attempt is its own row in the admin, its `attempt` in its arguments.

A task that must not be retried (the failure is final: a refused URL, a
deleted row) raises `GiveUp`.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)


class GiveUp(Exception):
    """A failure that retrying cannot mend."""


def backoff_seconds(attempt):
    """Delay before attempt `attempt + 1`: BASE * 2^(attempt-1), +-20% jitter
    so retries of many tasks that failed together do not land together."""
    base = settings.CHAT_TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return base * random.uniform(0.8, 1.2)


def retrying_task(retries=3, **task_options):
    """@retrying_task(retries=3): like @task, with `retries` retries with backoff.

    The function is called as func(*args, attempt=N, **kwargs), N from 1.
    """

    def decorate(func):
        def run(context, *args, attempt=1, **kwargs):
            try:
                return func(*args, attempt=attempt, **kwargs)
            except GiveUp:
                raise
            except Exception:
                if attempt <= retries:
                    delay = backoff_seconds(attempt)
                    later = context.task_result.task.using(run_after=timezone.now() + timedelta(seconds=delay))
                    later.enqueue(*args, attempt=attempt + 1, **kwargs)
                    logger.warning("%s attempt %d failed; retrying in %.1f s", func.__name__, attempt, delay)
                else:
                    logger.error("%s failed %d times; giving up", func.__name__, attempt)
                raise

        # Named as the function (a task is found again by its module path);
        # not functools.wraps: its __wrapped__ would hide `context` from the signature check.
        run.__name__, run.__qualname__, run.__module__, run.__doc__ = (
            func.__name__,
            func.__qualname__,
            func.__module__,
            func.__doc__,
        )
        return task(takes_context=True, **task_options)(run)

    return decorate
