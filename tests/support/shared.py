"""Test data built once per test module and shared by its tests, as Django's ``TestCase.setUpTestData`` does.

A conftest declares the module-wide fixture and hands each test a fresh copy::

    _api_world = shared_per_module(build_api_world, name="_api_world")

    @pytest.fixture
    def world(_api_world, db):
        return _api_world.fresh()

How it holds:

- The data is built in one outer transaction (``transaction.atomic``) opened before the first test that asks
  for it and rolled back when the module ends. Each test's own ``db`` transaction nests inside as a
  savepoint, so whatever a test writes is gone before the next test starts.
- Each test gets a deep copy of the built objects (as Django's ``TestData`` does): a test that changes a
  model instance in Python does not change it for the next test.
- The data is built under the pinned settings (``tests.support.pinned``): module fixtures are set up before
  the autouse fixture that pins them for each test.
- Only tests that run in a plain ``db`` transaction see the shared data. Before a test that does not ask for
  it but uses the database, or one that needs real commits (``transactional_db``, ``live_server``,
  ``django_db(transaction=True)`` …), the outer transaction is rolled back; the next test that asks for the
  data builds it again. Such a test that asks for the data anyway gets its own, built for it alone.

``before_test`` does that switching; tests/conftest.py calls it from ``pytest_runtest_setup``, which runs
after the skip marks are evaluated and before any fixture of the test is set up.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Generic, TypeVar

import pytest
from django.db import transaction
from django.test import override_settings

from tests.support.pinned import PINNED_SETTINGS

T = TypeVar("T")

#: the module's shared data, by fixture name
_SHARED = pytest.StashKey[dict]()
#: whether the test being set up runs in a plain ``db`` transaction (set before its fixtures are)
_PLAIN = pytest.StashKey[bool]()

#: fixtures with which a test commits for real: shared data must not be open around it
_COMMITTING = {
    "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback",
}
_DATABASE = {"db", "_django_db_helper", *_COMMITTING}
_MARKER_ARGS = ("transaction", "reset_sequences", "databases", "serialized_rollback", "available_apps")


class ModuleData(Generic[T]):
    """What ``build`` returns, kept in an outer transaction while the module's tests that ask for it run."""

    def __init__(self, build: Callable[[], T], blocker) -> None:
        self._build = build
        self._blocker = blocker  # pytest-django's django_db_blocker: the database is blocked between tests
        self._atomic = None
        self._data: T | None = None

    @property
    def is_open(self) -> bool:
        return self._atomic is not None

    def open(self) -> None:
        """Open the outer transaction and build the data in it (nothing if already open)."""
        if self.is_open:
            return
        with self._blocker.unblock(), override_settings(**PINNED_SETTINGS):
            atomic = transaction.atomic()
            atomic._from_testcase = True  # as Django's TestCase marks its own: durable blocks may nest inside
            atomic.__enter__()
            try:
                self._data = self._build()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
            self._atomic = atomic

    def close(self) -> None:
        """Roll the outer transaction back: the data is gone (nothing if not open)."""
        if not self.is_open:
            return
        with self._blocker.unblock():
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
        self._atomic = self._data = None

    def fresh(self) -> T:
        """The data for one test: a deep copy of the shared objects, or, for a test that commits for real,
        data built for it alone in its own transaction."""
        if not self.is_open:
            return self._build()
        return copy.deepcopy(self._data)


def shared_per_module(build: Callable[[], T], *, name: str):
    """A module-scoped fixture ``name`` that yields the :class:`ModuleData` of ``build`` for the module."""

    @pytest.fixture(scope="module", name=name)
    def _fixture(request, django_db_setup, django_db_blocker):
        data = ModuleData(build, django_db_blocker)
        request.node.stash.setdefault(_SHARED, {})[name] = data
        if request.node.stash.get(_PLAIN, False):
            data.open()
        try:
            yield data
        finally:
            data.close()
            del request.node.stash[_SHARED][name]

    return _fixture


def uses_database(item: pytest.Item) -> bool:
    return bool(_DATABASE & set(item.fixturenames)) or item.get_closest_marker("django_db") is not None


def commits(item: pytest.Item) -> bool:
    """Whether ``item`` runs with real commits (a TransactionTestCase) rather than in a rolled-back
    transaction."""
    if _COMMITTING & set(item.fixturenames):
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    flags = {**dict(zip(_MARKER_ARGS, marker.args, strict=False)), **marker.kwargs}
    return any(flags.get(flag) for flag in ("transaction", "reset_sequences", "serialized_rollback"))


def before_test(item: pytest.Item) -> None:
    """Open the module's shared data the test asks for, and close what it must not see."""
    module = item.getparent(pytest.Module)
    if module is None:
        return
    plain = uses_database(item) and not commits(item)
    module.stash[_PLAIN] = plain
    for name, data in module.stash.get(_SHARED, {}).items():
        if plain and name in item.fixturenames:
            data.open()
        elif uses_database(item):
            data.close()
