"""A merger's runbook: its steps (planned by the scheduler, done by the people), waves and dependencies."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import BilingualNameMixin
from core.querysets import RestrictedQuerySet
from core.validation import planning_date_validator
from municipalities.models import Role
from runbook.models.choices import DependencyType, Direction, PlanTag, StepKind, StepStatus
from runbook.models.templates import Phase, RunbookTemplate, TemplateStep


class Runbook(models.Model):
    """A template instantiated for one merger, with the scheduler's latest results."""

    merger = models.OneToOneField(
        "municipalities.Merger", on_delete=models.CASCADE, related_name="runbook", verbose_name=_("merger")
    )
    template = models.ForeignKey(RunbookTemplate, on_delete=models.PROTECT, related_name="runbooks")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    scheduled_at = models.DateTimeField(_("last scheduled"), null=True, blank=True)
    schedule_findings = models.JSONField(_("schedule findings"), default=list, blank=True)
    schedule_summary = models.JSONField(_("schedule summary"), default=dict, blank=True)
    plan_check = models.JSONField(_("plan check"), default=list, blank=True)

    merger_path = "merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("runbook")
        verbose_name_plural = _("runbooks")

    def __str__(self) -> str:
        return f"{self.merger} — {self.template}"


class Wave(models.Model):
    """A named group of cutovers with a milestone date."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="waves")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    target_date = models.DateField(_("target date"), null=True, blank=True, validators=[planning_date_validator])
    milestone_date = models.DateField(_("milestone date"), null=True, blank=True, validators=[planning_date_validator])

    merger_path = "runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["runbook", "number"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        constraints = [models.UniqueConstraint(fields=["runbook", "number"], name="wave_unique_number")]

    def __str__(self) -> str:
        return self.name


class Step(BilingualNameMixin, models.Model):
    """One step of a merger's runbook. Planned dates come from the scheduler; actual dates from the work."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="steps")
    template_step = models.ForeignKey(
        TemplateStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="+", verbose_name=_("phase"))
    key = models.CharField(_("key"), max_length=80, help_text=_("Stable identifier within the runbook."))
    sequence = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name (Danish)"), max_length=250)
    name_en = models.CharField(_("name (English)"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices, default=StepKind.TASK)
    duration_days = models.PositiveSmallIntegerField(_("duration (working days)"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=StepStatus.choices, default=StepStatus.NOT_STARTED
    )
    responsible_role = models.CharField(_("responsible role"), max_length=20, choices=Role.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_steps",
        verbose_name=_("owner"),
    )
    assignee_municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="steps",
        verbose_name=_("assigned municipality"),
    )
    assignee_vendor = models.ForeignKey(
        "systems.Vendor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_steps",
        verbose_name=_("assigned vendor"),
    )
    domain = models.ForeignKey(
        "systems.Domain", on_delete=models.PROTECT, null=True, blank=True, related_name="steps",
        verbose_name=_("domain"),
    )
    harmonisation = models.ForeignKey(
        "systems.Harmonisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="steps"
    )
    conversion = models.ForeignKey(
        "systems.Conversion", on_delete=models.SET_NULL, null=True, blank=True, related_name="steps"
    )
    post_merger = models.BooleanField(_("after the legal date"), default=False)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.ASAP)
    needs_users = models.BooleanField(_("needs users"), default=False)
    plan_tag = models.CharField(_("plan tag"), max_length=20, choices=PlanTag.choices, default="", blank=True)
    target_date = models.DateField(_("target go-live"), null=True, blank=True, validators=[planning_date_validator])
    deadline = models.DateField(_("own deadline"), null=True, blank=True, validators=[planning_date_validator])
    not_before = models.DateField(_("not before"), null=True, blank=True, validators=[planning_date_validator])
    # what happened
    actual_start = models.DateField(_("actual start"), null=True, blank=True, validators=[planning_date_validator])
    actual_finish = models.DateField(_("actual finish"), null=True, blank=True, validators=[planning_date_validator])
    override_reason = models.TextField(_("override reason"), blank=True)
    # the scheduler's results
    planned_start = models.DateField(_("planned start"), null=True, blank=True, validators=[planning_date_validator])
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True, validators=[planning_date_validator])
    early_start = models.DateField(_("early start"), null=True, blank=True, validators=[planning_date_validator])
    early_finish = models.DateField(_("early finish"), null=True, blank=True, validators=[planning_date_validator])
    late_start = models.DateField(_("late start"), null=True, blank=True, validators=[planning_date_validator])
    late_finish = models.DateField(_("late finish"), null=True, blank=True, validators=[planning_date_validator])
    total_slack = models.IntegerField(_("slack (working days)"), null=True, blank=True)
    is_critical = models.BooleanField(_("critical"), default=False)
    go_live = models.DateField(_("go-live"), null=True, blank=True, validators=[planning_date_validator])
    wave = models.ForeignKey(
        Wave, on_delete=models.SET_NULL, null=True, blank=True, related_name="steps", verbose_name=_("wave")
    )
    at_risk = models.BooleanField(_("at risk"), default=False)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    placement = models.JSONField(_("placement"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    merger_path = "runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["runbook", "sequence", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        indexes = [
            models.Index(fields=["runbook", "status"], name="step_runbook_status"),
            models.Index(fields=["runbook", "kind", "planned_finish"], name="step_runbook_kind_finish"),
            # the polled lists' version stamp (runbook/api/list_etags.py) as index-only scans on PostgreSQL
            models.Index(fields=["kind", "runbook"], include=["updated_at", "version"], name="step_kind_stamp"),
            models.Index(fields=["runbook"], include=["updated_at", "version"], name="step_runbook_stamp"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["runbook", "key"], name="step_unique_key"),
            models.CheckConstraint(
                condition=Q(actual_finish__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_finish__gte=F("actual_start")),
                name="step_actual_finish_not_before_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(actual_finish__isnull=False), name="step_done_has_finish"
            ),
            models.CheckConstraint(
                condition=~Q(kind="milestone") | Q(duration_days=0), name="step_milestone_zero_duration"
            ),
            models.CheckConstraint(
                condition=Q(planned_finish__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_finish__gte=F("planned_start")),
                name="step_planned_finish_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("step-detail", kwargs={"merger_id": self.runbook.merger_id, "step_id": self.pk})

    @property
    def is_milestone_like(self) -> bool:
        return self.kind in (StepKind.MILESTONE, StepKind.CHECKPOINT, StepKind.CUTOVER)


class Dependency(models.Model):
    """Successor waits for predecessor (finish-to-start or start-to-start, with a lag in working days).

    Both steps belong to ``runbook``: enforced by database triggers (see migration 0002), and cycles
    are rejected by ``runbook.services.dependency_add``.
    """

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="dependencies")
    predecessor = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(
        _("type"), max_length=2, choices=DependencyType.choices, default=DependencyType.FINISH_TO_START
    )
    lag_days = models.SmallIntegerField(_("lag (working days)"), default=0)

    merger_path = "runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(condition=~Q(predecessor=F("successor")), name="dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"
