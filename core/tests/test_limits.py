"""The sliding window every limit counts on (messages, reactions, frames),
the same in memory and on Redis, from a thread and from the event loop."""

from types import SimpleNamespace

import pytest

from core import limits

WINDOW = 60
LIMIT = 2


@pytest.fixture(params=["memory", "redis"])
def backend(request, settings):
    """The cache limits count on; on Redis under a key prefix of its own."""
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        from django.core.cache import cache

        cache.clear()  # every LocMemCache of the process shares one store
    return request.param


@pytest.fixture
def clock(monkeypatch):
    """The limits' clock, at the start of a window."""
    now = [WINDOW * 30_000_000]
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture(params=["thread", "event loop"])
def hit(request, backend):
    """One hit, counted the way a request (allow) or a socket frame (allow_soon) counts it."""
    if request.param == "thread":
        return lambda name: limits.allow(name, LIMIT, WINDOW)
    from asgiref.sync import async_to_sync

    return lambda name: async_to_sync(limits.allow_soon)(name, LIMIT, WINDOW)


def test_a_burst_split_by_a_window_boundary_is_still_refused(hit, clock):
    clock[0] += 59
    assert hit("burst") and hit("burst")
    clock[0] += 2  # one second into the next window
    assert not hit("burst")
    clock[0] += 58  # the burst is most of a window ago
    assert hit("burst")


def test_refused_hits_do_not_prolong_the_wait(hit, clock):
    assert hit("eager") and hit("eager")
    assert not any(hit("eager") for _ in range(5))
    clock[0] += WINDOW * 1.5  # the sliding window holds half of the first one: 1 of 2
    assert hit("eager")
    assert not hit("eager")


def test_exhausted_reads_what_allow_counted_and_counts_nothing(hit, clock):
    assert not limits.exhausted("counted", LIMIT, WINDOW)
    hit("counted")
    assert not limits.exhausted("counted", LIMIT, WINDOW)
    hit("counted")
    assert limits.exhausted("counted", LIMIT, WINDOW)
    assert limits.exhausted("counted", LIMIT, WINDOW)  # asking twice spent nothing
    assert not hit("counted")


def test_each_name_has_its_own_allowance(hit, clock):
    assert hit("alice") and hit("alice") and not hit("alice")
    assert hit("bob")


def test_no_limit_when_the_limit_or_window_is_zero(backend, clock):
    assert all(limits.allow("free", 0, WINDOW) for _ in range(5))
    assert all(limits.allow("free", LIMIT, 0) for _ in range(5))
