"""Users, sessions and rooms for the load generator, made with the Django ORM
on the same database the servers use.

Each account gets one real session (what a login through the form creates:
SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY), and its sockets carry
that session's cookie, like tabs of one browser. The signing key and the
session hash depend on SECRET_KEY, so this process must run with the
servers' settings (see run.server_env).
"""

import os


def setup_django(env):
    """Configure Django in this process with the servers' environment, migrate once."""
    for key in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "LOG_LEVEL",
    ):
        if key in env:
            os.environ[key] = env[key]
    import django
    from django.core.management import call_command

    # This process makes a few rows and stops: no pool, which would also try
    # to refill itself from a database the run drops at its end. Only while
    # the settings are read. (The parts run after the fan-out get the environment
    # the run started with: bench/run.py's main.)
    pool = os.environ.get("DATABASE_POOL_MAX_SIZE")
    os.environ["DATABASE_POOL_MAX_SIZE"] = "0"
    try:
        django.setup()
    finally:
        if pool is None:
            del os.environ["DATABASE_POOL_MAX_SIZE"]
        else:
            os.environ["DATABASE_POOL_MAX_SIZE"] = pool
    call_command("migrate", verbosity=0, interactive=False)


def make_accounts(count, prefix="bench"):
    """`count` users with one signed-in session each; returns [(username, cookie header)]."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    User = get_user_model()
    users = []
    for i in range(count):
        username = f"{prefix}-{i:03d}"
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    accounts = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        accounts.append((user.get_username(), f"{settings.SESSION_COOKIE_NAME}={session.session_key}"))
    return accounts


def make_rooms(count, prefix="bench-idle"):
    """`count` public rooms; returns their slugs."""
    from rooms.models import Room

    slugs = []
    for i in range(count):
        slug = f"{prefix}-{i:03d}"
        Room.objects.get_or_create(slug=slug, defaults={"name": slug})
        slugs.append(slug)
    return slugs


def close_connections():
    from django.db import connections

    connections.close_all()


def main():
    """python -m bench.accounts COUNT: in the environment's database (migrated
    first), COUNT accounts as make_accounts makes them, printed as JSON
    [[username, cookie header], ...]. For a second database than the one
    the benchmark's own process is set up for (the SQLite comparison)."""
    import json
    import sys

    setup_django(os.environ)
    print(json.dumps(make_accounts(int(sys.argv[1]))))
    close_connections()


if __name__ == "__main__":
    main()
