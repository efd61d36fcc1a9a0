"""The Django admin: every page opens, the audit trail is read-only, scope and services are respected."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import checks
from django.urls import reverse

from audit.models import Event
from demo.seed import seed_demo
from municipalities.models import DispensationStatus, Merger, Role
from runbook.models import Step, StepStatus
from tests.factories import MembershipFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


OUR_APPS = {"municipalities", "systems", "runbook"}


@pytest.fixture
def demo():
    seed_demo()
    return Merger.objects.get(code="550")


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def post_data(response, **changes) -> dict:
    """The change form's current values (main form and inline management forms), with ``changes``."""
    data = {}

    def add(form) -> None:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None or value is False:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            elif isinstance(value, list | tuple):
                value = [getattr(v, "pk", v) for v in value]
            data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        mgmt = inline.formset.management_form
        for name in mgmt.fields:
            data[f"{mgmt.prefix}-{name}"] = mgmt.initial.get(name, 0)
        for form in inline.formset.initial_forms:
            add(form)
    data.update(changes)
    return data


def test_every_model_of_ours_has_an_admin():
    from django.apps import apps

    missing = [
        m._meta.label for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and m not in admin.site._registry
    ]
    assert missing == []


def test_admin_checks_pass():
    errors = [e for e in checks.run_checks(tags=[checks.Tags.admin]) if e.level >= checks.ERROR]
    assert errors == []


def test_superuser_opens_every_changelist_change_and_add_page(demo, admin_client):
    for model, model_admin in admin.site._registry.items():
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model._meta.label
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            response = admin_client.get(admin_url(model, "change", obj.pk))
            assert response.status_code == 200, model._meta.label
        if model_admin.has_add_permission(response.wsgi_request):
            assert admin_client.get(admin_url(model, "add")).status_code == 200, model._meta.label


def test_changelists_search_and_filter(demo, admin_client):
    response = admin_client.get(admin_url(Step, "changelist"), {"q": "Omlæg", "status__exact": "not_started"})
    assert response.status_code == 200
    expected = Step.objects.filter(name__icontains="Omlæg", status="not_started").count()
    assert expected > 0
    assert response.context["cl"].result_count == expected


