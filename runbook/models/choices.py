"""The choices of the runbook's models: kinds of step, scopes, dependency types, statuses and the like."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

import engine


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


#: The statuses of a step that is over: done, or skipped (nothing left to do) — the engine's one definition.
FINISHED_STATUSES = tuple(StepStatus(status) for status in engine.FINISHED)


class SignoffDecision(models.TextChoices):
    GO = "go", _("Go")
    NO_GO = "no_go", _("No go")
