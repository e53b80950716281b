"""The retry policy on top of django.tasks: backoff, a bounded number of
attempts, each failure visible as a failed task result."""

import pytest
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from core.tasks import GiveUp, backoff_seconds, retrying_task

CALLS = []


@retrying_task(retries=2)
def flaky(name, fail_times, attempt=1):
    CALLS.append((name, attempt))
    if attempt <= fail_times:
        raise ConnectionError(f"attempt {attempt} failed")
    return f"{name} done on attempt {attempt}"


@retrying_task(retries=5)
def hopeless(attempt=1):
    CALLS.append(("hopeless", attempt))
    raise GiveUp("nothing to retry")


@task
def plain():
    return "ok"


@pytest.fixture(autouse=True)
def calls(db):
    CALLS.clear()
    return CALLS


def test_a_failing_task_is_retried_later_until_it_succeeds(run_tasks, django_capture_on_commit_callbacks):
    flaky.enqueue("deploy", fail_times=2)
    run_tasks()
    assert CALLS == [("deploy", 1)]  # the retry waits for its backoff
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > DBTaskResult.objects.get(status="FAILED").finished_at
    run_tasks(later=True)
    run_tasks(later=True)
    assert CALLS == [("deploy", 1), ("deploy", 2), ("deploy", 3)]
    assert DBTaskResult.objects.filter(status="FAILED").count() == 2
    assert DBTaskResult.objects.get(status="SUCCESSFUL").return_value == "deploy done on attempt 3"


def test_retries_stop_after_the_limit_and_every_failure_stays_visible(run_tasks):
    flaky.enqueue("never", fail_times=99)
    for _ in range(5):
        run_tasks(later=True)
    assert CALLS == [("never", 1), ("never", 2), ("never", 3)]  # 1 + 2 retries
    failed = DBTaskResult.objects.filter(status="FAILED")
    assert failed.count() == 3
    assert all("ConnectionError" in result.exception_class_path for result in failed)
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_give_up_is_not_retried(run_tasks):
    hopeless.enqueue()
    run_tasks(later=True)
    run_tasks(later=True)
    assert CALLS == [("hopeless", 1)]


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.CHAT_TASK_RETRY_BASE_SECONDS = 10
    for attempt, base in [(1, 10), (2, 20), (3, 40)]:
        assert base * 0.8 <= backoff_seconds(attempt) <= base * 1.2


def test_failed_tasks_are_listed_in_the_admin(admin_client, run_tasks):
    flaky.enqueue("admin", fail_times=99)
    run_tasks()
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED").content.decode()
    assert "flaky" in page and "Failed" in page
