"""Celery tasks of the runbook: thin, named, safe to run twice. Each takes ids, loads, calls a service.

``acks_late`` on every task here (and ``task_acks_late``, ``task_reject_on_worker_lost`` and a broker
visibility timeout of minutes in the settings): each is idempotent (a recompute of a request already
covered exits, and a run writes no Event for results it finds already written; risk detection
converges; a digest is guarded by its unique NotificationSent row and is sent at most once; a snapshot
is an update_or_create; a sweep only enqueues), so a redelivery after a worker died mid-task does no
harm and loses nothing.

The names come from ``runbook.task_names``: code that enqueues a task looks it up there by name, so no
module this one imports imports it back. ``RunbookConfig.ready`` imports this module, so the tasks are
registered in every process (web, commands, tests), not only in workers.
"""
from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from celery.signals import worker_ready

from runbook import task_names
from runbook.notifications import digests_send, progress_snapshots_take
from runbook.planning import runs
from runbook.risks import risks_detect

logger = logging.getLogger(__name__)


def _date(on: str | None) -> dt.date | None:
    return dt.date.fromisoformat(on) if on else None


@shared_task(name=task_names.MERGER_RECOMPUTE, acks_late=True, soft_time_limit=120, time_limit=180)
def merger_recompute(merger_id: int, requested: int | None = None) -> dict:
    """Recompute the schedule of a merger (and its vendor-sharing component), unless a later run has
    covered the request already (``requested`` is the request counter it was enqueued for)."""
    result = runs.recompute_run(merger_id, requested)
    logger.info("merger_recompute %s (request %s): %s", merger_id, requested, result)
    return {"skipped": result.skipped, "steps_changed": result.steps_changed, "events": result.events}


@shared_task(name=task_names.RECOMPUTE_SWEEP, acks_late=True, soft_time_limit=50, time_limit=60)
def recompute_sweep(older_than: float | None = None) -> dict:
    """Every minute: enqueue again the replans requested but not done (broker was down, worker killed)."""
    return {"enqueued": runs.recompute_sweep(older_than=older_than)}


@worker_ready.connect
def _sweep_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A (re)started worker asks for a sweep of every pending replan, whatever its age: one lost with a
    killed worker then runs now, not after the broker's visibility timeout (duplicates are no-ops)."""
    try:
        recompute_sweep.apply_async(kwargs={"older_than": 0})
    except Exception:
        logger.exception("could not enqueue the start-up recompute sweep")


@shared_task(name=task_names.RECOMPUTE_ALL, acks_late=True, soft_time_limit=600, time_limit=900)
def recompute_all() -> dict:
    """Nightly: schedule every merger at once, levelling vendor capacity across the country."""
    result = runs.recompute_all()
    return {"mergers": len(result.merger_ids), "steps_changed": result.steps_changed, "events": result.events}


@shared_task(name=task_names.DETECT_RISKS, acks_late=True, soft_time_limit=300, time_limit=420)
def detect_risks(merger_id: int | None = None, on: str | None = None) -> dict:
    """Daily: flag overdue, slipping and unsigned-checkpoint steps (every merger when no id is given)."""
    return risks_detect(merger_id=merger_id, on=_date(on))


@shared_task(name=task_names.SEND_DIGESTS, acks_late=True, soft_time_limit=600, time_limit=900)
def send_digests(on: str | None = None) -> dict:
    """Daily: one digest e-mail per user (never two on one day; a lost one is resent on the next run)."""
    return digests_send(on=_date(on))


@shared_task(name=task_names.TAKE_SNAPSHOTS, acks_late=True, soft_time_limit=300, time_limit=420)
def take_snapshots(on: str | None = None) -> dict:
    """Daily: one progress snapshot per runbook for the burn-up charts."""
    return progress_snapshots_take(on=_date(on))
