"""Services of the plan: recompute requests (to be completed: schedule_apply, baselines)."""
from __future__ import annotations

from django.db import transaction


def recompute_enqueue(merger_id: int) -> None:
    """Enqueue a schedule recompute of the merger after the current transaction commits."""
    from .tasks import merger_recompute

    transaction.on_commit(lambda: merger_recompute.delay(merger_id))
