"""The settings every test runs under unless it pins others: the demo's planning date, Danish, Celery tasks
run in the process, and a fast password hasher (tests only)."""
from __future__ import annotations

import datetime as dt

PINNED_SETTINGS = {
    "MERGEPLAN_TODAY": dt.date(2006, 3, 15),
    "LANGUAGE_CODE": "da",
    "CELERY_TASK_ALWAYS_EAGER": True,
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}
