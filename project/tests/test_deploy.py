"""Production settings, as a Heroku-style platform sets them."""

import json
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.module_loading import import_string
from whitenoise.storage import CompressedManifestStaticFilesStorage

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "chat.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
    "DATABASE_URL": "postgres://user:pass@db.example.com:5432/chat",
    "REDIS_URL": "rediss://:secret@redis.example.com:6380/0",
}


def manage(*args, **env):
    """manage.py in a process of its own; a variable given as None is unset."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={name: value for name, value in environment.items() if value is not None},
    )


def settings_value(expression, **env):
    result = manage("shell", "-v", "0", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_checks_csrf_with_a_secure_cookie():
    """What Django's silenced deploy check (security.W003, and W016 with it) would say."""
    assert settings_value("'core.csrf.CsrfViewMiddleware' in settings.MIDDLEWARE", **PRODUCTION) == "True"
    assert settings_value("settings.CSRF_COOKIE_SECURE", **PRODUCTION) == "True"


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_rediss_accepts_a_self_signed_certificate_everywhere():
    layer = settings_value("settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['ssl_cert_reqs']", **PRODUCTION)
    cache = settings_value("settings.CACHES['default']['OPTIONS']['ssl_cert_reqs']", **PRODUCTION)
    assert layer == cache == "None"
    verified = settings_value(
        "settings.REDIS_OPTIONS.get('ssl_cert_reqs', 'verify')", **{**PRODUCTION, "REDIS_SSL_VERIFY": "true"}
    )
    assert verified == "verify"


def test_production_serves_hashed_compressed_static_files_and_checks_db_connections():
    backend = settings_value("settings.STORAGES['staticfiles']['BACKEND']", **PRODUCTION)
    assert backend == "core.storage.ModuleAwareStaticFilesStorage"
    assert issubclass(import_string(backend), CompressedManifestStaticFilesStorage)
    assert settings_value("settings.DATABASES['default']['CONN_HEALTH_CHECKS']", **PRODUCTION) == "True"


def test_production_pools_postgresql_connections_and_keeps_them_without_the_pool():
    pooled = "(settings.DATABASES['default']['OPTIONS'].get('pool'), settings.DATABASES['default']['CONN_MAX_AGE'])"
    # The pool keeps the connections: a CONN_MAX_AGE left from before is not in its way.
    assert settings_value(pooled, **{**PRODUCTION, "CONN_MAX_AGE": "60"}) == (
        "({'min_size': 2, 'max_size': 10, 'timeout': 10}, 0)"
    )
    assert settings_value(pooled, **{**PRODUCTION, "DATABASE_POOL_MIN_SIZE": "1", "DATABASE_POOL_MAX_SIZE": "4"}) == (
        "({'min_size': 1, 'max_size': 4, 'timeout': 10}, 0)"
    )
    assert settings_value(pooled, **{**PRODUCTION, "CONN_MAX_AGE": "60", "DATABASE_POOL_MAX_SIZE": "0"}) == (
        "(None, 60)"
    )
    assert settings_value(pooled, **{**PRODUCTION, "DATABASE_URL": "sqlite:///chat.sqlite3"}) == "(None, 0)"


