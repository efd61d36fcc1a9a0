"""History in sentences, in the user's language: the step page, the dashboard's recent changes and the API's
events render every recorded verb with field names, choice labels and dates in words — never raw keys."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import Event
from runbook.models import Step, StepStatus
from runbook.selectors.history import event_sentences
from runbook.services import checkpoint_sign, comment_add, dependency_add, step_transition, step_update

pytestmark = pytest.mark.django_db

RAW = ("status_changed", "in_progress", "signoff_", "vendor_advisor", "not_started", "step_updated", "None")


def _latest(step, verb):
    return Event.objects.filter(object_id=step.pk, verb=verb).select_related("actor").latest("id")


def test_a_status_change_reads_as_a_danish_sentence(world):
    step = world.step("1")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])
    step_transition(step=Step.objects.get(pk=step.pk), status=StepStatus.BLOCKED, actor=world.users["chief"],
                    reason="Venter på KMD")
    with translation.override("da"):
        line = event_sentences(_latest(step, "status_changed"))
    assert line.text == "Bent Johannsen ændrede status fra I gang til Blokeret."
    assert line.note == "Venter på KMD"
    with translation.override("en"):
        assert event_sentences(_latest(step, "status_changed")).text == (
            "Bent Johannsen changed status from In progress to Blocked.")


def test_a_signoff_names_the_role_the_person_and_the_checkpoint(world):
    checkpoint = world.checkpoint()
    checkpoint_sign(step=checkpoint, actor=world.users["advisor"], decision="go", override_reason="Aftalt")
    with translation.override("en"):
        text = event_sentences(_latest(checkpoint, "checkpoint_signed")).text
    assert text.startswith("The vendor advisor advisor said go to ")
    assert checkpoint.name in text and "»Aftalt«" in text
    checkpoint_sign(step=checkpoint, actor=world.users["advisor"], decision="no_go", comment="Fejl",
                    override_reason="Aftalt")
    with translation.override("en"):
        text = event_sentences(_latest(checkpoint, "checkpoint_signed")).text
    assert "changed the decision on" in text and "from Go to No go" in text


def test_plan_changes_use_verbose_names_and_danish_dates(world):
    step = world.step("1")
    step_update(step=step, actor=world.users["chief"], data={"deadline": dt.date(2006, 11, 30)})
    with translation.override("da"):
        text = event_sentences(_latest(step, "step_updated")).text
    assert text.startswith("Bent Johannsen ") and "30. nov. 2006" in text, text
    assert "deadline" not in text and "2006-11-30" not in text


def test_every_verb_the_services_record_reads_without_raw_keys(world):
    chief = world.users["chief"]
    step = world.step("1")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=chief)
    comment_add(step=step, author=chief, body="Hej")
    other = world.step("6")
    dependency_add(predecessor=step, successor=other, actor=chief)
    step_update(step=world.step("1"), actor=chief, data={"needs_users": True})
    checkpoint_sign(step=world.checkpoint(), actor=chief, decision="go", override_reason="x")
    events = list(Event.objects.filter(merger=world.merger).select_related("actor"))
    verbs = {e.verb for e in events}
    assert {"status_changed", "commented", "dependency_added", "step_updated", "checkpoint_signed",
            "runbook_instantiated"} <= verbs
    with translation.override("da"):
        for event in events:
            text = event_sentences(event).text
            assert text.endswith("."), (event.verb, text)
            for raw in RAW:
                assert raw not in text, (event.verb, text)


def test_the_step_page_shows_sentences(world):
    step = world.step("1")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])
    html = world.client("chief").get(step.get_absolute_url()).content.decode()
    assert "ændrede status fra Ikke startet til I gang" in html
    assert "<code>status</code>" not in html and "in_progress →" not in html


def test_the_dashboard_lists_recent_changes_with_links_to_the_steps(world):
    step = world.step("1")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])
    response = world.client("viewer").get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk}))
    html = response.content.decode()
    assert 'id="recent-changes"' in html
    assert "ændrede status fra Ikke startet til I gang" in html
    assert step.get_absolute_url() in html
    # another merger's changes do not show
    assert all(e.merger_id == world.merger.pk for e in response.context["recent_events"])


def test_the_api_events_carry_the_sentence(world):
    from rest_framework.test import APIClient

    step = world.step("1")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])
    client = APIClient()
    client.force_authenticate(world.users["chief"])
    body = client.get("/api/v1/events/", {"merger": world.merger.pk}, HTTP_ACCEPT_LANGUAGE="en").json()
    row = next(r for r in body["results"] if r["verb"] == "status_changed")
    assert row["changes"]["status"] == ["not_started", "in_progress"]  # the raw data stays
    assert row["text"] == "Bent Johannsen changed status from Not started to In progress."
