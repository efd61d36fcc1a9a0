"""The go-live window of a cutover, and the rule that a cutover's target go-live lies in it."""
from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.clock import today
from core.exceptions import ApplicationError
from engine import Scenario, go_live_window
from municipalities.models import Merger
from runbook.models import Step, StepKind
from runbook.workdays import danish_calendar
from systems.models import LegalBinding


def go_live_window_of(step: Step, merger: Merger):
    """The window [gate, deadline] a cutover may go live in under the merger's current dispensation state
    (scenario "actual") and its area's binding."""
    domain = step.domain
    gate, deadline = go_live_window(
        binding=domain.binding if domain is not None else None,
        scenario=Scenario.ACTUAL,
        legal_date=merger.legal_date,
        dispensation_date=merger.dispensation_date,
        dispensation_granted=merger.dispensation_granted,
        status_date=today(),
        latest=domain.binding_latest if domain is not None else None,
    )
    # in working days: the first working day on or after each end (the legal date's is its first working day)
    last = deadline or gate
    cal = danish_calendar(min(gate, last).year - 1, max(gate, last).year + 1)
    return cal.next_working_day(gate), (cal.next_working_day(deadline) if deadline else None)


def target_date_check(step: Step, target) -> None:
    """A target go-live belongs to a cutover and lies in its go-live window."""
    if target is None:
        return
    if step.kind != StepKind.CUTOVER:
        raise ApplicationError(_("Only a cutover has a target go-live."), field="target_date")
    merger = Merger.objects.get(pk=step.runbook.merger_id)
    gate, deadline = go_live_window_of(step, merger)
    if target < gate or (deadline is not None and target > deadline):
        binding = str(LegalBinding(step.domain.binding if step.domain is not None else "dispensation").label).lower()
        if deadline is None:
            raise ApplicationError(
                _("The target must lie on or after %(start)s (the area's binding: %(binding)s).")
                % {"start": date_format(gate), "binding": binding},
                field="target_date",
            )
        raise ApplicationError(
            _("The target must lie in the window %(start)s – %(end)s (the area's binding: %(binding)s).")
            % {"start": date_format(gate), "end": date_format(deadline), "binding": binding},
            field="target_date",
        )

