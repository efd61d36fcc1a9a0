"""Baselines over the API: capture (IT chief only; refusals change nothing), list, the milestones'
``baseline_date`` from the latest baseline, and the comparison in working days, slipped go-lives first."""
from __future__ import annotations

import datetime as dt

import pytest

from audit.models import Event
from municipalities.models import Role
from runbook.baselines import baseline_capture
from runbook.models import Baseline, BaselineEntry, Step, StepKind
from tests.factories import MembershipFactory
from tests.support.api import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/baselines/"


def _capture(world, role="chief", **body):
    return client_for(world, role).post(URL, {"runbook": world.a.runbook.pk, "name": "Godkendt plan", **body},
                                        format="json")


def _cutover(world) -> Step:
    return Step.objects.filter(runbook__merger=world.a, kind=StepKind.CUTOVER).order_by("sequence").first()


def test_the_chief_captures_a_baseline_of_every_step_with_an_audit_event(world):
    # when
    response = _capture(world)
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    steps = Step.objects.filter(runbook__merger=world.a).count()
    assert body["name"] == "Godkendt plan" and body["step_count"] == steps and body["captured_by"] == "chief"
    assert body["merger"] == world.a.pk and "ETag" in response.headers
    assert BaselineEntry.objects.filter(baseline_id=body["id"]).count() == steps
    assert Event.objects.filter(verb="baseline_captured", object_id=body["id"], merger=world.a).exists()


@pytest.mark.parametrize("role, code", [("viewer", 403), ("coordinator", 403), ("advisor", 403),
                                         ("readonly", 403), ("outsider", 400), ("anonymous", 401)])
def test_others_may_not_capture_and_nothing_is_written(world, role, code):
    response = _capture(world, role)
    assert response.status_code == code, response.content
    if role == "outsider":  # the runbook is outside the user's mergers: not found by the field
        assert "runbook" in response.json()
    assert not Baseline.objects.exists() and not Event.objects.filter(verb="baseline_captured").exists()


