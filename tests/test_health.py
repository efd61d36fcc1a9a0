"""/healthz (alive, no database) and /readyz (database and broker; 503 naming what is down)."""
from __future__ import annotations

import time

import pytest
from django.db import connections

from core import health


def test_healthz_answers_without_the_database_login_or_an_allowed_host(client, settings):
    """No django_db mark: pytest-django raises if the view touches the database."""
    settings.ALLOWED_HOSTS = ["example.dk"]  # the probe comes as Host: 127.0.0.1
    settings.SECURE_SSL_REDIRECT = True  # and over plain http
    response = client.get("/healthz", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert client.get("/healthz/").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_200_with_each_part_when_database_and_broker_answer(client, settings):
    settings.ALLOWED_HOSTS = ["example.dk"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/readyz", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "broker"}
    for part in body["checks"].values():
        assert part["ok"] is True and isinstance(part["ms"], float)
    assert body["checks"]["database"]["vendor"] == connections["default"].vendor


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_is_not_there(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6399/0"  # a closed port
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert "6399" not in response.content.decode()  # details go to the log, not to the caller


@pytest.mark.django_db
def test_readyz_is_503_when_the_filesystem_broker_folder_is_gone(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    missing = str(tmp_path / "gone")
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": missing, "data_folder_out": missing}
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["broker"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_it_cannot_be_opened(client, monkeypatch, tmp_path):
    """A real failed connection: the database's name points nowhere (PostgreSQL: a database that does
    not exist; SQLite: a file in a folder that does not exist). The request's own connection is not used."""
    default = connections["default"]
    missing = "mergeplan_no_such_database" if default.vendor == "postgresql" else str(tmp_path / "no" / "db.sqlite3")
    monkeypatch.setitem(default.settings_dict, "NAME", missing)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError",
                                          "ms": body["checks"]["database"]["ms"]}


def test_readyz_reports_a_check_that_hangs_as_a_timeout(client, settings, monkeypatch):
    settings.HEALTH_CHECK_TIMEOUT = 0.2
    monkeypatch.setitem(health.CHECKS, "database", lambda: time.sleep(2) or {})
    monkeypatch.setitem(health.CHECKS, "broker", lambda: {"transport": "test"})
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"] and body["checks"]["database"] == {"ok": False, "error": "timeout"}
    assert body["checks"]["broker"]["ok"] is True
