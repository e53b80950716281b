"""project.asgi:application, with every SQL statement the process runs
appended to the file BENCH_QUERY_LOG as one line: the thread's name, a tab,
the statement (parameters are separate in Django, so equal statements read
alike). The posting part of the benchmark (bench/posts.py) counts the lines
each message adds; the product has no such hook.

Every connection of every thread gets the wrapper when it is made (with the
pool: each time a thread takes one), through Django's connection_created.
Writing a line costs a few µs, next to the statement's round trip.
"""

import os
import threading

from django.db.backends.signals import connection_created

from project.asgi import application  # noqa: F401 - what the server serves

_lock = threading.Lock()
# Open for the life of the server process, one line flushed per statement.
_log = open(os.environ["BENCH_QUERY_LOG"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115


def log_statement(execute, sql, params, many, context):
    with _lock:
        _log.write(f"{threading.current_thread().name}\t{' '.join(str(sql).split())}\n")
    return execute(sql, params, many, context)


def _wrap(sender, connection, **kwargs):
    if log_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(log_statement)


connection_created.connect(_wrap, weak=False)