@pytest.mark.parametrize("body, field", [
    ({"name": "  "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": 5}, "name"),
    ({"runbook": None}, "runbook"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_a_400_naming_the_field(world, body, field):
    response = _capture(world, **body)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Baseline.objects.exists()


def test_a_name_is_unique_per_runbook(world):
    assert _capture(world).status_code == 201
    again = _capture(world)
    assert again.status_code == 400 and "name" in again.json()
    assert Baseline.objects.count() == 1


def test_the_chief_of_another_merger_cannot_capture_ours(world):
    response = client_for(world, "chief").post(URL, {"runbook": world.b.runbook.pk, "name": "X"}, format="json")
    assert response.status_code == 400 and "runbook" in response.json()


def test_list_latest_first_and_scoped(world):
    first = baseline_capture(runbook=world.a.runbook, name="B1", check_permission=False)
    second = baseline_capture(runbook=world.a.runbook, name="B2", check_permission=False)
    baseline_capture(runbook=world.b.runbook, name="Theirs", check_permission=False)
    body = client_for(world, "viewer").get(URL).json()
    assert [r["name"] for r in body["results"]] == ["B2", "B1"]
    assert client_for(world, "viewer").get(f"{URL}?merger={world.a.pk}").json()["count"] == 2
    assert client_for(world, "viewer").get(f"{URL}{second.pk}/").status_code == 200
    foreign = Baseline.objects.get(name="Theirs")
    assert client_for(world, "viewer").get(f"{URL}{foreign.pk}/").status_code == 404
    assert first.pk in [r["id"] for r in body["results"]]


def test_milestones_show_the_latest_baselines_date(world):
    milestone = Step.objects.filter(runbook__merger=world.a, kind=StepKind.CUTOVER).first()
    client = client_for(world, "viewer")

    def baseline_date():
        rows = client.get(f"/api/v1/milestones/?merger={world.a.pk}&page_size=500").json()["results"]
        return next(r["baseline_date"] for r in rows if r["id"] == milestone.pk)

    assert baseline_date() is None
    baseline_capture(runbook=world.a.runbook, name="B1", check_permission=False)
    assert baseline_date() == milestone.planned_finish.isoformat()
    Step.objects.filter(pk=milestone.pk).update(planned_finish=dt.date(2006, 12, 1))
    baseline_capture(runbook=world.a.runbook, name="B2", check_permission=False)
    assert baseline_date() == "2006-12-01"  # the latest baseline, not the first
    detail = client.get(f"/api/v1/milestones/{milestone.pk}/").json()
    assert detail["baseline_date"] == "2006-12-01"


def test_comparison_with_the_plan_now_in_working_days_slipped_go_lives_first(world):
    cutover = _cutover(world)
    task = Step.objects.filter(runbook__merger=world.a, kind=StepKind.TASK).order_by("sequence").first()
    # given: a baseline with the cutover finishing on Thursday 20 April 2006, a task on Monday 3 April
    Step.objects.filter(pk=cutover.pk).update(planned_start=dt.date(2006, 4, 20), planned_finish=dt.date(2006, 4, 20))
    Step.objects.filter(pk=task.pk).update(planned_start=dt.date(2006, 4, 3), planned_finish=dt.date(2006, 4, 3))
    base = baseline_capture(runbook=world.a.runbook, name="B1", check_permission=False)
    # when: the cutover moves to Wednesday 26 April (4 working days), the task to Wednesday 19 April (9
    # working days: skærtorsdag, langfredag and 2. påskedag are closed) — the task slips more, but go-lives
    # come first
    Step.objects.filter(pk=cutover.pk).update(planned_start=dt.date(2006, 4, 26), planned_finish=dt.date(2006, 4, 26))
    Step.objects.filter(pk=task.pk).update(planned_start=dt.date(2006, 4, 19), planned_finish=dt.date(2006, 4, 19))
    response = client_for(world, "viewer").get(f"{URL}{base.pk}/comparison/")
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    first, second = body["rows"][0], body["rows"][1]
    assert (first["key"], first["finish_variance"], first["is_go_live"]) == (cutover.key, 4, True)
    assert (second["key"], second["finish_variance"]) == (task.key, 9)
    assert body["against"] is None and body["base"]["name"] == "B1"
    assert body["summary"]["slipped"] == 2 and body["summary"]["slipped_go_lives"] == 1
    assert body["summary"]["most_slipped_go_live"]["key"] == cutover.key


def test_comparison_of_two_baselines(world):
    cutover = _cutover(world)
    day = {"planned_start": dt.date(2006, 5, 3), "planned_finish": dt.date(2006, 5, 3)}
    Step.objects.filter(pk=cutover.pk).update(**day)
    b1 = baseline_capture(runbook=world.a.runbook, name="B1", check_permission=False)
    day = {"planned_start": dt.date(2006, 4, 26), "planned_finish": dt.date(2006, 4, 26)}  # 5 working days earlier
    Step.objects.filter(pk=cutover.pk).update(**day)
    b2 = baseline_capture(runbook=world.a.runbook, name="B2", check_permission=False)
    day = {"planned_start": dt.date(2007, 1, 2), "planned_finish": dt.date(2007, 1, 2)}  # now: not compared
    Step.objects.filter(pk=cutover.pk).update(**day)
    body = client_for(world, "viewer").get(f"{URL}{b1.pk}/comparison/?against={b2.pk}").json()
    row = next(r for r in body["rows"] if r["key"] == cutover.key)
    assert row["finish_variance"] == -5 and body["against"]["name"] == "B2"
    assert body["summary"]["earlier"] == 1 and body["summary"]["slipped"] == 0


@pytest.mark.parametrize(("against", "code"), [("abc", 400), ("0", 400), ("-1", 400), ("999999", 404),
                                               ("theirs", 404), ("other_runbook", 404)])
def test_comparison_refuses_a_bad_against_naming_it(world, against, code):
    """Not a whole number from 1 (the schema's minimum): 400 naming ``against``; a number that names no
    baseline of the same runbook the user may see: 404, as an unknown id in the path (the schema's promise)."""
    base = baseline_capture(runbook=world.a.runbook, name="B1", check_permission=False)
    theirs = baseline_capture(runbook=world.b.runbook, name="T", check_permission=False)
    value = {"theirs": str(theirs.pk)}.get(against, against)
    if against == "other_runbook":  # the chief of both mergers: visible, but not of the base's runbook
        MembershipFactory(merger=world.b, role=Role.VIEWER, user=world.users["chief"])
        value = str(theirs.pk)
    response = client_for(world, "chief").get(f"{URL}{base.pk}/comparison/?against={value}")
    assert response.status_code == code, response.content
    assert "against" in response.content.decode()
