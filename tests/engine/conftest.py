"""The engine's tests need no Django: shadow the suite's settings fixture so ``-p no:django`` works."""

import pytest


@pytest.fixture(autouse=True)
def _pinned_clock():
    """Nothing to pin: the engine reads no clock and no settings."""
