"""The shared state of recompute requests and the locks of schedule runs.

``ScheduleRequest`` holds per merger the counters ``requested`` (bumped in the writing transaction: the
outbox) and ``completed`` (raised by the run that covered a request). The write phases of runs on
overlapping components are serialised here, and the ``completed`` rows are locked without waiting. The
protocol is described in the ``runbook.planning`` package docstring (steps 2–5).
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from runbook.models import ScheduleRequest


def _requested_counters() -> dict[int, tuple[int, int]]:
    return {m: (r, c) for m, r, c in ScheduleRequest.objects.values_list("merger_id", "requested", "completed")}


def _ensure_requests(merger_ids: Iterable[int]) -> None:
    have = set(ScheduleRequest.objects.filter(merger_id__in=list(merger_ids)).values_list("merger_id", flat=True))
    missing = [ScheduleRequest(merger_id=m) for m in merger_ids if m not in have]
    if missing:
        ScheduleRequest.objects.bulk_create(missing, ignore_conflicts=True)


def _request_bump(merger_ids: Iterable[int]) -> dict[int, int]:
    """Raise the requested counters (creating rows as needed); returns the new values."""
    ids = list(merger_ids)
    now = timezone.now()
    with transaction.atomic():
        _ensure_requests(ids)
        ScheduleRequest.objects.filter(merger_id__in=ids).update(requested=F("requested") + 1, requested_at=now)
        return dict(ScheduleRequest.objects.filter(merger_id__in=ids).values_list("merger_id", "requested"))


_ADVISORY_NAMESPACE = 0x6D70  # "mp": the first key of the advisory locks of schedule runs


def _runs_serialise(merger_ids: Iterable[int]) -> dict[int, int]:
    """Serialise the write phases of schedule runs on overlapping components; the ``completed`` counters.

    PostgreSQL: transaction-scoped advisory locks per merger in id order, which no writing transaction
    takes (a row lock on ``ScheduleRequest`` would wait for, and deadlock with, a transaction that has
    bumped ``requested`` and now needs a step this run writes). Elsewhere (SQLite: one writer at a
    time anyway) the rows are locked.
    """
    ids = sorted(merger_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for m in ids:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_NAMESPACE, m])
        qs = ScheduleRequest.objects.all()
    else:
        qs = ScheduleRequest.objects.select_for_update()
    return dict(qs.filter(merger_id__in=ids).order_by("merger_id").values_list("merger_id", "completed"))


class _RequestsBusy:
    """Swallow the 'lock not available' of ``_requests_lock_nowait`` after its transaction rolled back."""

    hit = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and _lock_not_available(exc):
            self.hit = True
            return True
        return False


def _lock_not_available(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and getattr(exc.__cause__, "pgcode", None) == "55P03"


def _requests_lock_nowait(merger_ids: list[int], *, attempts: int = 4, pause: float = 0.05) -> None:
    """Lock the ``ScheduleRequest`` rows whose ``completed`` this run raises, without waiting for a writing
    transaction that holds one (it has bumped ``requested`` and will enqueue its own run): a few short
    retries, then ``OperationalError`` (lock not available), which rolls the run back."""
    if not merger_ids or connection.vendor != "postgresql":
        return
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                list(
                    ScheduleRequest.objects.select_for_update(nowait=True)
                    .filter(merger_id__in=sorted(merger_ids))
                    .order_by("merger_id")
                    .values_list("merger_id", flat=True)
                )
            return
        except OperationalError as exc:
            if not _lock_not_available(exc) or attempt == attempts - 1:
                raise
            time.sleep(pause)
