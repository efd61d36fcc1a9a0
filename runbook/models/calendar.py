"""The planning calendar of a runbook: dated freeze windows and the recurring rules that expand into them."""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet
from core.validation import planning_date_validator
from runbook.models.choices import Blocks, RuleKind


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

    merger_path = "merger"
    merger_optional = True  # one without a merger is national: every signed-in user reads it
    objects = RestrictedQuerySet.as_manager()

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

    merger_path = "merger"
    merger_optional = True  # one without a merger is national: every signed-in user reads it
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("calendar rule")
        verbose_name_plural = _("calendar rules")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
