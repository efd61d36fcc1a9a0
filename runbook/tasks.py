"""Celery tasks of the runbook: thin, named, safe to run twice."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="runbook.merger_recompute", acks_late=True, soft_time_limit=60, time_limit=90)
def merger_recompute(merger_id: int) -> None:
    from .planning import schedule_apply  # noqa: F401  (completed by the planning work)
