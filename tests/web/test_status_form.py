"""The status form preselects nothing, and finishing a step (done) needs a confirmation that the server checks,
so one careless click never finishes a running step — with or without JavaScript."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import Event
from runbook.models import Step, StepStatus
from runbook.services import step_transition

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def transition_url(step):
    return reverse("step-transition", kwargs={"merger_id": step.runbook.merger_id, "step_id": step.pk})


def _running(world) -> Step:
    step = world.step("1")
    return step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])


def _selected(html: str) -> list[str]:
    select = re.search(r'<select name="status".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_the_step_page_preselects_no_status(world):
    step = _running(world)
    html = world.client("chief").get(step.get_absolute_url()).content.decode()
    assert _selected(html) == [""]
    assert 'name="confirm"' in html  # done is among the choices: the confirmation is offered


def test_the_row_form_preselects_no_status(world):
    step = _running(world)
    html = world.client("chief").get(transition_url(step) + "?ui=row", **HTMX).content.decode()
    assert _selected(html) == [""]
    assert "data-confirm-done" in html


def test_submitting_no_status_is_a_field_error(world):
    step = _running(world)
    response = world.client("chief").post(transition_url(step), {"status": "", "version": step.version})
    assert response.status_code == 422
    assert response.context["transition_form"].errors["status"]
    assert Step.objects.get(pk=step.pk).status == StepStatus.IN_PROGRESS


def test_done_without_confirmation_asks_for_it_and_changes_nothing(world):
    step = _running(world)
    chief = world.client("chief")  # logging in is recorded too
    events = Event.objects.count()
    response = chief.post(transition_url(step), {"status": "done", "version": step.version})
    assert response.status_code == 422
    assert response.context["transition_form"].errors["confirm"]
    assert _selected(response.content.decode()) == ["done"]  # the second step keeps the choice
    assert Step.objects.get(pk=step.pk).status == StepStatus.IN_PROGRESS
    assert Event.objects.count() == events


def test_done_without_confirmation_in_the_row_keeps_the_row_form_open(world):
    step = _running(world)
    response = world.client("chief").post(
        transition_url(step), {"status": "done", "version": step.version, "ui": "row"}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="confirm-' in html and "has-error" in html
    assert Step.objects.get(pk=step.pk).status == StepStatus.IN_PROGRESS


def test_done_with_confirmation_finishes_the_step(world):
    step = _running(world)
    response = world.client("chief").post(
        transition_url(step), {"status": "done", "confirm": "on", "version": step.version})
    assert response.status_code == 302
    assert Step.objects.get(pk=step.pk).status == StepStatus.DONE


def test_other_moves_need_no_confirmation(world):
    step = _running(world)
    response = world.client("chief").post(
        transition_url(step), {"status": "blocked", "reason": "Venter", "version": step.version})
    assert response.status_code == 302
    assert Step.objects.get(pk=step.pk).status == StepStatus.BLOCKED


def test_the_api_needs_no_confirm_field(world):
    """API clients are explicit: the confirmation belongs to the pages."""
    from rest_framework.test import APIClient

    step = _running(world)
    client = APIClient()
    client.force_authenticate(world.users["chief"])
    etag = client.get(f"/api/v1/steps/{step.pk}/")["ETag"]
    response = client.post(f"/api/v1/steps/{step.pk}/transition/", {"status": "done"}, format="json",
                           HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
