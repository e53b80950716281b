"""A pytest plugin (pytest.ini: -p project.pytest_env) giving test runs the
environment of local development: DEBUG on, hence the development SECRET_KEY.

DEBUG defaults to off, and off it needs a SECRET_KEY and redirects every
request to HTTPS. A trial's local.env is left alone. The plugin is loaded before pytest-django reads the
settings; a DEBUG or SECRET_KEY already in the environment wins. Servers the
suites start (e2e, bench) inherit it; the deploy tests set their own.
"""

import os

os.environ.setdefault("DEBUG", "true")
# A checkout where `make run` ran has a local.env (project/local_env.py): the
# suites, and the servers they start, do not read it.
os.environ.setdefault("CHAT_LOCAL_ENV", "")
