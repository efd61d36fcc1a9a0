"""Selectors for the pages and the API: progress (one query at any size), overdue steps, messages."""
import datetime as dt

import pytest
from django.utils import translation

from runbook.models import Step, StepStatus
from runbook.planning import schedule_apply
from runbook.selectors.steps import (
    finding_message,
    progress_for_merger,
    risk_reason_message,
    steps_at_risk,
    steps_overdue,
)
from runbook.services import step_transition
from tests.factories import UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("municipalities,domains", [(2, 1), (4, 3)])
def test_progress_is_one_query_weighted_by_duration(municipalities, domains, django_assert_num_queries):
    chief = UserFactory(username="chief")
    merger = merger_with_runbook(municipalities=municipalities, domains=domains, chief=chief)
    step_transition(step=Step.objects.get(runbook__merger=merger, key="1"), status=StepStatus.DONE, actor=chief)
    # query: the steps with their phase, municipality and domain
    with django_assert_num_queries(1):
        progress = progress_for_merger(merger)
    total = Step.objects.filter(runbook__merger=merger).count()
    overall = progress["overall"]
    assert overall["total_steps"] == total and overall["done_steps"] == 1
    assert overall["done_days"] == 5  # the survey
    # survey 5, area prep 3 each, conversions 2 each, checkpoint 1, cutovers 1 each, milestone counts 1
    conversions = municipalities * domains  # every old code is converted, the seat's own included
    assert overall["total_days"] == 5 + 3 * domains + 2 * conversions + 1 + domains + 1
    assert overall["percent"] == round(100 * 5 / overall["total_days"], 1)
    assert overall["by_status"][StepStatus.DONE] == 1
    assert sum(g["total_steps"] for g in progress["by_domain"]) == total
    assert sum(g["total_days"] for g in progress["by_municipality"]) == overall["total_days"]
    assert {g["label"] for g in progress["by_phase"]} == {"1. Fase"}
    assert progress["by_municipality"][-1]["id"] is None  # the joint steps last
    assert len(progress["by_municipality"]) == municipalities + 1  # every member is converted, then joint


def test_overdue_and_at_risk(settings):
    from runbook.risks import risks_detect

    merger = merger_with_runbook(municipalities=2, domains=1)
    schedule_apply(merger)
    assert not steps_overdue(merger).exists()
    overdue = steps_overdue(merger, on=dt.date(2006, 3, 27))
    assert [s.key for s in overdue] == ["1", "2-area0"]
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 27)
    risks_detect(merger_id=merger.pk)
    assert [s.key for s in steps_at_risk(merger)] == ["1", "2-area0"]
    with translation.override("en"):
        assert risk_reason_message(steps_at_risk(merger)[0].risk_reasons[0]) == "Overdue by 4 working days"


def test_finding_messages_in_plain_words():
    with translation.override("en"):
        assert finding_message(
            {"kind": "deadline_missed", "step_keys": ["12", "19", "29-payroll"], "date": "2007-01-02", "days": 4}
        ) == "Chain 12 → 19 → 29-payroll misses 2 Jan 2007 by 4 working days"
        assert finding_message(
            {"kind": "capacity_overflow", "vendor": "kmd", "vendor_name": "KMD", "week": "2006-W52",
             "count": 5, "capacity": 2}
        ) == "KMD: 5 cutovers in week 52 (2006), capacity 2"
        long = finding_message({"kind": "deadline_missed", "step_keys": [str(i) for i in range(10)],
                                "date": "2007-01-02", "days": 1})
        assert long == "Chain 0 → 1 → … → 7 → 8 → 9 misses 2 Jan 2007 by 1 working day"
    with translation.override("da"):
        assert "KMD" in finding_message({"kind": "capacity_overflow", "vendor_name": "KMD", "week": "2006-W52",
                                         "count": 5, "capacity": 2})
