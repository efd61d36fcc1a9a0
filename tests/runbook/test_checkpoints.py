"""Go/no-go that means something: a decision only after the checkpoint's predecessors are done (or with a
recorded override), the checkpoint passes on the second go, a no-go turns the merger red everywhere until a
go replaces it, and the page and the API say who is still missing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import Event
from core.exceptions import ApplicationError, ConflictError
from municipalities.models import Role
from runbook.models import CheckpointSignoff, Step, StepKind, StepStatus
from runbook.selectors.overview import merger_summaries, open_no_gos
from runbook.services import checkpoint_sign, step_transition
from systems.models import Vendor
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def advisor(merger):
    user = UserFactory(username="advisor", first_name="Hans-Ole", last_name="Møller-Madsen")
    MembershipFactory(user=user, merger=merger, role=Role.VENDOR_ADVISOR, vendor=Vendor.objects.get(code="kmd"))
    return user


def checkpoint(merger) -> Step:
    return Step.objects.get(runbook__merger=merger, kind=StepKind.CHECKPOINT)


def finish_predecessors(merger) -> None:
    """Everything before the checkpoint done (the rehearsal took place)."""
    Step.objects.filter(runbook__merger=merger, template_step__number__lt=4).update(
        status=StepStatus.DONE, actual_start=dt.date(2006, 3, 1), actual_finish=dt.date(2006, 3, 10)
    )


def sign_url(step):
    return reverse("checkpoint-sign", kwargs={"merger_id": step.runbook.merger_id, "step_id": step.pk})


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- the service -------------------------------------------------------------------------------------


def test_a_decision_before_the_predecessors_are_done_is_refused_and_changes_nothing(merger, chief):
    # given a checkpoint whose rehearsal has not taken place (its predecessors are not started)
    step = checkpoint(merger)
    events = Event.objects.count()
    # when the IT chief says go without a reason
    with pytest.raises(ApplicationError) as exc:
        checkpoint_sign(step=step, actor=chief, decision="go")
    # then it is refused, naming the field that would allow it and the predecessors it waits for
    assert exc.value.field == "override_reason"
    assert exc.value.code == "predecessors_not_done"
    assert exc.value.extra["blockers"]
    assert "3-" in exc.value.message
    assert not CheckpointSignoff.objects.filter(step=step).exists()
    assert Event.objects.count() == events
    assert Step.objects.get(pk=step.pk).version == step.version


def test_an_override_reason_allows_an_early_decision_and_is_recorded(merger, chief):
    step = checkpoint(merger)
    checkpoint_sign(step=step, actor=chief, decision="go", override_reason="  Styregruppen besluttede 14/3  ")
    signoff = CheckpointSignoff.objects.get(step=step, role=Role.IT_CHIEF)
    assert signoff.override_reason == "Styregruppen besluttede 14/3"
    event = Event.objects.filter(verb="checkpoint_signed", object_id=step.pk).latest("id")
    assert event.changes["override_reason"] == [None, "Styregruppen besluttede 14/3"]
    assert event.changes["signoff_it_chief"] == [None, "go"]


def test_an_override_is_not_recorded_when_nothing_was_overridden(merger, chief):
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go", override_reason="for en sikkerheds skyld")
    assert CheckpointSignoff.objects.get(step=checkpoint(merger)).override_reason == ""


def test_the_second_go_passes_the_checkpoint_on_the_planning_date(merger, chief, advisor, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 5, 17)
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go")
    assert checkpoint(merger).status == StepStatus.NOT_STARTED  # one go is not enough
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="go", comment="KMD er klar")
    step = checkpoint(merger)
    assert step.status == StepStatus.DONE
    assert step.actual_finish == dt.date(2006, 5, 17)
    passed = Event.objects.get(verb="checkpoint_passed", object_id=step.pk)
    assert passed.changes["status"] == ["not_started", "done"]
    assert passed.actor == advisor


def test_a_no_go_does_not_pass_and_a_closed_checkpoint_takes_no_more_decisions(merger, chief, advisor):
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go")
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="no_go", comment="67 fejl i generalprøven")
    assert checkpoint(merger).status == StepStatus.NOT_STARTED
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="go", comment="Rettet, 26 fejl tilbage")
    assert checkpoint(merger).status == StepStatus.DONE
    with pytest.raises(ApplicationError) as exc:
        checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="no_go", comment="for sent")
    assert exc.value.field == "step"


def test_the_same_decision_twice_is_refused(merger, chief):
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go")
    with pytest.raises(ApplicationError) as exc:
        checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go")
    assert exc.value.field == "decision"
    assert CheckpointSignoff.objects.filter(step=checkpoint(merger)).count() == 1


def test_a_stale_version_is_a_conflict(merger, chief, advisor):
    finish_predecessors(merger)
    stale = checkpoint(merger).version
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="go", expected_version=stale)
    with pytest.raises(ConflictError):
        checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go", expected_version=stale)
    assert checkpoint(merger).status == StepStatus.NOT_STARTED


def test_finishing_an_unpassed_checkpoint_says_who_is_missing(merger, chief):
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go")
    with pytest.raises(ApplicationError) as exc:
        step_transition(step=checkpoint(merger), status=StepStatus.DONE, actor=chief)
    assert exc.value.code == "signoff_missing"
    assert "rådgiver" in exc.value.message or "vendor advisor" in exc.value.message, exc.value.message
    assert "IT-chef" not in exc.value.message and "IT chief" not in exc.value.message  # the chief said go


# --- red on every page ---------------------------------------------------------------------------------


def test_a_no_go_turns_the_merger_red_with_who_and_why_until_a_go_replaces_it(merger, chief, advisor):
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="no_go", comment="Lønkørslen fejlede")
    verdict = merger_summaries([merger.pk])[merger.pk]["verdict"]
    assert verdict.level == "red"
    assert "Lønkørslen fejlede" in verdict.reasons[0] and "Hans-Ole Møller-Madsen" in verdict.reasons[0]
    # a go by another role does not replace it
    checkpoint_sign(step=checkpoint(merger), actor=chief, decision="go")
    assert open_no_gos([merger.pk])[merger.pk][0].reason == "Lønkørslen fejlede"
    # the same role's go does
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="go", comment="Rettet")
    assert open_no_gos([merger.pk]) == {}
    assert not any("Lønkørslen" in r for r in merger_summaries([merger.pk])[merger.pk]["verdict"].reasons)


def test_no_go_of_one_merger_does_not_colour_another(chief, merger, advisor):
    from tests.factories import merger_with_runbook

    other = merger_with_runbook(municipalities=2, domains=1, chief=chief)
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="no_go", comment="nej",
                    override_reason="tidligt")
    checkpoint_sign(step=checkpoint(other), actor=chief, decision="go", override_reason="tidligt")
    found = open_no_gos([merger.pk, other.pk])
    assert list(found) == [merger.pk]
    assert [n.step_id for n in found[merger.pk]] == [checkpoint(merger).pk]


def test_the_no_go_shows_on_home_dashboard_review_and_the_merger_header(merger, chief, advisor):
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="no_go", comment="Generalprøven fejlede",
                    override_reason="tidligt")
    chief_client = client_for(chief)
    pages = [
        reverse("home"),
        reverse("merger-dashboard", kwargs={"merger_id": merger.pk}),
        reverse("review"),
        reverse("merger-runbook", kwargs={"merger_id": merger.pk}),
        checkpoint(merger).get_absolute_url(),
    ]
    for url in pages:
        html = chief_client.get(url).content.decode()
        assert "Generalprøven fejlede" in html, url
        assert "rag-red" in html or "no-go-alert" in html, url
    runbook_page = chief_client.get(pages[3]).content.decode()
    assert 'class="no-go-alert"' in runbook_page  # the merger navigation marks it


# --- the pages -----------------------------------------------------------------------------------------


def test_the_page_refuses_an_early_decision_on_the_field_and_keeps_the_input(merger, chief):
    step = checkpoint(merger)
    response = client_for(chief).post(sign_url(step), {"decision": "go", "comment": "klar", "version": step.version})
    assert response.status_code == 422
    assert response.context["sign_form"].errors["override_reason"]
    html = response.content.decode()
    assert 'name="override_reason"' in html and "klar" in html
    assert not CheckpointSignoff.objects.exists()


def test_after_signing_the_page_shows_the_decision_offers_a_change_and_says_who_is_missing(merger, chief):
    finish_predecessors(merger)
    step = checkpoint(merger)
    response = client_for(chief).post(sign_url(step), {"decision": "go", "version": step.version}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["my_signoff"].decision == "go"
    assert "change-decision" in html  # "change my decision", not a second "sign" form
    assert response.context["missing_message"]
    assert response.context["missing_message"] in html


def test_review_card_swaps_to_the_decision_and_the_missing_role(merger, chief, advisor):
    finish_predecessors(merger)
    step = checkpoint(merger)
    response = client_for(advisor).post(
        sign_url(step), {"decision": "go", "ui": "review", "version": step.version}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "signed-go" in html and "change-decision" in html
    assert "signoff-missing" in html  # the IT chief's go is still missing


def test_the_second_go_from_the_page_passes_the_checkpoint(merger, chief, advisor):
    finish_predecessors(merger)
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="go")
    step = checkpoint(merger)
    response = client_for(chief).post(sign_url(step), {"decision": "go", "version": step.version}, follow=True)
    assert checkpoint(merger).status == StepStatus.DONE
    assert "signoff-passed" in response.content.decode()


def test_a_stale_sign_form_is_a_conflict(merger, chief, advisor):
    finish_predecessors(merger)
    stale = checkpoint(merger).version
    checkpoint_sign(step=checkpoint(merger), actor=advisor, decision="no_go", comment="nej")
    response = client_for(chief).post(sign_url(checkpoint(merger)), {"decision": "go", "version": stale})
    assert response.status_code == 409
    assert not CheckpointSignoff.objects.filter(role=Role.IT_CHIEF).exists()


# --- the API -------------------------------------------------------------------------------------------


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def _sign(client, step, body):
    url = f"/api/v1/checkpoints/{step.pk}/sign/"
    etag = client.get(f"/api/v1/checkpoints/{step.pk}/")["ETag"]
    return client.post(url, body, format="json", HTTP_IF_MATCH=etag)


def test_api_refuses_an_early_decision_naming_the_field(merger, chief):
    response = _sign(_api(chief), checkpoint(merger), {"decision": "go"})
    assert response.status_code == 400
    assert "override_reason" in response.json()
    assert not CheckpointSignoff.objects.exists()


def test_api_returns_who_is_missing_and_records_the_override(merger, chief, advisor):
    client = _api(chief)
    response = _sign(client, checkpoint(merger), {"decision": "go", "override_reason": "Aftalt med KMD"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["missing_signoffs"] == ["vendor_advisor"]
    assert body["missing_text"]
    assert body["signoffs"][0]["override_reason"] == "Aftalt med KMD"
    response = _sign(_api(advisor), checkpoint(merger), {"decision": "go", "override_reason": "Aftalt"})
    assert response.json()["missing_signoffs"] == [] and response.json()["status"] == "done"
