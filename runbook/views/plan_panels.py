"""What the step page shows for plan editing (links, the dependency picker, the replan notice): one place
for ``runbook.views.steps`` (the page) and ``runbook.views.plan`` (its forms re-rendered with errors)."""
from __future__ import annotations

from municipalities.permissions import Action, MergerAccess
from runbook.forms.plan import DependencyAddForm
from runbook.models import Step
from runbook.selectors.plan import replan_pending


def plan_panels(step: Step, access: MergerAccess, *, dependency_form=None, q: str = "", picked=None) -> dict:
    """Context of the step page's plan editing (one query: whether a replan is pending)."""
    return {
        "can_edit_plan": access.allows(Action.EDIT_PLAN),
        "dependency_form": dependency_form or DependencyAddForm(initial={"side": "predecessor", "type": "FS",
                                                                         "lag_days": 0}),
        "picker": {"q": q, "steps": picked[0] if picked else [], "more": picked[1] if picked else 0},
        "replan_pending": replan_pending(step.runbook.merger_id),
    }
