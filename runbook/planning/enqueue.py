"""Asking for a replan after a change commits: bump the merger's request counter in the writing
transaction (the outbox) and enqueue the recompute task on commit, once per merger and transaction; or
collect the requests (bulk loads). The task is looked up in Celery's registry by its registered name, so
this module does not import the task module (which imports the services that call this one).
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from runbook.planning.counters import _request_bump
from runbook.task_names import MERGER_RECOMPUTE

logger = logging.getLogger(__name__)

_deferred = threading.local()


@contextlib.contextmanager
def recompute_deferred() -> Iterator[set[int]]:
    """Collect recompute requests instead of enqueuing them (bulk data loads); yields the merger ids."""
    previous = getattr(_deferred, "ids", None)
    _deferred.ids = set()
    try:
        yield _deferred.ids
    finally:
        _deferred.ids = previous


class _RecomputeHook:
    """An on-commit hook that remembers its merger (so a transaction registers one hook per merger) and
    the counter value its transaction bumped ``requested`` to."""

    __slots__ = ("merger_id", "stamp")

    def __init__(self, merger_id: int, stamp: int) -> None:
        self.merger_id = merger_id
        self.stamp = stamp

    def __call__(self) -> None:
        recompute_task_enqueue(self.merger_id, self.stamp)


def recompute_enqueue(merger_id: int) -> None:
    """Ask for a recompute of the merger: bump its request counter in the current transaction (the
    outbox: the change and the request commit together) and enqueue the task after the commit (once per
    transaction)."""
    ids = getattr(_deferred, "ids", None)
    if ids is not None:
        ids.add(merger_id)
        return
    if connection.in_atomic_block:
        # Skip when a hook for this merger was registered in this block or an enclosing one that is still
        # open (it and its bump commit or roll back together with this call). Hooks of sibling blocks that
        # have ended are not looked at: the request counter collapses those runs anyway (the package docstring, 1).
        current = set(connection.savepoint_ids)
        for sids, func, _robust in connection.run_on_commit:
            if isinstance(func, _RecomputeHook) and func.merger_id == merger_id and set(sids) <= current:
                return
    try:
        stamp = _request_bump([merger_id]).get(merger_id, 0)
    except IntegrityError:  # the merger was deleted meanwhile
        return
    transaction.on_commit(_RecomputeHook(merger_id, stamp))


def recompute_task_enqueue(merger_id: int, stamp: int, *, countdown: float | None = None) -> bool:
    """Enqueue the recompute task for request ``stamp``; False (logged) when the broker is away: the
    request is committed and the sweep enqueues it again."""
    if countdown is None:
        countdown = float(getattr(settings, "MERGEPLAN_RECOMPUTE_COUNTDOWN", 2.0))
    task = current_app.tasks[MERGER_RECOMPUTE]  # registered when runbook.tasks is imported (RunbookConfig)
    try:
        task.apply_async(args=(merger_id, stamp), countdown=countdown)
    except Exception:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            raise
        logger.exception("could not enqueue the recompute of merger %s (the sweep will)", merger_id)
        return False
    return True
