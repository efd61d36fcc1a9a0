"""A drejebog template: its phases, steps and the dependencies between them, instantiated per merger."""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import BilingualNameMixin
from core.querysets import RestrictedQuerySet
from municipalities.models import Role
from runbook.models.choices import DependencyType, Direction, PlanTag, Scope, StepKind


class RunbookTemplate(models.Model):
    """A versioned drejebog: the phases and steps a merger follows."""

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

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

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

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

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

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

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

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
