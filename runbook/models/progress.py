"""How the work is followed: baselines of the planned dates, daily progress and the notifications sent."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet
from core.validation import planning_date_validator
from runbook.models.plan import Runbook, Step


class Baseline(models.Model):
    """A frozen copy of a runbook's planned dates, for plan-versus-baseline slip."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="baselines")
    name = models.CharField(_("name"), max_length=100)
    captured_at = models.DateTimeField(_("captured"), default=timezone.now)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    merger_path = "runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["runbook", "-captured_at"]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")
        constraints = [models.UniqueConstraint(fields=["runbook", "name"], name="baseline_unique_name")]

    def __str__(self) -> str:
        return self.name


class BaselineEntry(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="entries")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="baseline_entries")
    planned_start = models.DateField(null=True, blank=True, validators=[planning_date_validator])
    planned_finish = models.DateField(null=True, blank=True, validators=[planning_date_validator])

    merger_path = "baseline__runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("baseline entry")
        verbose_name_plural = _("baseline entries")
        constraints = [models.UniqueConstraint(fields=["baseline", "step"], name="baseline_entry_unique")]

    def __str__(self) -> str:
        return f"{self.baseline}: {self.step_id} {self.planned_start} – {self.planned_finish}"


class ProgressSnapshot(models.Model):
    """A day's progress of a runbook, for burn-up charts. One per runbook per day."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField(_("date"), validators=[planning_date_validator])
    total_steps = models.PositiveIntegerField(default=0)
    done_steps = models.PositiveIntegerField(default=0)
    total_days = models.PositiveIntegerField(default=0, help_text=_("Working days of work in all steps"))
    done_days = models.PositiveIntegerField(default=0)
    planned_done_days = models.PositiveIntegerField(default=0, help_text=_("Work planned to be done by date"))

    merger_path = "runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["runbook", "date"]
        verbose_name = _("progress snapshot")
        verbose_name_plural = _("progress snapshots")
        constraints = [models.UniqueConstraint(fields=["runbook", "date"], name="snapshot_one_per_day")]

    def __str__(self) -> str:
        return f"{self.runbook_id} {self.date}: {self.done_days}/{self.total_days}"


class NotificationSent(models.Model):
    """Proof that a notification was decided and sent: unique per user, kind and day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    date = models.DateField(validators=[planning_date_validator])
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification sent")
        verbose_name_plural = _("notifications sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "date"], name="notification_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.date}"
