"""The drejebog: templates, a merger's runbook of steps and dependencies, and what happens to them."""
from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import BilingualNameMixin
from core.validation import planning_date_validator
from municipalities.models import Role


class StepKind(models.TextChoices):
    TASK = "task", _("Task")
    MILESTONE = "milestone", _("Milestone")
    CHECKPOINT = "checkpoint", _("Checkpoint (go/no-go)")
    CUTOVER = "cutover", _("Cutover")


class Scope(models.TextChoices):
    MERGER = "merger", _("Once per merger")
    AREA = "area", _("Once per harmonised area")
    CONVERSION = "conversion", _("Once per conversion")


class DependencyType(models.TextChoices):
    FINISH_TO_START = "FS", _("Finish to start")
    START_TO_START = "SS", _("Start to start")
    FINISH_TO_FINISH = "FF", _("Finish to finish")


class Direction(models.TextChoices):
    """When a step is planned within its float: as soon or as late as possible (as MS Project)."""

    ASAP = "asap", _("As soon as possible")
    ALAP = "alap", _("As late as possible")


class PlanTag(models.TextChoices):
    """What the plan check looks for in a step."""

    NONE = "", "—"
    TRAINING = "training", _("User training")
    REHEARSAL = "rehearsal", _("Dress rehearsal")
    FIRST_PAYROLL = "first_payroll", _("First payroll")
    RECONCILIATION = "reconciliation", _("Reconciliation")


class Blocks(models.TextChoices):
    """What a freeze window or calendar rule blocks."""

    GO_LIVE = "go_live", _("No go-live")
    WORK = "work", _("No go-live and no user work")


class RuleKind(models.TextChoices):
    SUMMER_HOLIDAY = "summer_holiday", _("Summer holiday")
    PAYROLL_RUN = "payroll_run", _("Payroll run")
    PAYOUT_RUN = "payout_run", _("Payout run")
    YEAR_END = "year_end", _("Year-end closing")


class StepStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


# --- Templates ------------------------------------------------------------------------------------


