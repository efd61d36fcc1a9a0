"""The writes of the runbook. Views, the API, the admin and tasks call these; nothing else saves steps.

Every service runs in one transaction, writes its audit Event in it, and asks for a schedule recompute
after commit (``plan_changed``) when the change affects the plan. By job:

- :mod:`.replan` — ``plan_changed``, the one way a write asks for a replan;
- :mod:`.instantiate` — a merger's runbook from a drejebog template;
- :mod:`.dependencies` — adding and removing a dependency (no cycles);
- :mod:`.status` — the status transitions of a step and what blocks it;
- :mod:`.golive` — the go-live window a cutover's target must lie in;
- :mod:`.steps` — changing a step's plan fields;
- :mod:`.signoffs` — go/no-go decisions on checkpoints;
- :mod:`.comments` — comments on steps;
- :mod:`.calendar` — freeze windows and calendar rules.

Adding and deleting steps by hand lives in ``runbook.services.plan``, pinning a start in ``runbook.services.pins``.
The names below are the package's public entry points; modules inside the package import each other,
never this ``__init__``.
"""
from runbook.services.calendar import (
    calendar_entry_delete,
    calendar_entry_save,
    calendar_may_change,
    calendar_rule_check,
)
from runbook.services.comments import comment_add
from runbook.services.dependencies import dependency_add, dependency_remove
from runbook.services.golive import target_date_check
from runbook.services.instantiate import runbook_instantiate
from runbook.services.replan import plan_changed
from runbook.services.signoffs import checkpoint_sign
from runbook.services.status import TRANSITIONS, blocking_predecessors, step_transition
from runbook.services.steps import PLAN_FIELDS, step_update

__all__ = [
    "PLAN_FIELDS",
    "TRANSITIONS",
    "blocking_predecessors",
    "calendar_entry_delete",
    "calendar_entry_save",
    "calendar_may_change",
    "calendar_rule_check",
    "checkpoint_sign",
    "comment_add",
    "dependency_add",
    "dependency_remove",
    "plan_changed",
    "runbook_instantiate",
    "step_transition",
    "step_update",
    "target_date_check",
]
