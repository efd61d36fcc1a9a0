"""Fixtures of the API tests: the API world (two mergers and a user for every role, see
``tests.support.worlds.ApiWorld``), built once per module, a fresh copy per test."""
from __future__ import annotations

import pytest

from tests.factories import SystemFactory, VendorFactory
from tests.support.shared import shared_per_module
from tests.support.worlds import ApiWorld, build_api_world

_api_world = shared_per_module(build_api_world, name="_api_world")


@pytest.fixture
def world(_api_world, db) -> ApiWorld:
    return _api_world.fresh()


@pytest.fixture
def extra_system(db):
    """A KMD system nobody runs yet (for creating instances)."""
    return SystemFactory(vendor=VendorFactory(code="kmd"), name="KMD Ekstra")
