import pytest


@pytest.fixture(autouse=True)
def _pinned_clock(settings):
    """Tests run on the demo's planning date unless a test pins another."""
    import datetime as dt

    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 15)
    settings.LANGUAGE_CODE = "da"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
