"""The shared counters that collapse bursts of schedule recompute requests into one run.

The protocol is in the docstring of ``runbook.planning``.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet


class ScheduleRequest(models.Model):
    """How many schedule recomputes of a merger were asked for, and up to which request one has run.

    ``requested`` rises after every committed change to the plan; a run notes it before loading and
    raises ``completed`` to the noted value afterwards. A queued task whose request is covered exits.
    """

    merger = models.OneToOneField(
        "municipalities.Merger", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested = models.PositiveBigIntegerField(default=0)
    completed = models.PositiveBigIntegerField(default=0)
    requested_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    merger_path = "merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("schedule request")
        verbose_name_plural = _("schedule requests")

    def __str__(self) -> str:
        return f"{self.merger_id}: {self.completed}/{self.requested}"