def test_a_pool_smaller_than_its_minimum_stops_the_process_with_the_reason():
    result = manage("check", **{**PRODUCTION, "DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "3"})
    assert result.returncode != 0
    assert "DATABASE_POOL_MIN_SIZE (5) must be between 0 and DATABASE_POOL_MAX_SIZE (3)" in result.stderr


COLLECT = """
from django.core.management import call_command
from django.test import override_settings
with override_settings(STATIC_ROOT={root!r}):
    call_command("collectstatic", interactive=False, verbosity=0)
"""
# A static import between the page's modules: `import ... from "./x.js"`.
MODULE_IMPORT = re.compile(r"""\bfrom\s*["'](\.{1,2}/[^"']+)["']""")


def test_production_modules_import_each_other_by_their_hashed_names(tmp_path):
    result = manage("shell", "-v", "0", "-c", COLLECT.format(root=str(tmp_path)), **PRODUCTION)
    assert result.returncode == 0, result.stderr
    hashed = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    modules = {hashed[name] for name in hashed if re.fullmatch(r"frontend/[\w-]+\.js", name)}
    entries = [hashed[name] for name in hashed if re.fullmatch(r"frontend/[\w-]+-page\.js", name)]
    assert hashed["frontend/room-page.js"] in entries and hashed["frontend/room-list-page.js"] in entries
    # base.html loads these on every page, beside the page's own entry.
    entries += [hashed["frontend/search-shortcut.js"], hashed["frontend/service-worker-registration.js"]]
    reached, todo = set(), list(entries)
    while todo:
        module = todo.pop()
        if module in reached:
            continue
        reached.add(module)
        for specifier in MODULE_IMPORT.findall((tmp_path / module).read_text()):
            imported = posixpath.normpath(posixpath.join(posixpath.dirname(module), specifier))
            assert imported in modules, f"{module} imports {specifier}, which is not a hashed module"
            todo.append(imported)
    # Every module is reached from a page's entry, each by its hashed name.
    assert reached == modules


def test_a_bad_redis_url_is_a_clear_error():
    result = manage("check", REDIS_URL="http://redis.example.com")
    assert result.returncode != 0
    assert "REDIS_URL must start with redis:// or rediss://" in result.stderr


def test_debug_is_off_unless_asked_for_so_a_bare_start_needs_a_secret_key():
    result = manage("check", DEBUG=None, SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert settings_value("settings.DEBUG", DEBUG=None, SECRET_KEY="k" * 50) == "False"


def test_old_secret_keys_can_be_kept_as_fallbacks_while_rotating():
    value = settings_value("settings.SECRET_KEY_FALLBACKS", **PRODUCTION, SECRET_KEY_FALLBACKS="old-key-1,old-key-2")
    assert value == "['old-key-1', 'old-key-2']"


def test_procfile_checks_the_deploy_then_migrates_on_release_and_serves_daphne_on_port():
    procfile = (ROOT / "Procfile").read_text()
    assert (
        "release: python manage.py check --deploy --fail-level WARNING && python manage.py migrate --no-input"
        in procfile
    )
    # Proxy headers are the app's to trust (TRUST_PROXY_HEADERS): daphne's
    # --proxy-headers would believe the client's own X-Forwarded-For entry.
    # Every interface by default, as a platform's router expects; BIND_ADDRESS
    # narrows it (the Procfile test binds 127.0.0.1). --verbosity 0: the app
    # writes the access log (chat.access), in LOG_FORMAT's format; daphne's
    # own would not be JSON.
    assert "web: daphne --bind ${BIND_ADDRESS:-0.0.0.0} --port $PORT --verbosity 0 project.asgi:application" in procfile


def test_the_release_check_fails_on_any_deploy_warning():
    # DEBUG on in production is one such warning: the release stops there.
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_proxy_headers_are_trusted_only_when_configured():
    assert settings_value("getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)", **PRODUCTION) == "None"
    trusted = {**PRODUCTION, "TRUST_PROXY_HEADERS": "true"}
    assert settings_value("settings.SECURE_PROXY_SSL_HEADER", **trusted) == "('HTTP_X_FORWARDED_PROTO', 'https')"
    result = manage("check", "--deploy", "--fail-level", "WARNING", **trusted)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_signup_policy_is_a_clear_error():
    result = manage("check", CHAT_SIGNUP="everyone")
    assert result.returncode != 0
    assert "CHAT_SIGNUP must be invite, open or closed" in result.stderr


ROUND_TRIP = """
import asyncio
from django.core.cache import cache
from core.health import _channel_layer
from realtime import presence

async def main():
    await _channel_layer()
    await presence.backend().join(1, [("socket-1", "alice")])
    print("people", await presence.backend().people(1))

asyncio.run(main())
cache.set("tls-check", "ok")
print("cache", cache.get("tls-check"))
"""


@pytest.mark.redis
def test_rediss_with_a_self_signed_certificate_works(tls_redis_url):
    result = manage("shell", "-v", "0", "-c", ROUND_TRIP, REDIS_URL=tls_redis_url)
    assert result.returncode == 0, result.stderr
    assert "people ['alice']" in result.stdout and "cache ok" in result.stdout
    refused = manage("shell", "-v", "0", "-c", ROUND_TRIP, REDIS_URL=tls_redis_url, REDIS_SSL_VERIFY="true")
    assert refused.returncode != 0 and "certificate verify failed" in refused.stderr
