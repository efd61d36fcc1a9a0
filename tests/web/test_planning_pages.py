"""The planning rules on the pages: the plan check on the dashboard and the landing page, why a go-live sits
where it does, the areas' binding in the systems matrix, calendar windows on the timeline, and the verdict
for blocked steps. Plan-check findings and placements are set directly (no dependence on engine dates)."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from runbook.models import CalendarRule, FreezeWindow, Runbook, Step, StepKind
from runbook.selectors.steps import placement_messages, plan_check_message
from systems.models import Domain, LegalBinding

pytestmark = pytest.mark.django_db


def _url(name, world):
    return reverse(name, kwargs={"merger_id": world.merger.pk})


def _cutover(world) -> Step:
    return Step.objects.filter(runbook__merger=world.merger, kind=StepKind.CUTOVER).order_by("sequence").first()


def _set_plan_check(world) -> Step:
    step = _cutover(world)
    Runbook.objects.filter(merger=world.merger).update(plan_check=[
        {"kind": "not_just_in_time", "step_ids": [step.pk], "step_keys": [step.key], "date": "2006-09-01",
         "days": 25, "vendor": None, "week": None, "label": "training"},
    ])
    return step


def test_dashboard_says_the_plan_keeps_the_rules(world):
    Runbook.objects.filter(merger=world.merger).update(plan_check=[])
    response = world.client("viewer").get(_url("merger-dashboard", world))
    assert response.context["plan_check_count"] == 0
    assert "Planen overholder reglerne" in response.content.decode()


def test_dashboard_lists_plan_check_findings_with_step_links(world):
    step = _set_plan_check(world)
    response = world.client("viewer").get(_url("merger-dashboard", world))
    body = response.content.decode()
    assert response.context["plan_check_count"] == 1
    assert "25 arbejdsdage før idriftsættelsen" in body
    assert reverse("step-detail", kwargs={"merger_id": world.merger.pk, "step_id": step.pk}) in body
    # findings make the verdict at least amber, and say so
    assert response.context["verdict"].level in ("amber", "red")
    assert any("plankontrollen" in r for r in response.context["verdict"].reasons)


def test_landing_page_counts_plan_check_findings(world):
    _set_plan_check(world)
    body = world.client("chief").get(reverse("home")).content.decode()
    assert "Plankontrol: 1 fund" in body


def test_go_live_placement_on_rows_detail_and_dashboard(world):
    step = _cutover(world)
    Step.objects.filter(pk=step.pk).update(placement=["capacity", "freeze:Fællesferie"], go_live=dt.date(2006, 8, 7))
    expected = "Flyttet af frysperioden »Fællesferie«"
    runbook = world.client("viewer").get(_url("merger-runbook", world)).content.decode()
    detail = world.client("viewer").get(
        reverse("step-detail", kwargs={"merger_id": world.merger.pk, "step_id": step.pk})).content.decode()
    dashboard = world.client("viewer").get(_url("merger-dashboard", world)).content.decode()
    for body in (runbook, detail, dashboard):
        body = html.unescape(body)
        assert expected in body
        assert "Flyttet for at sprede KMD's belastning" in body


def test_step_detail_shows_target_and_binding(world):
    Domain.objects.filter(code="area0").update(binding=LegalBinding.MAY_FOLLOW, binding_latest=dt.date(2007, 3, 30))
    step = Step.objects.get(runbook__merger=world.merger, kind=StepKind.CUTOVER, domain__code="area0")
    Step.objects.filter(pk=step.pk).update(target_date=dt.date(2007, 2, 1))
    body = world.client("viewer").get(
        reverse("step-detail", kwargs={"merger_id": world.merger.pk, "step_id": step.pk})).content.decode()
    assert "1. feb. 2007" in body and "30. mar. 2007" in body  # the pages' one date format


def test_matrix_shows_binding_inferred(world):
    Domain.objects.filter(code="area0").update(binding=LegalBinding.LEGAL_DATE, binding_inferred=True)
    Domain.objects.filter(code="area1").update(binding=LegalBinding.FREE, binding_inferred=False)
    body = world.client("viewer").get(_url("merger-systems", world)).content.decode()
    assert "binding-legal_date" in body and "binding-free" in body
    areas = re.findall(r'<th scope="row" class="area">(.*?)</th>', body, re.S)  # one row per area
    assert len(areas) == 2 and sum("(antaget)" in a for a in areas) == 1


def test_timeline_draws_calendar_rules_and_freeze_windows(world):
    CalendarRule.objects.create(name="Fællesferie", kind="summer_holiday", blocks="work", week_from=28, week_to=30)
    FreezeWindow.objects.create(name="KMD's lukkeperiode", start=dt.date(2006, 12, 22), end=dt.date(2007, 1, 1))
    response = world.client("viewer").get(_url("merger-timeline", world))
    body = response.content.decode()
    assert "freeze blocks-work" in body and "freeze blocks-go_live" in body
    assert "Fællesferie" in body and "KMD's lukkeperiode" in html.unescape(body)
    assert "swatch freeze-work" in body


def test_blocked_critical_step_turns_the_merger_red_and_is_named(world):
    step = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.TASK).order_by("sequence").first()
    Step.objects.filter(pk=step.pk).update(status="blocked", is_critical=True, total_slack=0)
    dashboard = world.client("chief").get(_url("merger-dashboard", world))
    home = world.client("chief").get(reverse("home"))
    verdict = dashboard.context["verdict"]
    assert verdict.level == "red"
    assert any(step.key in r and "kritiske vej" in r for r in verdict.reasons), verdict.reasons
    # one definition: the landing page says the same
    line = next(r for r in home.context["rows"] if r["merger"].pk == world.merger.pk)
    assert line["summary"]["verdict"].level == "red"
    assert line["summary"]["verdict"].reasons == verdict.reasons


def test_blocked_step_with_little_slack_is_amber_and_named(world, settings):
    settings.MERGEPLAN_CHECKPOINT_NOTICE_DAYS = 10
    Step.objects.filter(runbook__merger=world.merger).update(
        is_critical=False, total_slack=40, at_risk=False, status="not_started",
        planned_start=dt.date(2006, 11, 1), planned_finish=dt.date(2006, 12, 1),
    )
    step = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.TASK).order_by("sequence").first()
    Step.objects.filter(pk=step.pk).update(status="blocked", total_slack=4)
    Runbook.objects.filter(merger=world.merger).update(schedule_findings=[], plan_check=[])
    verdict = world.client("chief").get(_url("merger-dashboard", world)).context["verdict"]
    assert verdict.level == "amber"
    assert any(step.key in r and "4 arbejdsdages slæk" in r for r in verdict.reasons), verdict.reasons


def test_messages_read_as_danish_sentences():
    with translation.override("da"):
        assert placement_messages(["legal_date"]) == ["Bundet til sammenlægningsdatoen"]
        assert placement_messages(["national_run"], vendor="KMD") == ["KMD's landsdækkende konverteringskørsel"]
        assert placement_messages(["target", "work", "dispensation"]) == [
            "Planlæggerens mål", "Tidligst muligt efter forberedelsen", "Dispensationsdato"]
        message = plan_check_message({"kind": "binding_broken", "step_keys": ["29-løn"], "date": "2007-01-03",
                                      "label": "legal_date"})
        assert "29-løn" in message and "3. jan. 2007" in message and "bundet til sammenlægningsdatoen" in message
    with translation.override("en"):
        assert placement_messages(["freeze:Fællesferie"]) == ["Moved by the freeze period »Fællesferie«"]
        assert plan_check_message({"kind": "unknown_kind", "label": "x"}) == "x"
