"""The planning rules over the API: an area's legal binding (staff), the steps' planning fields and their
target go-live (inside the go-live window), freeze windows and calendar rules (national: staff; a merger's
own: its IT chief), vendor capacity periods (staff), and the plan check of a merger.

Tests set ``Runbook.plan_check`` and ``Step.placement`` directly: they do not depend on the dates the
engine computes.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import Event
from municipalities.models import DispensationStatus
from runbook.models import CalendarRule, FreezeWindow, Runbook, Step, StepKind
from systems.models import Domain, LegalBinding, Vendor, VendorCapacityPeriod
from tests.factories import UserFactory, merger_with_runbook
from tests.support.api import client_for, written


@pytest.fixture
def staff_client(world):
    client = APIClient()
    client.force_login(UserFactory(username="staff", is_staff=True))
    return client


def _cutover(merger) -> Step:
    return Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER).order_by("sequence").first()


# --- the legal binding of an area ---------------------------------------------------------------------


def test_domain_shows_its_binding(world):
    domain = Domain.objects.get(code="area0")
    body = client_for(world, "viewer").get(f"/api/v1/domains/{domain.pk}/").json()
    assert body["binding"] == "dispensation"
    assert {"binding_latest", "binding_inferred", "binding_note", "holds_data", "central_conversion"} <= set(body)


def test_staff_changes_the_binding_recorded_and_replanned(world, staff_client, django_capture_on_commit_callbacks):
    domain = Domain.objects.get(code="area0")
    etag = staff_client.get(f"/api/v1/domains/{domain.pk}/")["ETag"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.patch(
            f"/api/v1/domains/{domain.pk}/",
            {"binding": "may_follow", "binding_latest": "2007-03-30", "binding_inferred": False,
             "binding_note": "KMD må konvertere før og muligvis også efter"},
            HTTP_IF_MATCH=etag,
        )
    assert response.status_code == 200, response.json()
    assert response.json()["binding"] == "may_follow" and response.json()["binding_latest"] == "2007-03-30"
    event = Event.objects.get(verb="domain_binding_changed", object_id=domain.pk)
    assert event.changes["binding"] == ["dispensation", "may_follow"]
    assert callbacks, "the mergers with a cutover in the area are replanned after commit"


@pytest.mark.parametrize("role", ["chief", "viewer", "coordinator", "advisor", "readonly"])
def test_only_staff_change_a_binding(world, role):
    domain = Domain.objects.get(code="area0")
    response = written(client_for(world, role), "patch", f"/api/v1/domains/{domain.pk}/", {"binding": "free"})
    assert response.status_code == 403
    assert Domain.objects.get(pk=domain.pk).binding == LegalBinding.DISPENSATION


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"binding": "whenever"}, "binding"),
        ({"binding": "may_follow"}, "binding_latest"),
        ({"binding": "may_follow", "binding_latest": "2006-12-01"}, "binding_latest"),
        ({"binding_latest": "not a date"}, "binding_latest"),
        ({"holds_data": "maybe"}, "holds_data"),
        ({"code": "x"}, "code"),
    ],
)
def test_bad_binding_is_400_naming_the_field(world, staff_client, body, field):
    domain = Domain.objects.get(code="area0")
    response = written(staff_client, "patch", f"/api/v1/domains/{domain.pk}/", body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Domain.objects.get(pk=domain.pk).binding == LegalBinding.DISPENSATION


def test_binding_latest_message_names_the_legal_date(world, staff_client):
    domain = Domain.objects.get(code="area0")
    response = written(
        staff_client, "patch", f"/api/v1/domains/{domain.pk}/",
        {"binding": "may_follow", "binding_latest": "2006-12-01"}, HTTP_ACCEPT_LANGUAGE="da",
    )
    assert "1. jan. 2007" in response.json()["binding_latest"][0]


def test_stale_if_match_on_a_domain_is_412(world, staff_client):
    domain = Domain.objects.get(code="area0")
    response = staff_client.patch(f"/api/v1/domains/{domain.pk}/", {"binding": "free"}, HTTP_IF_MATCH='W/"stale"')
    assert response.status_code == 412
    assert Domain.objects.get(pk=domain.pk).binding == LegalBinding.DISPENSATION


# --- steps: planning fields and the target go-live ---------------------------------------------------------


def test_steps_show_planning_fields_and_placement(world):
    step = _cutover(world.a)
    Step.objects.filter(pk=step.pk).update(placement=["dispensation", "freeze:Fællesferie"])
    body = client_for(world, "viewer").get(f"/api/v1/steps/{step.pk}/").json()
    assert body["placement"] == ["dispensation", "freeze:Fællesferie"]
    assert body["direction"] == "asap" and body["needs_users"] is False and body["plan_tag"] == ""
    assert body["target_date"] is None
    milestone = client_for(world, "viewer").get(f"/api/v1/milestones/{step.pk}/").json()
    assert milestone["placement"] == ["dispensation", "freeze:Fællesferie"]


def test_chief_sets_planning_fields(world):
    step = Step.objects.filter(runbook__merger=world.a, kind=StepKind.TASK).first()
    response = written(
        client_for(world, "chief"), "patch", f"/api/v1/steps/{step.pk}/",
        {"direction": "alap", "needs_users": True, "plan_tag": "training"},
    )
    assert response.status_code == 200, response.json()
    step.refresh_from_db()
    assert (step.direction, step.needs_users, step.plan_tag) == ("alap", True, "training")
    assert Event.objects.filter(verb="step_updated", object_id=step.pk).exists()


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor", "readonly"])
def test_others_may_not_set_a_target(world, role):
    step = _cutover(world.a)
    response = written(client_for(world, role), "patch", f"/api/v1/steps/{step.pk}/", {"target_date": "2007-01-02"})
    assert response.status_code == 403
    assert Step.objects.get(pk=step.pk).target_date is None


def test_target_inside_the_window_is_kept(world):
    world.a.dispensation_status = DispensationStatus.GRANTED
    world.a.save(update_fields=["dispensation_status"])
    step = _cutover(world.a)
    response = written(client_for(world, "chief"), "patch", f"/api/v1/steps/{step.pk}/", {"target_date": "2006-10-02"})
    assert response.status_code == 200, response.json()
    assert Step.objects.get(pk=step.pk).target_date == dt.date(2006, 10, 2)


def test_target_outside_the_window_names_the_window(world):
    world.a.dispensation_status = DispensationStatus.GRANTED
    world.a.save(update_fields=["dispensation_status"])
    step = _cutover(world.a)
    response = written(
        client_for(world, "chief"), "patch", f"/api/v1/steps/{step.pk}/", {"target_date": "2006-05-01"},
        HTTP_ACCEPT_LANGUAGE="da",
    )
    assert response.status_code == 400
    message = response.json()["target_date"][0]
    # dispensation from 1 July 2006 (a Saturday: the window opens on Monday 3 July) to the legal date's
    # first working day
    assert "3. jul. 2006" in message and "2. jan. 2007" in message, message
    assert Step.objects.get(pk=step.pk).target_date is None


def test_target_of_a_legal_date_area_must_be_the_legal_date(world):
    Domain.objects.filter(code="area0").update(binding=LegalBinding.LEGAL_DATE)
    step = Step.objects.get(runbook__merger=world.a, kind=StepKind.CUTOVER, domain__code="area0")
    chief = client_for(world, "chief")
    assert written(chief, "patch", f"/api/v1/steps/{step.pk}/", {"target_date": "2006-12-01"}).status_code == 400
    assert written(chief, "patch", f"/api/v1/steps/{step.pk}/", {"target_date": "2007-01-02"}).status_code == 200


def test_target_on_a_task_is_400(world):
    step = Step.objects.filter(runbook__merger=world.a, kind=StepKind.TASK).first()
    response = written(client_for(world, "chief"), "patch", f"/api/v1/steps/{step.pk}/", {"target_date": "2007-01-02"})
    assert response.status_code == 400 and "target_date" in response.json()


@pytest.mark.parametrize(("body", "field"), [({"direction": "sideways"}, "direction"),
                                             ({"plan_tag": "party"}, "plan_tag"),
                                             ({"target_date": "soon"}, "target_date"),
                                             ({"placement": ["target"]}, "placement")])
def test_bad_planning_fields_are_400(world, body, field):
    step = _cutover(world.a)
    response = written(client_for(world, "chief"), "patch", f"/api/v1/steps/{step.pk}/", body)
    assert response.status_code == 400 and field in response.json()


def test_waves_show_their_target_date(world):
    from runbook.models import Wave

    wave = Wave.objects.create(runbook=world.a.runbook, number=1, name="Bølge 1", target_date=dt.date(2006, 9, 4))
    body = client_for(world, "viewer").get(f"/api/v1/waves/{wave.pk}/").json()
    assert body["target_date"] == "2006-09-04"


# --- freeze windows and calendar rules ------------------------------------------------------------------


@pytest.fixture
def calendar(world):
    national = FreezeWindow.objects.create(name="KMD's lukkeperiode", start=dt.date(2006, 12, 22),
                                           end=dt.date(2007, 1, 1), vendor=Vendor.objects.get(code="kmd"))
    own = FreezeWindow.objects.create(name="Byrådsmøde", start=dt.date(2006, 9, 1), end=dt.date(2006, 9, 1),
                                      merger=world.a, blocks="work")
    foreign = FreezeWindow.objects.create(name="Andres", start=dt.date(2006, 9, 1), end=dt.date(2006, 9, 2),
                                          merger=world.b)
    summer = CalendarRule.objects.create(name="Fællesferie", kind="summer_holiday", blocks="work", week_from=28,
                                         week_to=30)
    own_rule = CalendarRule.objects.create(name="Lønkørsel", kind="payroll_run", days=5, merger=world.a)
    foreign_rule = CalendarRule.objects.create(name="Andres løn", kind="payroll_run", merger=world.b)
    return {"national": national, "own": own, "foreign": foreign, "summer": summer, "own_rule": own_rule,
            "foreign_rule": foreign_rule}


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor", "chief", "readonly"])
def test_calendar_read_national_and_own(world, calendar, role):
    client = client_for(world, role)
    windows = {w["name"] for w in client.get("/api/v1/freeze-windows/").json()["results"]}
    rules = {r["name"] for r in client.get("/api/v1/calendar-rules/").json()["results"]}
    assert windows == {"KMD's lukkeperiode", "Byrådsmøde"}
    assert rules == {"Fællesferie", "Lønkørsel"}
    assert client.get(f"/api/v1/freeze-windows/{calendar['foreign'].pk}/").status_code == 404
    assert client.get(f"/api/v1/calendar-rules/{calendar['foreign_rule'].pk}/").status_code == 404
    body = client.get(f"/api/v1/freeze-windows/{calendar['own'].pk}/").json()
    assert body["blocks"] == "work" and body["merger"] == world.a.pk


def test_calendar_anonymous_is_401_outsider_sees_national_only(world, calendar):
    assert client_for(world, "anonymous").get("/api/v1/freeze-windows/").status_code in (401, 403)
    names = {w["name"] for w in client_for(world, "outsider").get("/api/v1/freeze-windows/").json()["results"]}
    assert names == {"KMD's lukkeperiode"}


def test_chief_creates_changes_and_removes_own_windows(world, calendar, django_capture_on_commit_callbacks):
    chief = client_for(world, "chief")
    with django_capture_on_commit_callbacks() as callbacks:
        response = chief.post("/api/v1/freeze-windows/", {
            "name": "Flytning af serverrum", "start": "2006-10-09", "end": "2006-10-13", "merger": world.a.pk,
            "domain": "area0", "blocks": "go_live",
        })
    assert response.status_code == 201, response.json()
    assert callbacks
    pk = response.json()["id"]
    assert response.json()["domain"] == "area0"
    etag = chief.get(f"/api/v1/freeze-windows/{pk}/")["ETag"]
    response = chief.patch(f"/api/v1/freeze-windows/{pk}/", {"end": "2006-10-16"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["end"] == "2006-10-16"
    assert written(chief, "delete", f"/api/v1/freeze-windows/{pk}/").status_code == 204
    assert [e.verb for e in Event.objects.filter(verb__startswith="freezewindow_").order_by("pk")] == [
        "freezewindow_added", "freezewindow_changed", "freezewindow_removed"]
    response = written(chief, "patch", f"/api/v1/calendar-rules/{calendar['own_rule'].pk}/", {"days": 4})
    assert response.status_code == 200 and response.json()["days"] == 4


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor", "readonly"])
def test_others_may_not_change_the_calendar(world, calendar, role):
    client = client_for(world, role)
    response = client.post("/api/v1/freeze-windows/", {"name": "X", "start": "2006-10-09", "end": "2006-10-09",
                                                       "merger": world.a.pk})
    assert response.status_code == 403
    assert written(client, "patch", f"/api/v1/calendar-rules/{calendar['own_rule'].pk}/", {"days": 1}).status_code == 403
    assert written(client, "delete", f"/api/v1/freeze-windows/{calendar['own'].pk}/").status_code == 403
    assert FreezeWindow.objects.filter(pk=calendar["own"].pk).exists()


def test_national_calendar_is_staffs(world, calendar, staff_client):
    chief = client_for(world, "chief")
    assert written(chief, "patch", f"/api/v1/calendar-rules/{calendar['summer'].pk}/", {"week_to": 31}).status_code == 403
    assert chief.post("/api/v1/freeze-windows/", {"name": "X", "start": "2006-10-09",
                                                  "end": "2006-10-09"}).status_code == 403
    # a merger of someone else is not a choice
    response = chief.post("/api/v1/freeze-windows/", {"name": "X", "start": "2006-10-09", "end": "2006-10-09",
                                                      "merger": world.b.pk})
    assert response.status_code == 400 and "merger" in response.json()
    response = written(staff_client, "patch", f"/api/v1/calendar-rules/{calendar['summer'].pk}/", {"week_to": 31})
    assert response.status_code == 200 and response.json()["week_to"] == 31
    response = staff_client.post("/api/v1/calendar-rules/", {"name": "Årsafslutning", "kind": "year_end",
                                                            "month_from": 12, "day_from": 1, "month_to": 12,
                                                            "day_to": 31, "domain": "area1"})
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("freeze-windows", {"name": "X", "start": "2006-10-09", "end": "2006-10-01"}, "end"),
        ("freeze-windows", {"name": "X", "start": "2006-10-09", "end": "2006-10-09", "blocks": "all"}, "blocks"),
        ("freeze-windows", {"name": "X", "start": "2006-10-09", "end": "2006-10-09", "vendor": "nobody"},
         "vendor"),
        ("calendar-rules", {"name": "X", "kind": "summer_holiday", "week_from": 30, "week_to": 28}, "week_to"),
        ("calendar-rules", {"name": "X", "kind": "summer_holiday"}, "week_from"),
        ("calendar-rules", {"name": "X", "kind": "year_end", "month_from": 2, "day_from": 30, "month_to": 3,
                            "day_to": 1}, "day_from"),
        ("calendar-rules", {"name": "X", "kind": "party"}, "kind"),
        ("calendar-rules", {"name": "X", "kind": "payroll_run", "days": 0}, "days"),
    ],
)
def test_bad_calendar_input_is_400_naming_the_field(world, staff_client, url, body, field):
    response = staff_client.post(f"/api/v1/{url}/", body)
    assert response.status_code == 400
    assert field in response.json(), response.json()


# --- vendor capacity periods ---------------------------------------------------------------------------


def test_capacity_periods_read_by_all_written_by_staff(world, staff_client):
    period = VendorCapacityPeriod.objects.create(vendor=Vendor.objects.get(code="kmd"), start=dt.date(2006, 7, 10),
                                                 end=dt.date(2006, 7, 28), capacity=1, note="Sommer")
    viewer = client_for(world, "viewer")
    assert viewer.get("/api/v1/vendor-capacity-periods/").json()["results"][0]["vendor"] == "kmd"
    assert written(viewer, "patch", f"/api/v1/vendor-capacity-periods/{period.pk}/", {"capacity": 3}).status_code == 403
    assert client_for(world, "chief").post("/api/v1/vendor-capacity-periods/", {
        "vendor": "kmd", "start": "2006-12-01", "end": "2006-12-20", "capacity": 1}).status_code == 403
    response = staff_client.post("/api/v1/vendor-capacity-periods/", {
        "vendor": "kmd", "start": "2006-12-01", "end": "2006-12-20", "capacity": 1})
    assert response.status_code == 201, response.json()
    response = written(staff_client, "patch", f"/api/v1/vendor-capacity-periods/{period.pk}/", {"end": "2006-07-01"})
    assert response.status_code == 400 and "end" in response.json()
    response = written(staff_client, "patch", f"/api/v1/vendor-capacity-periods/{period.pk}/", {"capacity": -1})
    assert response.status_code == 400 and "capacity" in response.json()
    assert written(staff_client, "delete", f"/api/v1/vendor-capacity-periods/{period.pk}/").status_code == 204
    assert Event.objects.filter(verb="capacity_period_removed").exists()


# --- the plan check ----------------------------------------------------------------------------------------


def _plan_check(merger) -> list[dict]:
    step = _cutover(merger)
    findings = [
        {"kind": "go_live_closed", "step_ids": [step.pk], "step_keys": [step.key], "date": "2006-07-12",
         "days": 0, "vendor": None, "week": None, "label": "Fællesferie"},
        {"kind": "vendor_overload", "step_ids": [step.pk], "step_keys": [step.key], "date": None, "days": 2,
         "vendor": "KMD", "week": "2006-W27", "label": ""},
    ]
    Runbook.objects.filter(merger=merger).update(plan_check=findings)
    return findings


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor", "chief", "readonly"])
def test_plan_check_for_everyone_in_the_merger(world, role):
    _plan_check(world.a)
    step = _cutover(world.a)
    response = client_for(world, role).get(f"/api/v1/mergers/{world.a.pk}/plan-check/", HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 200
    body = response.json()
    assert body["merger"] == world.a.pk and body["count"] == 2
    first, second = body["findings"]
    assert first["kind"] == "go_live_closed" and "»Fællesferie«" in first["message"]
    assert "12. jul. 2006" in first["message"]
    assert first["steps"] == [{"id": step.pk, "key": step.key, "url": f"/m/{world.a.pk}/steps/{step.pk}/",
                               "api_url": f"/api/v1/steps/{step.pk}/"}]
    assert "uge 27 (2006)" in second["message"] and "KMD" in second["message"]


def test_plan_check_empty_and_outsiders(world):
    body = client_for(world, "viewer").get(f"/api/v1/mergers/{world.a.pk}/plan-check/").json()
    assert body == {"merger": world.a.pk, "count": 0, "findings": []}
    assert client_for(world, "viewer").get(f"/api/v1/mergers/{world.b.pk}/plan-check/").status_code == 404
    assert client_for(world, "outsider").get(f"/api/v1/mergers/{world.a.pk}/plan-check/").status_code == 404
    assert client_for(world, "anonymous").get(f"/api/v1/mergers/{world.a.pk}/plan-check/").status_code in (401, 403)


# --- query counts of the new endpoints ----------------------------------------------------------------------

PINNED = {
    # session + user, then the view's own
    "freeze-windows/": 4,  # count, rows (vendor and domain joined)
    "calendar-rules/": 4,
    "vendor-capacity-periods/": 4,
    "domains/": 4,
    "plan-check": 5,  # merger, its members (the merger viewset's prefetch), the stored plan check
}


def _sized(size: int):
    chief = UserFactory(username=f"qchief{size}")
    merger = merger_with_runbook(municipalities=2 + size, domains=1 + size, chief=chief)
    kmd = Vendor.objects.get(code="kmd")
    for i in range(2 + size):
        FreezeWindow.objects.create(name=f"F{i}", start=dt.date(2006, 9, 1 + i), end=dt.date(2006, 9, 2 + i),
                                    merger=merger if i % 2 else None, vendor=kmd if i % 3 else None)
        CalendarRule.objects.create(name=f"R{i}", kind="payroll_run", merger=merger if i % 2 else None,
                                    domain=Domain.objects.first())
        VendorCapacityPeriod.objects.create(vendor=kmd, start=dt.date(2006, 6, 1 + i),
                                            end=dt.date(2006, 6, 2 + i), capacity=1)
    steps = list(Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER))
    Runbook.objects.filter(merger=merger).update(plan_check=[
        {"kind": "binding_broken", "step_ids": [s.pk], "step_keys": [s.key], "date": "2006-10-02", "days": 0,
         "vendor": None, "week": None, "label": ""} for s in steps
    ])
    return chief, merger


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("endpoint", list(PINNED))
def test_new_endpoints_query_counts(db, endpoint, size):
    chief, merger = _sized(size)
    client = APIClient()
    client.force_login(chief)
    url = f"/api/v1/mergers/{merger.pk}/plan-check/" if endpoint == "plan-check" else f"/api/v1/{endpoint}?page_size=500"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert len(ctx.captured_queries) == PINNED[endpoint], "\n".join(q["sql"] for q in ctx.captured_queries)