def test_event_admin_is_read_only(demo, admin_client):
    event = Event.objects.first()
    request = admin_client.get(admin_url(Event, "changelist")).wsgi_request
    model_admin = admin.site._registry[Event]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert admin_client.get(admin_url(Event, "add")).status_code == 403
    # a POST to the change page changes nothing
    before = Event.objects.get(pk=event.pk).verb
    admin_client.post(admin_url(Event, "change", event.pk), {"verb": "tampered"})
    assert Event.objects.get(pk=event.pk).verb == before
    assert admin_client.post(admin_url(Event, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


def test_staff_sees_only_their_mergers_steps(demo, client):
    # given: another merger with its own chief, and bent (staff, chief of Tønder only)
    other_chief = UserFactory(is_staff=True)
    other = merger_with_runbook(municipalities=2, domains=1, chief=other_chief)
    bent = get_user_model().objects.get(username="bent")
    client.force_login(bent)
    # when
    response = client.get(admin_url(Step, "changelist"))
    # then
    assert response.status_code == 200
    listed = {s.runbook.merger_id for s in response.context["cl"].result_list}
    assert listed == {demo.pk}
    assert response.context["cl"].result_count == Step.objects.filter(runbook__merger=demo).count()
    assert other.name not in response.content.decode()
    foreign = Step.objects.filter(runbook__merger=other).first()
    response = client.get(admin_url(Step, "change", foreign.pk))
    assert response.status_code == 302  # the admin's "does not exist" redirect: not even a 403
    assert client.get(admin_url(Merger, "change", other.pk)).status_code == 302


def test_coordinator_changes_only_status_of_own_steps(demo, client):
    coordinator = get_user_model().objects.get(username="koord-toender")
    coordinator.is_staff = True
    coordinator.save()
    client.force_login(coordinator)
    own = Step.objects.filter(runbook__merger=demo, assignee_municipality__code="541").first()
    response = client.get(admin_url(Step, "change", own.pk))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.fields
    assert "name" not in response.context["adminform"].form.fields  # plan fields are the chief's
    not_own = Step.objects.get(runbook__merger=demo, key="9")
    response = client.get(admin_url(Step, "change", not_own.pk))
    assert response.status_code == 200 and "status" not in response.context["adminform"].form.fields


def test_step_status_change_goes_through_the_service(demo, client):
    bent = get_user_model().objects.get(username="bent")
    client.force_login(bent)
    step = Step.objects.get(runbook__merger=demo, key="13")  # predecessor 9 is done
    url = admin_url(Step, "change", step.pk)
    response = client.post(url, post_data(client.get(url), status=StepStatus.IN_PROGRESS))
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == StepStatus.IN_PROGRESS
    assert step.actual_start is not None and step.version == 2
    assert Event.objects.filter(verb="status_changed", object_id=step.pk, actor=bent).exists()


def test_step_rule_violation_is_a_message_not_a_500(demo, client):
    bent = get_user_model().objects.get(username="bent")
    client.force_login(bent)
    step = Step.objects.get(runbook__merger=demo, key="15")  # predecessors 9 done, 10 not
    url = admin_url(Step, "change", step.pk)
    response = client.post(url, post_data(client.get(url), status=StepStatus.DONE), follow=True)
    assert response.status_code == 200
    assert any("Predecessors" in str(m) or "Forgængere" in str(m) or "10" in str(m)
               for m in response.context["messages"])
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED and step.version == 1


def test_block_without_reason_is_refused_and_with_reason_recorded(demo, client):
    bent = get_user_model().objects.get(username="bent")
    client.force_login(bent)
    step = Step.objects.get(runbook__merger=demo, key="11")
    url = admin_url(Step, "change", step.pk)
    client.post(url, post_data(client.get(url), status=StepStatus.BLOCKED), follow=True)
    assert Step.objects.get(pk=step.pk).status == StepStatus.IN_PROGRESS
    client.post(url, post_data(client.get(url), status=StepStatus.BLOCKED, reason="Venter på KMD"))
    assert Step.objects.get(pk=step.pk).status == StepStatus.BLOCKED
    assert Event.objects.filter(object_id=step.pk, verb="status_changed", message="Venter på KMD").exists()


def test_dispensation_change_goes_through_the_service(demo, admin_client):
    url = admin_url(Merger, "change", demo.pk)
    data = post_data(admin_client.get(url), dispensation_status=DispensationStatus.GRANTED)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    demo.refresh_from_db()
    assert demo.dispensation_status == DispensationStatus.GRANTED and demo.version == 2
    assert Event.objects.filter(verb="dispensation_changed", merger=demo).exists()


def test_vendor_capacity_change_goes_through_the_service_and_replans(
    demo, admin_client, django_capture_on_commit_callbacks
):
    from systems.models import Vendor

    kmd = Vendor.objects.get(code="kmd")
    before = kmd.weekly_cutover_capacity
    url = admin_url(Vendor, "change", kmd.pk)
    data = post_data(admin_client.get(url), weekly_cutover_capacity=5)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    kmd.refresh_from_db()
    assert kmd.weekly_cutover_capacity == 5
    event = Event.objects.get(verb="vendor_capacity_changed", object_id=kmd.pk)
    assert event.changes == {"weekly_cutover_capacity": [before, 5]}
    assert callbacks, "a recompute of the mergers KMD serves is enqueued after commit"


def test_chief_cannot_change_other_mergers_or_reference_data(demo, client):
    chief = UserFactory(is_staff=True)
    merger = merger_with_runbook(municipalities=2, domains=1, chief=chief)
    MembershipFactory(user=UserFactory(), merger=merger, role=Role.VIEWER)
    client.force_login(chief)
    assert client.get(admin_url(Merger, "change", merger.pk)).status_code == 200
    assert client.get(admin_url(Merger, "change", demo.pk)).status_code == 302
    vendor_admin_request = client.get(admin_url(Merger, "changelist")).wsgi_request
    from systems.models import Vendor

    assert not admin.site._registry[Vendor].has_change_permission(vendor_admin_request)
    assert admin.site._registry[Vendor].has_view_permission(vendor_admin_request)


@pytest.mark.parametrize("superuser", [True, False])
def test_step_changelist_queries_do_not_grow_with_rows(client, superuser, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory(is_staff=True, is_superuser=superuser)
    merger_with_runbook(municipalities=3, domains=2, chief=user)
    client.force_login(user)
    url = admin_url(Step, "changelist")
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    rows = response.context["cl"].result_count
    # a second merger of the same chief: twice the rows (still one page), the same queries
    merger_with_runbook(municipalities=4, domains=2, chief=user)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert rows < response.context["cl"].result_count <= 100


def test_token_revoke_action(demo, admin_client):
    from municipalities.models import ApiToken
    from municipalities.tokens import api_token_create

    token, _raw = api_token_create(user=get_user_model().objects.get(username="bent"), name="ci")
    response = admin_client.post(
        admin_url(ApiToken, "changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    page = admin_client.get(admin_url(ApiToken, "change", token.pk))
    assert "key_hash" not in page.context["adminform"].form.fields


def test_plain_admin_save_is_audited(demo, client):
    from runbook.models import FreezeWindow

    bent = get_user_model().objects.get(username="bent")
    client.force_login(bent)
    window = FreezeWindow.objects.filter(merger=demo).first() or FreezeWindow.objects.create(
        merger=demo, name="Lønkørsel", start=dt.date(2006, 11, 24), end=dt.date(2006, 11, 30)
    )
    url = admin_url(FreezeWindow, "change", window.pk)
    response = client.post(url, post_data(client.get(url), name="Lønkørsel (flyttet)"))
    assert response.status_code == 302
    event = Event.objects.get(verb="admin_changed", object_id=window.pk, actor=bent)
    assert event.changes["name"][1] == "Lønkørsel (flyttet)" and event.merger_id == demo.pk
    # national windows are the superuser's
    national = FreezeWindow.objects.filter(merger__isnull=True).first()
    response = client.get(admin_url(FreezeWindow, "change", national.pk))
    assert response.status_code == 200 and "name" not in response.context["adminform"].form.fields


def test_domain_admin_edits_the_binding_through_the_service(demo, admin_client, django_capture_on_commit_callbacks):
    from systems.models import Domain

    domain = Domain.objects.filter(steps__kind="cutover").distinct().first()
    url = admin_url(Domain, "change", domain.pk)
    page = admin_client.get(url)
    for name in ("binding", "binding_latest", "binding_inferred", "binding_note", "holds_data", "central_conversion"):
        assert name in page.context["adminform"].form.fields
    # may follow without a latest date: the error stands at binding_latest
    response = admin_client.post(url, post_data(page, binding="may_follow", binding_latest=""))
    assert response.status_code == 200
    assert "binding_latest" in response.context["adminform"].form.errors
    response = admin_client.post(url, post_data(page, binding="may_follow", binding_latest="2006-12-01"))
    assert "binding_latest" in response.context["adminform"].form.errors
    # a good one is saved by the service: recorded, and the mergers with its cutovers replanned
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(url, post_data(page, binding="may_follow", binding_latest="2007-03-30",
                                                    binding_note="KMD må konvertere efter"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    domain.refresh_from_db()
    assert domain.binding == "may_follow" and domain.binding_latest == dt.date(2007, 3, 30)
    assert Event.objects.filter(verb="domain_binding_changed", object_id=domain.pk).exists()
    assert callbacks


def test_step_admin_has_the_planning_fields(demo, admin_client):
    step = Step.objects.filter(runbook__merger=demo, kind="cutover").first()
    page = admin_client.get(admin_url(Step, "change", step.pk))
    fields = page.context["adminform"].form.fields
    for name in ("direction", "needs_users", "plan_tag", "target_date"):
        assert name in fields
    assert "placement" in page.context["adminform"].readonly_fields
    # a target outside the go-live window is refused as a message on the page, nothing saved
    response = admin_client.post(admin_url(Step, "change", step.pk), post_data(page, target_date="2005-01-03"),
                                 follow=True)
    assert response.status_code == 200
    step.refresh_from_db()
    assert step.target_date is None
    assert any("vinduet" in str(m) or "window" in str(m) for m in response.context["messages"])


def test_calendar_rule_admin_checks_the_kind(demo, admin_client):
    from runbook.models import CalendarRule

    response = admin_client.post(admin_url(CalendarRule, "add"), {
        "name": "Fællesferie", "kind": "summer_holiday", "blocks": "work", "days": 3, "week_from": 30,
        "week_to": 28, "is_active": "on",
    })
    assert response.status_code == 200
    assert "week_to" in response.context["adminform"].form.errors
