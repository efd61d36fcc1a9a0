"""The IT chief records the dispensation in the browser; the plan follows (big bang → rolling)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import Event
from municipalities.models import DispensationStatus, Merger
from runbook.models import Step, StepKind

pytestmark = pytest.mark.django_db


def url(world):
    return reverse("merger-dispensation", kwargs={"merger_id": world.merger.pk})


@pytest.mark.parametrize(("role", "expected"), [
    (None, 302), ("outsider", 404), ("viewer", 403), ("coordinator", 403), ("advisor", 403), ("chief", 200),
])
def test_who_may_open_the_dispensation_page(world, role, expected):
    assert world.client(role).get(url(world)).status_code == expected


def test_a_viewer_cannot_post_and_nothing_changes(world):
    response = world.client("viewer").post(url(world), {
        "dispensation_status": "granted", "dispensation_date": "2006-07-01", "version": world.merger.version,
    })
    assert response.status_code == 403
    assert Merger.objects.get(pk=world.merger.pk).dispensation_status == DispensationStatus.APPLIED


def test_dashboard_links_the_page_for_the_chief_only(world):
    dashboard = reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk})
    assert url(world).encode() in world.client("chief").get(dashboard).content
    assert url(world).encode() not in world.client("viewer").get(dashboard).content


def test_granting_is_recorded_through_the_service(world, settings):
    settings.MERGEPLAN_RECOMPUTE_COUNTDOWN = 0
    cutovers = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.CUTOVER)
    # given: applied for only, so the big bang — every cutover on the first working day of 2007
    assert set(cutovers.values_list("go_live", flat=True)) == {dt.date(2007, 1, 2)}
    # when: the chief records the grant
    response = world.client("chief").post(url(world), {
        "dispensation_status": "granted", "dispensation_date": "2006-07-01",
        "dispensation_reference": "IM j.nr. 2006-1234", "version": world.merger.version,
    })
    assert response.status_code == 302 and response["Location"].endswith(f"/m/{world.merger.pk}/")
    merger = Merger.objects.get(pk=world.merger.pk)
    assert (merger.dispensation_status, merger.dispensation_date) == ("granted", dt.date(2006, 7, 1))
    assert Event.objects.filter(verb="dispensation_changed", merger=merger, actor=world.users["chief"]).exists()


@pytest.mark.django_db(transaction=True)
def test_granting_moves_the_cutovers_before_the_legal_date(settings):
    from tests.support.worlds import build_page_world as build_world

    settings.MERGEPLAN_RECOMPUTE_COUNTDOWN = 0
    world = build_world()
    world.client("chief").post(url(world), {
        "dispensation_status": "granted", "dispensation_date": "2006-07-01", "version": world.merger.version,
    })
    go_lives = set(
        Step.objects.filter(runbook__merger=world.merger, kind=StepKind.CUTOVER).values_list("go_live", flat=True)
    )
    assert go_lives and all(dt.date(2006, 7, 3) <= d < dt.date(2007, 1, 1) for d in go_lives)


def test_granted_without_date_is_a_field_error_that_keeps_the_input(world):
    response = world.client("chief").post(url(world), {
        "dispensation_status": "granted", "dispensation_date": "", "dispensation_reference": "brev af 3. maj",
        "version": world.merger.version,
    })
    assert response.status_code == 422
    assert response.context["form"].errors["dispensation_date"]
    assert "brev af 3. maj" in response.content.decode()
    assert Merger.objects.get(pk=world.merger.pk).dispensation_status == DispensationStatus.APPLIED


def test_a_date_after_the_legal_date_is_refused(world):
    response = world.client("chief").post(url(world), {
        "dispensation_status": "granted", "dispensation_date": "2007-03-01", "version": world.merger.version,
    })
    assert response.status_code == 422 and response.context["form"].errors["dispensation_date"]


def test_a_stale_form_is_a_conflict_not_an_overwrite(world):
    stale = world.merger.version
    chief = world.client("chief")
    assert chief.post(url(world), {"dispensation_status": "refused", "version": stale}).status_code == 302
    response = chief.post(url(world), {
        "dispensation_status": "granted", "dispensation_date": "2006-07-01", "version": stale,
    })
    assert response.status_code == 409
    assert Merger.objects.get(pk=world.merger.pk).dispensation_status == DispensationStatus.REFUSED


@pytest.mark.parametrize("size", [(3, 2), (5, 4)])
def test_dispensation_page_queries_are_fixed(size, db, django_assert_num_queries):
    from tests.support.worlds import build_page_world as build_world

    world = build_world(municipalities=size[0], domains=size[1])
    chief = world.client("chief")
    # session, user, membership (access), merger, standing no-gos (the merger header)
    with django_assert_num_queries(5):
        assert chief.get(url(world)).status_code == 200


@pytest.mark.parametrize("day", ["1899-01-01", "0001-01-01", "9999-12-31", "2101-01-01"])
def test_a_date_outside_the_planning_range_is_a_field_error_and_nothing_changes(world, day):
    chief = world.client("chief")
    before = Merger.objects.filter(pk=world.merger.pk).values_list(
        "version", "dispensation_status", "dispensation_date").get()
    events = Event.objects.count()

    response = chief.post(url(world), {
        "dispensation_status": "granted", "dispensation_date": day, "version": world.merger.version,
    })

    assert response.status_code in (400, 422), response.status_code
    assert "dispensation_date" in response.context["form"].errors
    assert Merger.objects.filter(pk=world.merger.pk).values_list(
        "version", "dispensation_status", "dispensation_date").get() == before
    assert Event.objects.count() == events


# --- the dispensation window: from the planning start to the day before the legal date -----------------


@pytest.mark.parametrize(("day", "accepted"), [
    ("2004-12-31", False), ("2005-01-01", True), ("2006-12-31", True), ("2007-01-01", False),
])
def test_the_date_must_lie_in_the_window_from_the_planning_start_to_the_legal_date(world, day, accepted):
    chief = world.client("chief")
    before = Merger.objects.filter(pk=world.merger.pk).values_list("version", "dispensation_date").get()
    response = chief.post(url(world), {
        "dispensation_status": "granted", "dispensation_date": day, "version": world.merger.version,
    })
    if accepted:
        assert response.status_code == 302
        assert str(Merger.objects.get(pk=world.merger.pk).dispensation_date) == day
        return
    assert response.status_code == 422
    error = response.context["form"].errors["dispensation_date"][0]
    # the message names the allowed window in words
    assert "1. jan. 2005" in error and "31. dec. 2006" in error, error
    assert Merger.objects.filter(pk=world.merger.pk).values_list("version", "dispensation_date").get() == before


def test_the_form_offers_the_window_in_the_date_picker(world):
    html = world.client("chief").get(url(world)).content.decode()
    assert 'min="2005-01-01"' in html and 'max="2006-12-31"' in html


def test_the_service_holds_the_one_rule(world):
    from core.exceptions import ApplicationError
    from municipalities.services import merger_dispensation_set

    with pytest.raises(ApplicationError) as exc:
        merger_dispensation_set(merger=world.merger, actor=world.users["chief"], status="granted",
                                date=dt.date(2004, 6, 1))
    assert exc.value.field == "dispensation_date"


def test_the_api_patch_obeys_the_same_window(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.users["chief"])
    detail = f"/api/v1/mergers/{world.merger.pk}/"
    events = Event.objects.count()
    for day in ("1899-01-01", "2004-12-31", "2007-01-01"):
        etag = client.get(detail)["ETag"]
        response = client.patch(detail, {"dispensation_status": "granted", "dispensation_date": day},
                                format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 400, (day, response.content)
        assert "dispensation_date" in response.json(), response.json()
    assert Merger.objects.get(pk=world.merger.pk).dispensation_status == DispensationStatus.APPLIED
    assert Event.objects.count() == events
    etag = client.get(detail)["ETag"]
    response = client.patch(detail, {"dispensation_status": "granted", "dispensation_date": "2005-06-24"},
                            format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200


def test_the_dashboard_never_counts_days_from_an_absurd_stored_date(world):
    # given a date stored before the rule (around the service)
    Merger.objects.filter(pk=world.merger.pk).update(dispensation_status="granted",
                                                     dispensation_date=dt.date(1899, 1, 1))
    response = world.client("chief").get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk}))
    html = response.content.decode()
    row = next(r for r in response.context["countdown"] if r["key"] == "dispensation")
    assert row["invalid"] and row["days"] is None
    assert "39154" not in html and "dage siden" not in html.split('id="h-dates"')[1].split("</section>")[0]
    assert "countdown-invalid" in html


def test_the_status_report_does_not_count_from_an_absurd_stored_date(world):
    Merger.objects.filter(pk=world.merger.pk).update(dispensation_status="granted",
                                                     dispensation_date=dt.date(1899, 1, 1))
    response = world.client("chief").get(reverse("merger-report", kwargs={"merger_id": world.merger.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "39154" not in html and ("tilladte" in html or "allowed window" in html)
