"""Fixtures and hooks of every test: the pinned settings, and the switching of data shared per module
(tests/support/shared.py)."""
import pytest

from tests.support import shared
from tests.support.pinned import PINNED_SETTINGS


@pytest.fixture(autouse=True)
def _pinned_clock(settings):
    """Tests run on the demo's planning date, in Danish, with Celery eager and a fast password hasher,
    unless a test pins another."""
    for name, value in PINNED_SETTINGS.items():
        setattr(settings, name, value)


def pytest_runtest_setup(item):
    shared.before_test(item)
