"""Asking for a replan: every runbook write calls ``plan_changed`` once its change affects the schedule."""
from __future__ import annotations

from runbook.planning.enqueue import recompute_enqueue


def plan_changed(merger_id: int) -> None:
    """Ask for a recompute of the merger's schedule once the current transaction commits."""
    recompute_enqueue(merger_id)
