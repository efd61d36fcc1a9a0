"""Schedule runs on request, as the tasks in ``runbook.tasks`` call them: a queued recompute (skipped when a
later run has covered it), the nightly run of the whole country, a request stamped now, and the sweep that
enqueues again the requests not done.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone

from municipalities.models import Merger
from runbook.models import Runbook, ScheduleRequest
from runbook.planning.apply import _EMPTY, ApplyResult, schedule_apply, schedule_apply_all
from runbook.planning.counters import _request_bump
from runbook.planning.enqueue import recompute_task_enqueue

logger = logging.getLogger(__name__)

def recompute_request(merger_id: int) -> int:
    """Stamp a new request for the merger now (its own statement when not in a transaction) and enqueue
    the recompute task with a short countdown."""
    try:
        stamp = _request_bump([merger_id]).get(merger_id, 0)
    except IntegrityError:  # the merger was deleted meanwhile
        return 0
    recompute_task_enqueue(merger_id, stamp)
    return stamp


def recompute_sweep(*, older_than: float | None = None) -> list[int]:
    """Enqueue again every pending request (``requested`` > ``completed``) whose last request or
    re-enqueue is older than ``older_than`` seconds (``MERGEPLAN_RECOMPUTE_SWEEP_AFTER``, default 30);
    returns the merger ids enqueued. See the ``runbook.planning`` package docstring, 6."""
    if older_than is None:
        older_than = float(getattr(settings, "MERGEPLAN_RECOMPUTE_SWEEP_AFTER", 30))
    cutoff = timezone.now() - dt.timedelta(seconds=older_than)
    pending = list(
        ScheduleRequest.objects.filter(requested__gt=F("completed"))
        .filter(Q(requested_at__lte=cutoff) | Q(requested_at__isnull=True))
        .order_by("merger_id")
        .values_list("merger_id", "requested")
    )
    swept = []
    for merger_id, stamp in pending:
        if not recompute_task_enqueue(merger_id, stamp, countdown=0):
            break  # the broker is away: the next sweep tries again
        # the next sweep waits again (a newer request has moved requested_at anyway)
        ScheduleRequest.objects.filter(
            Q(requested_at__lte=cutoff) | Q(requested_at__isnull=True), merger_id=merger_id
        ).update(requested_at=timezone.now())
        swept.append(merger_id)
    if swept:
        logger.warning("recompute sweep enqueued the pending replans of mergers %s", swept)
    return swept


def recompute_run(merger_id: int, requested: int | None = None) -> ApplyResult:
    """Run a queued recompute unless a later run has covered it already (then return a skipped result).

    ``requested`` is the counter value the task was enqueued for; None forces a run.
    """
    if requested is not None:
        row = ScheduleRequest.objects.filter(merger_id=merger_id).values_list("completed", flat=True).first()
        if row is not None and row >= requested:
            return _EMPTY
    if not Merger.objects.filter(pk=merger_id).exists():
        return _EMPTY
    return schedule_apply(merger_id)


def recompute_all() -> ApplyResult:
    """The nightly run: stamp every merger with a runbook, then schedule the whole country at once."""
    ids = list(Runbook.objects.values_list("merger_id", flat=True))
    if ids:
        _request_bump(ids)
    return schedule_apply_all()
