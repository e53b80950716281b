"""What GET /metrics reports (docs/monitoring.md), in Prometheus' text format.

Each process counts in its own memory; with PROMETHEUS_MULTIPROC_DIR set
(read by prometheus-client when it is first imported), every process
counts in files of that directory instead, and /metrics in any web process
adds up all the processes of the host: several web processes and the task
worker. The open sockets gauge counts live processes only ('livesum'): a
process that exits cleanly removes its files, and one that died is
forgotten at the next scrape (its pid is gone). The directory belongs to
the processes of one host (one pid namespace) and starts empty with each
deploy; docs/monitoring.md says how.

The metrics are counted where the work is done, by one call each: the hub
(sockets, deliveries), the page sockets (refused frames, catch-ups), the
broadcast of a new message (messages posted), django.tasks' signals
(core/apps.py) and the request middleware (core/middleware.py).
"""

import atexit
import glob
import os
import re
import time

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    # prometheus-client opens its files there as the metrics below are made.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# Seconds: live delivery is tens of milliseconds (the coalescing window is
# 50 ms), a page or an API call a few hundred at most.
DELIVERY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

OPEN_SOCKETS = Gauge(
    "chat_open_sockets",
    "WebSockets of signed-in pages open now (rooms, conversations, the room list).",
    multiprocess_mode="livesum",
)
MESSAGES_POSTED = Counter("chat_messages_posted", "Messages saved, from pages, uploads, bots and webhook answers.")
LIVE_DELIVERIES = Counter(
    "chat_live_deliveries", "Frames holding new messages written to open sockets (one per socket and frame)."
)
DELIVERY_LATENCY = Histogram(
    "chat_delivery_latency_seconds",
    "From a message's commit until a server process has written it to every one of its sockets in the room.",
    buckets=DELIVERY_BUCKETS,
)
FRAMES_REFUSED = Counter(
    "chat_frames_refused", "WebSocket frames refused with an error fragment, by reason.", ["reason"]
)
CATCH_UPS = Counter(
    "chat_catch_ups", "Catch-ups asked for by reconnecting pages: sent, or too far behind (told to reload).", ["result"]
)
TASKS_QUEUED = Counter("chat_tasks_queued", "Background tasks queued, by task.", ["task"])
TASKS_FAILED = Counter("chat_tasks_failed", "Background task attempts that failed, by task.", ["task"])
HTTP_LATENCY = Histogram(
    "chat_http_request_duration_seconds",
    "Time to answer an HTTP request (until its response starts), by view.",
    ["method", "view", "status"],
    buckets=HTTP_BUCKETS,
)

# Why a frame is refused; the label's only values.
MALFORMED = "malformed"  # not a frame the page can send here (not JSON, unknown kind, bad field)
OVER_BUDGET = "over_budget"  # more frames of its kind than the user's budget allows
FLOOD = "flood"  # more messages than flood control allows
INVALID = "invalid"  # text or content the model layer refuses
NOT_ALLOWED = "not_allowed"  # signed out, not a member, archived room, another's message
UNAVAILABLE = "unavailable"  # the database or Redis failed while handling it

SENT, TOO_FAR_BEHIND = "sent", "too_far_behind"


def sockets_open(count):
    """This process's hub holds `count` sockets now."""
    OPEN_SOCKETS.set(count)


def message_posted():
    """A message was committed; returns the time its deliveries are measured from."""
    MESSAGES_POSTED.inc()
    return time.time()


def delivered(posted_at, sockets):
    """A frame holding the messages committed at `posted_at` (wall-clock
    times: the commit may have happened in another process) was written to
    `sockets` sockets of this process."""
    if sockets:
        LIVE_DELIVERIES.inc(sockets)
    now = time.time()
    for committed in posted_at:
        DELIVERY_LATENCY.observe(max(0.0, now - committed))


def frame_refused(reason):
    FRAMES_REFUSED.labels(reason).inc()


def catch_up(result):
    CATCH_UPS.labels(result).inc()


def task_queued(task_path):
    TASKS_QUEUED.labels(task_path).inc()


def task_failed(task_path):
    TASKS_FAILED.labels(task_path).inc()


def request_answered(method, view, status, seconds):
    HTTP_LATENCY.labels(method, view, str(status)).observe(seconds)


# --- exposition --------------------------------------------------------------------------

LIVE_FILE = re.compile(r"^gauge_live\w+?_(\d+)\.db$")


def _forget_dead_processes():
    """Drop the live gauges of processes that died without cleaning up (killed,
    crashed): their sockets are closed. Counters stay: what was counted was done."""
    for path in glob.glob(os.path.join(MULTIPROC_DIR, "gauge_live*.db")):
        match = LIVE_FILE.match(os.path.basename(path))
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), MULTIPROC_DIR)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def exposition():
    """(body, content type) of every process's metrics, or this one's alone."""
    if not MULTIPROC_DIR:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    _forget_dead_processes()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, MULTIPROC_DIR)
    return generate_latest(registry), CONTENT_TYPE_LATEST


if MULTIPROC_DIR:
    # A process that exits cleanly takes its sockets out of the gauge at once.
    atexit.register(multiprocess.mark_process_dead, os.getpid(), MULTIPROC_DIR)
