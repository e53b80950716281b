"""Fixtures shared by the unit suite and the e2e suite: a real Redis server."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

IN_CI = os.environ.get("CI") == "true"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def missing(what):
    """A missing service fails the run in CI and skips locally."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: nothing is skipped for a missing service)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set (it must answer), else a private redis-server on a free port."""
    import redis

    url = os.environ.get("REDIS_URL")
    if url:
        try:
            redis.Redis.from_url(url, socket_timeout=2).ping()
        except redis.RedisError as error:
            pytest.fail(f"REDIS_URL={url} does not answer: {error}", pytrace=False)
        yield url
        return
    binary = shutil.which("redis-server")
    if not binary:
        missing("redis-server is not installed (apt-get install redis-server) and REDIS_URL is unset")
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )
        try:
            if not wait_for_port(port, 10):
                pytest.fail("the private redis-server did not start within 10 s", pytrace=False)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
