"""POST /api/v1/steps/ adds a step (IT chief) and DELETE /api/v1/steps/{id}/ removes one, with If-Match like
PATCH; bad input is a 400 naming the field and changes nothing."""
from __future__ import annotations

import pytest

from audit.models import Event
from runbook.models import Dependency, Step, StepStatus
from runbook.services import step_transition
from tests.support.api import client_for, if_match

pytestmark = pytest.mark.django_db


def _body(world, **extra) -> dict:
    return {"runbook": world.a.runbook.pk, "name": "Test snitfladen til CPR", "phase": 1, **extra}


def test_the_chief_creates_a_step_with_a_key_of_its_own(world):
    client = client_for(world, "chief")
    last = Step.objects.filter(runbook__merger=world.a).order_by("-sequence").first()
    response = client.post("/api/v1/steps/", _body(
        world, name_en="Test the CPR interface", kind="task", duration_days=3,
        assignee_municipality=world.own_municipality.code, assignee_vendor="kmd", deadline="2006-11-01",
        domain="area0",
    ), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert response.headers["ETag"]
    assert (data["key"], data["sequence"], data["phase"]) == ("ny-1", last.sequence + 1, 1)
    assert (data["municipality"], data["vendor"], data["domain"]) == (world.own_municipality.code, "kmd", "area0")
    assert data["responsible_role"] == "coordinator" and data["deadline"] == "2006-11-01"
    assert Event.objects.filter(verb="step_created", object_id=data["id"], actor=world.users["chief"]).exists()
    # the next one gets the next key
    again = client.post("/api/v1/steps/", _body(world, name="Endnu en"), format="json")
    assert again.json()["key"] == "ny-2"


@pytest.mark.parametrize(("extra", "field"), [
    ({"phase": 9}, "phase"),
    ({"name": ""}, "name"),
    ({"kind": "party"}, "kind"),
    ({"kind": "milestone", "duration_days": 2}, "duration_days"),
    ({"target_date": "2006-05-01"}, "target_date"),  # a task has no target go-live
    ({"kind": "cutover", "domain": "area0", "target_date": "2006-05-01"}, "target_date"),  # outside the window
    ({"domain": "nowhere"}, "domain"),
    ({"assignee_municipality": "999"}, "assignee_municipality"),
    ({"deadline": "1850-01-01"}, "deadline"),
    ({"key": "mine"}, "key"),  # the server gives the key
])
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(world, extra, field):
    before = (Step.objects.count(), Event.objects.filter(verb="step_created").count())
    response = client_for(world, "chief").post("/api/v1/steps/", _body(world, **extra), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert (Step.objects.count(), Event.objects.filter(verb="step_created").count()) == before


def test_a_target_outside_the_window_names_the_window(world):
    response = client_for(world, "chief").post("/api/v1/steps/", _body(
        world, kind="cutover", domain="area0", target_date="2006-05-01"), format="json")
    assert "2007" in response.json()["target_date"][0]


def test_a_runbook_of_another_merger_is_a_400_naming_the_runbook(world):
    response = client_for(world, "chief").post("/api/v1/steps/", {**_body(world), "runbook": world.b.runbook.pk},
                                               format="json")
    assert response.status_code == 400 and "runbook" in response.json()
    assert not Step.objects.filter(runbook__merger=world.b, key__startswith="ny-").exists()


def test_delete_needs_if_match_and_removes_the_dependencies(world):
    client = client_for(world, "chief")
    step = world.step(world.a, "2-")
    url = f"/api/v1/steps/{step.pk}/"
    assert Dependency.objects.filter(successor=step).exists()
    assert client.delete(url).status_code == 428
    assert client.delete(url, HTTP_IF_MATCH='W/"step-0-stale"').status_code == 412
    assert Step.objects.filter(pk=step.pk).exists()
    response = client.delete(url, **if_match(client, url))
    assert response.status_code == 204
    assert not Step.objects.filter(pk=step.pk).exists()
    assert not Dependency.objects.filter(successor_id=step.pk).exists()
    assert not Dependency.objects.filter(predecessor_id=step.pk).exists()
    assert Event.objects.get(verb="step_deleted", object_id=step.pk).changes["key"] == [step.key, None]


def test_a_step_that_has_begun_is_not_deleted(world):
    client = client_for(world, "chief")
    step = world.step(world.a, "1")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])
    url = f"/api/v1/steps/{step.pk}/"
    response = client.delete(url, **if_match(client, url))
    assert response.status_code == 400 and "status" in response.json()
    assert Step.objects.filter(pk=step.pk).exists()


def test_create_and_delete_are_in_the_schema(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()
    steps, step = schema["paths"]["/api/v1/steps/"], schema["paths"]["/api/v1/steps/{id}/"]
    assert "201" in steps["post"]["responses"]
    assert {"204", "412", "428"} <= set(step["delete"]["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in step["delete"]["parameters"])
