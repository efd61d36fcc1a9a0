"""Fixtures of the runbook tests: an IT chief and the merger they lead (see
``tests.support.worlds.RunbookWorld``), built once per module, a fresh copy per test."""
import pytest

from tests.factories import UserFactory
from tests.support.shared import shared_per_module
from tests.support.worlds import build_runbook_world

_runbook_world = shared_per_module(build_runbook_world, name="_runbook_world")


@pytest.fixture
def chief(db):
    """The user ``chief``: the merger's IT chief when the test has the merger (the factory gets a user by
    username before it creates one)."""
    return UserFactory(username="chief")


@pytest.fixture
def merger(_runbook_world, db):
    return _runbook_world.fresh().merger
