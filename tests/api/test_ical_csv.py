"""The milestone calendar (parsed back with icalendar) and the CSV exports of steps and milestones."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from icalendar import Calendar

from municipalities.tokens import feed_token_create, feed_token_revoke, feed_url
from runbook.models import Step, StepKind
from runbook.planning import schedule_apply
from runbook.services import step_update
from tests.support.api import client_for

MILESTONE_KINDS = [StepKind.MILESTONE, StepKind.CHECKPOINT, StepKind.CUTOVER]


def _events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_calendar_has_one_all_day_event_per_milestone_checkpoint_and_cutover(world):
    client = client_for(world, "viewer")

    response = client.get(f"/api/v1/mergers/{world.a.pk}/milestones.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    events = _events(response.content)
    steps = list(Step.objects.filter(runbook__merger=world.a, kind__in=MILESTONE_KINDS))
    assert set(events) == {f"step-{s.pk}@mergeplan" for s in steps}
    for step in steps:
        event = events[f"step-{step.pk}@mergeplan"]
        start = event.decoded("DTSTART")
        assert isinstance(start, dt.date) and not isinstance(start, dt.datetime)  # all-day
        assert start == step.planned_finish
        assert event.decoded("DTEND") == start + dt.timedelta(days=1)
        assert event["DTSTAMP"]
        if step.total_slack is not None:  # the description speaks Danish, like the pages
            assert f"Slæk: {step.total_slack} arbejdsdage" in str(event["DESCRIPTION"])
    # nothing of merger B
    other = Step.objects.filter(runbook__merger=world.b, kind__in=MILESTONE_KINDS).first()
    assert f"step-{other.pk}@mergeplan" not in events


def test_uids_are_stable_and_sequence_grows_when_a_date_moves(world):
    client = client_for(world, "chief")
    url = f"/api/v1/mergers/{world.a.pk}/milestones.ics"
    schedule_apply(world.a)
    before = _events(client.get(url).content)

    first = world.step(world.a, "1")
    step_update(step=first, actor=world.users["chief"], data={"duration_days": first.duration_days + 10})
    schedule_apply(world.a)
    after = _events(client.get(url).content)

    assert set(before) == set(after)
    moved = [uid for uid in after if after[uid].decoded("DTSTART") != before[uid].decoded("DTSTART")]
    assert moved, "a longer first step moves the milestones"
    for uid in moved:
        assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    # asking again without a change gives the same calendar events
    again = _events(client.get(url).content)
    assert {u: int(e["SEQUENCE"]) for u, e in again.items()} == {u: int(e["SEQUENCE"]) for u, e in after.items()}


def test_feed_token_works_without_session_and_stops_when_revoked(world):
    viewer = world.users["viewer"]
    token, raw = feed_token_create(user=viewer)
    url = feed_url(None, world.a.pk, raw)
    assert url == f"/api/v1/mergers/{world.a.pk}/milestones.ics?token={raw}"
    anonymous = client_for(world, "anonymous")

    assert anonymous.get(url).status_code == 200
    assert anonymous.get(f"/api/v1/mergers/{world.b.pk}/milestones.ics?token={raw}").status_code == 404
    # a feed token opens the calendar only
    assert anonymous.get(f"/api/v1/steps/?token={raw}").status_code == 401

    feed_token_revoke(token=token, actor=viewer)
    assert anonymous.get(url).status_code in (401, 404)
    assert anonymous.get(f"/api/v1/mergers/{world.a.pk}/milestones.ics").status_code == 401


def test_new_feed_token_revokes_the_previous_one(world):
    viewer = world.users["viewer"]
    _, old = feed_token_create(user=viewer)
    _, new = feed_token_create(user=viewer)
    client = client_for(world, "anonymous")
    assert client.get(feed_url(None, world.a.pk, old)).status_code == 401
    assert client.get(feed_url(None, world.a.pk, new)).status_code == 200


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("url", ["/api/v1/steps/?format=csv", "/api/v1/steps.csv"])
def test_steps_csv_has_bom_and_danish_letters(world, url):
    Step.objects.filter(pk=world.step(world.a, "1").pk).update(name="Kortlægning af løn og økonomi i Højer")

    rows = _csv_rows(client_for(world, "viewer").get(url))

    assert len(rows) == Step.objects.filter(runbook__merger=world.a).count()  # every row, not a page
    assert "Kortlægning af løn og økonomi i Højer" in {r["name"] for r in rows}
    assert {r["merger"] for r in rows} == {str(world.a.pk)}


def test_milestones_csv_applies_the_filters(world):
    client = client_for(world, "viewer")
    cutovers = _csv_rows(client.get("/api/v1/milestones.csv?kind=cutover"))
    with_vendor = _csv_rows(client.get("/api/v1/milestones/?format=csv&vendor=kmd&kind=cutover"))
    municipality = world.own_municipality.code
    own = _csv_rows(client.get(f"/api/v1/steps.csv?municipality={municipality}"))
    due = _csv_rows(client.get("/api/v1/milestones.csv?due_before=2006-04-10"))

    assert cutovers and {r["kind"] for r in cutovers} == {"cutover"}
    assert len(with_vendor) == len(cutovers)
    assert own and {r["municipality"] for r in own} == {municipality}
    assert all(r["planned_finish"] <= "2006-04-10" for r in due)
    assert len(due) < len(_csv_rows(client.get("/api/v1/milestones.csv")))


def test_milestone_filters_in_json(world):
    client = client_for(world, "viewer")
    Step.objects.filter(runbook__merger=world.a, kind=StepKind.CUTOVER).update(is_critical=True, at_risk=True)

    critical = client.get("/api/v1/milestones/?critical=true").json()
    at_risk = client.get("/api/v1/milestones/?at_risk=true&domain=area0").json()
    after = client.get("/api/v1/milestones/?due_after=2006-04-12&ordering=-planned_finish").json()

    assert critical["count"] == 2 and {r["kind"] for r in critical["results"]} == {"cutover"}
    assert at_risk["count"] == 1
    dates = [r["planned_finish"] for r in after["results"]]
    assert dates == sorted(dates, reverse=True) and min(dates) >= "2006-04-12"
    assert client.get("/api/v1/milestones/?due_after=someday").status_code == 400
