"""The drejebog's models: templates, a merger's runbook of steps and dependencies, and what happens to them.

- :mod:`.choices` — the kinds, scopes, dependency types and statuses the models choose from;
- :mod:`.templates` — a versioned drejebog template: phases, template steps and their dependencies;
- :mod:`.plan` — a merger's runbook: waves, steps and dependencies;
- :mod:`.review` — checkpoint sign-offs and comments;
- :mod:`.calendar` — freeze windows and recurring calendar rules;
- :mod:`.progress` — baselines, daily progress snapshots and the notifications sent;
- :mod:`.schedule` — the counters of requested schedule recomputes.

Every model and choice is importable from ``runbook.models``. The modules are imported in the order the
models were first declared, which is the order Django registers them (and creates their content types).
"""
# isort: off
from runbook.models.choices import (
    FINISHED_STATUSES,
    Blocks,
    DependencyType,
    Direction,
    PlanTag,
    RuleKind,
    Scope,
    SignoffDecision,
    StepKind,
    StepStatus,
)
from runbook.models.templates import Phase, RunbookTemplate, TemplateDependency, TemplateStep
from runbook.models.plan import Dependency, Runbook, Step, Wave
from runbook.models.review import CheckpointSignoff, Comment
from runbook.models.calendar import CalendarRule, FreezeWindow
from runbook.models.progress import Baseline, BaselineEntry, NotificationSent, ProgressSnapshot
from runbook.models.schedule import ScheduleRequest
# isort: on

__all__ = [
    "FINISHED_STATUSES",
    "Baseline",
    "BaselineEntry",
    "Blocks",
    "CalendarRule",
    "CheckpointSignoff",
    "Comment",
    "Dependency",
    "DependencyType",
    "Direction",
    "FreezeWindow",
    "NotificationSent",
    "Phase",
    "PlanTag",
    "ProgressSnapshot",
    "RuleKind",
    "Runbook",
    "RunbookTemplate",
    "ScheduleRequest",
    "Scope",
    "SignoffDecision",
    "Step",
    "StepKind",
    "StepStatus",
    "TemplateDependency",
    "TemplateStep",
    "Wave",
]
