"""Fixtures of the page tests: the page world (a scheduled merger with a user for every role and a merger of
someone else, see ``tests.support.worlds.PageWorld``), built once per module, a fresh copy per test."""
from __future__ import annotations

import pytest

from tests.support.shared import shared_per_module
from tests.support.worlds import PageWorld, build_page_world

_page_world = shared_per_module(build_page_world, name="_page_world")


@pytest.fixture
def world(_page_world, db) -> PageWorld:
    return _page_world.fresh()
