"""Fault tests: real PostgreSQL, their own redis-server and real Celery worker subprocesses, stopped and
killed on purpose. Slow (minutes): skipped unless asked for with ``-m fault`` or ``FAULT_TESTS=1``
(``.ci/fault.sh`` runs them on a fresh PostgreSQL database)."""
from __future__ import annotations

import os

import pytest


def _asked_for(config) -> bool:
    markexpr = (config.getoption("markexpr") or "").replace(" ", "")
    return os.environ.get("FAULT_TESTS") == "1" or ("fault" in markexpr and "notfault" not in markexpr)


@pytest.fixture(autouse=True)
def _fault_tests_only_when_asked(request):
    if not _asked_for(request.config):
        pytest.skip("fault tests run only with -m fault or FAULT_TESTS=1 (.ci/fault.sh)")
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("fault tests need PostgreSQL (DATABASE_URL=postgres://…): SQLite has one writer and no "
                    "row locks, and its file is not shared like a server")
