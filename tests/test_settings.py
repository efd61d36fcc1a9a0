"""Settings come from the environment; the planning clock is one function."""
import datetime as dt
import os
import subprocess
import sys

from core.clock import today


def _settings_in_subprocess(env: dict, expr: str) -> subprocess.CompletedProcess:
    configured = {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "LANGUAGE_CODE",
                  "TIME_ZONE", "MERGEPLAN_TODAY", "MERGEPLAN_VAR_DIR"}
    clean = {k: v for k, v in os.environ.items() if k not in configured}
    code = f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='mergeplan.settings'; django.setup(); " \
           f"from django.conf import settings; print(repr(({expr},)))"
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True)


def test_secret_key_is_required_unless_debug():
    result = _settings_in_subprocess({"DJANGO_DEBUG": "0"}, "settings.SECRET_KEY")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _settings_in_subprocess({"DJANGO_DEBUG": "0", "SECRET_KEY": "s3cret"}, "settings.SECRET_KEY")
    assert result.stdout.strip() == repr(("s3cret",))


def test_embedded_defaults_and_environment(tmp_path):
    expr = "settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, settings.LANGUAGE_CODE, settings.TIME_ZONE"
    result = _settings_in_subprocess({"DJANGO_DEBUG": "1", "MERGEPLAN_VAR_DIR": str(tmp_path)}, expr)
    assert result.stdout.strip() == repr(
        ("django.db.backends.sqlite3", "filesystem://localhost/", "da", "Europe/Copenhagen")
    )
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://u:p@db:5432/x", "CELERY_BROKER_URL": "redis://r:6379/0"}
    result = _settings_in_subprocess(env, "settings.DATABASES['default']['NAME'], settings.CELERY_BROKER_URL")
    assert result.stdout.strip() == repr(("x", "redis://r:6379/0"))


def test_the_planning_clock_is_pinned_by_setting(settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 7, 3)
    assert today() == dt.date(2006, 7, 3)
    settings.MERGEPLAN_TODAY = None
    assert today() >= dt.date(2026, 1, 1)


_HARDENING = ("settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
              "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_PROXY_SSL_HEADER, "
              "settings.MIDDLEWARE[0], settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']")


def test_production_settings_are_hardened(tmp_path):
    env = {"DJANGO_DEBUG": "0", "SECRET_KEY": "x" * 50, "MERGEPLAN_VAR_DIR": str(tmp_path)}
    result = _settings_in_subprocess(env, _HARDENING)
    assert result.stdout.strip() == repr(
        (True, 31_536_000, True, True, True, ("HTTP_X_FORWARDED_PROTO", "https"),
         "core.health.HealthCheckMiddleware", ["'self'"])
    ), result.stderr
    result = _settings_in_subprocess({**env, "SECURE_HSTS_SECONDS": "600"}, "settings.SECURE_HSTS_SECONDS")
    assert result.stdout.strip() == repr((600,))


def test_the_dev_run_keeps_plain_http(tmp_path):
    result = _settings_in_subprocess({"DJANGO_DEBUG": "1", "MERGEPLAN_VAR_DIR": str(tmp_path)}, _HARDENING)
    assert result.stdout.strip() == repr(
        (False, 0, True, False, False, ("HTTP_X_FORWARDED_PROTO", "https"),
         "core.health.HealthCheckMiddleware", ["'self'"])
    ), result.stderr