class RunbookTemplate(models.Model):
    """A versioned drejebog: the phases and steps a merger follows."""

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("runbook template")
        verbose_name_plural = _("runbook templates")
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="template_unique_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Phase(BilingualNameMixin, models.Model):
    """A phase of a drejebog template (mobilise, survey, decide, build, convert, go live, after)."""

    template = models.ForeignKey(RunbookTemplate, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name (Danish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        ordering = ["template", "number"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="phase_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class TemplateStep(models.Model):
    """A step of a drejebog template, instantiated once per merger, per area or per conversion."""

    template = models.ForeignKey(RunbookTemplate, on_delete=models.CASCADE, related_name="steps")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="steps", verbose_name=_("phase"))
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name (Danish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices, default=StepKind.TASK)
    duration_days = models.PositiveSmallIntegerField(_("duration (working days)"), default=1)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.MERGER)
    responsible_role = models.CharField(_("responsible role"), max_length=20, choices=Role.choices)
    post_merger = models.BooleanField(_("after the legal date"), default=False)
    is_inferred = models.BooleanField(
        _("inferred"), default=False, help_text=_("Domain inference rather than a sourced step.")
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.ASAP)
    needs_users = models.BooleanField(
        _("needs users"), default=False, help_text=_("Training, dress rehearsal, emergency procedures.")
    )
    plan_tag = models.CharField(_("plan tag"), max_length=20, choices=PlanTag.choices, default="", blank=True)
    data_areas_only = models.BooleanField(
        _("data areas only"),
        default=False,
        help_text=_("Instantiate this area step only for areas that hold data and are not converted centrally."),
    )

    class Meta:
        ordering = ["template", "number"]
        verbose_name = _("template step")
        verbose_name_plural = _("template steps")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_step_unique_number"),
            models.CheckConstraint(
                condition=~Q(kind="milestone") | Q(duration_days=0), name="template_milestone_zero_duration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class TemplateDependency(models.Model):
    predecessor = models.ForeignKey(TemplateStep, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(TemplateStep, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(
        _("type"), max_length=2, choices=DependencyType.choices, default=DependencyType.FINISH_TO_START
    )
    lag_days = models.SmallIntegerField(_("lag (working days)"), default=0)
    area = models.CharField(
        _("area"),
        max_length=30,
        blank=True,
        help_text=_("Domain code: restricts the area-scoped side of the dependency to that area."),
    )

    class Meta:
        verbose_name = _("template dependency")
        verbose_name_plural = _("template dependencies")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="template_dependency_unique"),
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")), name="template_dependency_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor.number} → {self.successor.number}"


# --- A merger's runbook ---------------------------------------------------------------------------


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

    class Meta:
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(condition=~Q(predecessor=F("successor")), name="dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class SignoffDecision(models.TextChoices):
    GO = "go", _("Go")
    NO_GO = "no_go", _("No go")


class CheckpointSignoff(models.Model):
    """A go/no-go sign-off of a checkpoint step. Dual: one by the IT chief, one by the vendor advisor."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="signoffs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    decision = models.CharField(_("decision"), max_length=6, choices=SignoffDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    override_reason = models.TextField(
        _("override reason"), blank=True,
        help_text=_("Why the decision was given before the checkpoint's predecessors were done."),
    )
    signed_at = models.DateTimeField(_("signed"), default=timezone.now)

    class Meta:
        ordering = ["step", "signed_at"]
        verbose_name = _("checkpoint sign-off")
        verbose_name_plural = _("checkpoint sign-offs")
        constraints = [
            models.UniqueConstraint(fields=["step", "role"], name="signoff_one_per_role"),
            models.CheckConstraint(
                condition=Q(role__in=["it_chief", "vendor_advisor"]), name="signoff_role_chief_or_advisor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} — {self.get_role_display()}: {self.get_decision_display()}"


class Comment(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["step", "created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="comment_not_empty")]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class Event(models.Model):
    """The audit trail: who changed what, when, from what to what. Written by services only."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        help_text=_("Empty when the system (a background task) made the change."),
    )
    merger = models.ForeignKey(
        "municipalities.Merger", on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    verb = models.CharField(_("what"), max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(_("object"), max_length=250)
    changes = models.JSONField(_("changes"), default=dict, blank=True, help_text=_("field: [before, after]"))
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["merger", "-created_at"], name="event_merger_created"),
            models.Index(fields=["content_type", "object_id"], name="event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.object_repr}"


class FreezeWindow(models.Model):
    """Dated days on which no cutover may go live (``blocks`` go_live), or on which no user work may happen
    either (``blocks`` work): nationally, per vendor, per domain, or for one merger."""

    name = models.CharField(_("name"), max_length=100)
    start = models.DateField(_("first day"), validators=[planning_date_validator])
    end = models.DateField(_("last day"), validators=[planning_date_validator])
    vendor = models.ForeignKey("systems.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    domain = models.ForeignKey("systems.Domain", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    merger = models.ForeignKey(
        "municipalities.Merger", on_delete=models.CASCADE, null=True, blank=True, related_name="freeze_windows"
    )
    is_inferred = models.BooleanField(_("inferred"), default=False)
    blocks = models.CharField(_("blocks"), max_length=8, choices=Blocks.choices, default=Blocks.GO_LIVE)

    class Meta:
        ordering = ["start", "name"]
        verbose_name = _("freeze window")
        verbose_name_plural = _("freeze windows")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="freeze_end_not_before_start"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start} – {self.end})"


class CalendarRule(models.Model):
    """A recurring calendar rule, expanded into freeze windows for every year a plan spans.

    ``summer_holiday``: ISO weeks ``week_from``–``week_to`` (fællesferie); ``payroll_run`` / ``payout_run``:
    the last ``days`` working days of each month, through pay day; ``year_end``: from ``month_from``/``day_from``
    to ``month_to``/``day_to`` (e.g. 1 Dec – 31 Dec). Applies to a domain, a vendor and a merger when set
    (None = all).
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    blocks = models.CharField(_("blocks"), max_length=8, choices=Blocks.choices, default=Blocks.GO_LIVE)
    domain = models.ForeignKey(
        "systems.Domain", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("domain")
    )
    vendor = models.ForeignKey(
        "systems.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("vendor")
    )
    merger = models.ForeignKey(
        "municipalities.Merger",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_rules",
        verbose_name=_("merger"),
    )
    days = models.PositiveSmallIntegerField(_("working days"), default=3)
    week_from = models.PositiveSmallIntegerField(_("from ISO week"), null=True, blank=True)
    week_to = models.PositiveSmallIntegerField(_("to ISO week"), null=True, blank=True)
    month_from = models.PositiveSmallIntegerField(_("from month"), null=True, blank=True)
    day_from = models.PositiveSmallIntegerField(_("from day"), null=True, blank=True)
    month_to = models.PositiveSmallIntegerField(_("to month"), null=True, blank=True)
    day_to = models.PositiveSmallIntegerField(_("to day"), null=True, blank=True)
    is_inferred = models.BooleanField(_("inferred"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("calendar rule")
        verbose_name_plural = _("calendar rules")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Baseline(models.Model):
    """A frozen copy of a runbook's planned dates, for plan-versus-baseline slip."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="baselines")
    name = models.CharField(_("name"), max_length=100)
    captured_at = models.DateTimeField(_("captured"), default=timezone.now)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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


# --- Recompute requests (planning) ----------------------------------------------------------------
# Added by the planning work: the shared counters that collapse bursts of recompute requests into one run.
# See runbook/planning.py (module docstring) for the protocol.


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

    class Meta:
        verbose_name = _("schedule request")
        verbose_name_plural = _("schedule requests")

    def __str__(self) -> str:
        return f"{self.merger_id}: {self.completed}/{self.requested}"
