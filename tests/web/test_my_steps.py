"""My steps (runbook/views/my_steps.py): the steps that concern a user across every merger they serve — one
definition (runbook/selectors/my_steps.py) shared with the runbook's "mine" filter and the digest — with
filters, pagination and a bulk status change with a result per step."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from audit.models import Event
from municipalities.models import Role
from municipalities.permissions import accesses_for
from runbook.models import Step, StepKind, StepStatus
from runbook.notifications import digests_build
from runbook.selectors.my_steps import steps_concerning
from runbook.services import step_transition
from runbook.views.my_steps import PAGE_SIZE
from systems.models import Vendor
from tests.factories import MembershipFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db

URL = reverse("my-steps")
BULK = reverse("my-steps-bulk")


def _ids(response) -> set[int]:
    return {r["step"].pk for r in response.context["rows"]}


def _kmd_steps(merger):
    return Step.objects.filter(runbook__merger=merger, assignee_vendor__code="kmd")


def _post(client, steps, status, **extra):
    data = {"step": [s.pk for s in steps], "status": status, **extra}
    for s in steps:
        data[f"v-{s.pk}"] = s.version
    return client.post(BULK, data)


# --- who sees what ---------------------------------------------------------------------------------


def test_each_role_sees_the_steps_that_concern_it(world):
    # the advisor: the steps assigned to KMD, open ones by default
    advisor = world.client("advisor").get(URL)
    assert advisor.status_code == 200
    assert _ids(advisor) == set(_kmd_steps(world.merger).exclude(status__in=["done", "skipped"])
                                .values_list("pk", flat=True)) != set()
    # the coordinator: its own municipality's steps, not the neighbour's
    coordinator = _ids(world.client("coordinator").get(URL))
    own = set(Step.objects.filter(assignee_municipality=world.own_municipality).values_list("pk", flat=True))
    assert coordinator == own != set()
    # the IT chief answers for every step of the merger; the viewer for none
    chief = world.client("chief").get(URL + "?status=all")
    assert chief.context["page"].paginator.count == Step.objects.filter(runbook__merger=world.merger).count()
    assert _ids(world.client("viewer").get(URL)) == set()


def test_one_definition_for_the_list_the_runbook_filter_and_the_digest(world):
    for role in ("advisor", "coordinator", "chief", "viewer"):
        user = world.users[role]
        concerning = set(steps_concerning(user).values_list("pk", flat=True))
        runbook = world.client(role).get(reverse("merger-runbook", args=[world.merger.pk]) + "?mine=on")
        assert {r["step"].pk for r in runbook.context["rows"]} == concerning, role
        digest = digests_build(dt.date(2006, 3, 15), user_ids=[user.pk]).get(user.pk)
        told = {s["id"] for s in (digest.overdue + digest.due + digest.at_risk)} if digest else set()
        assert told <= concerning, role


def test_the_owner_sees_an_owned_step_and_an_outsider_sees_nothing_of_a_merger(world):
    step = Step.objects.filter(runbook__merger=world.merger, assignee_vendor__isnull=True,
                               assignee_municipality__isnull=True).first()
    Step.objects.filter(pk=step.pk).update(owner=world.users["viewer"])
    assert _ids(world.client("viewer").get(URL)) == {step.pk}
    outsider = _ids(world.client("outsider").get(URL + "?status=all"))
    assert outsider and not Step.objects.filter(pk__in=outsider, runbook__merger=world.merger).exists()


def test_across_mergers_and_the_merger_filter(world):
    kmd = Vendor.objects.get(code="kmd")
    MembershipFactory(merger=world.other, role=Role.VENDOR_ADVISOR, vendor=kmd, user=world.users["advisor"])
    client = world.client("advisor")
    both = client.get(URL + "?status=all")
    assert _ids(both) == set(_kmd_steps(world.merger).values_list("pk", flat=True)) | set(
        _kmd_steps(world.other).values_list("pk", flat=True))
    only_other = client.get(URL + f"?status=all&merger={world.other.pk}")
    assert _ids(only_other) == set(_kmd_steps(world.other).values_list("pk", flat=True))
    # a merger the user does not serve is not a choice: ignored, never a leak
    stranger = merger_with_runbook(municipalities=2, domains=1)
    assert _ids(client.get(URL + f"?status=all&merger={stranger.pk}")) == _ids(both)


def test_filters_status_kind_phase_and_due(world):
    client = world.client("chief")
    steps = Step.objects.filter(runbook__merger=world.merger)
    first = steps.order_by("sequence").first()
    step_transition(step=first, status=StepStatus.DONE, actor=world.users["chief"], override_reason="test")
    assert first.pk not in _ids(client.get(URL))  # open by default
    assert _ids(client.get(URL + "?status=done")) == {first.pk}
    assert _ids(client.get(URL + "?kind=cutover")) == set(
        steps.filter(kind=StepKind.CUTOVER).values_list("pk", flat=True))
    assert client.get(URL + "?phase=1&status=all").context["page"].paginator.count == steps.count()
    assert _ids(client.get(URL + "?phase=9")) == _ids(client.get(URL))  # not a phase of theirs: ignored
    # due: overdue is open and planned to finish before today; the window looks ahead from today
    Step.objects.filter(pk=steps.order_by("sequence")[1].pk).update(planned_start=dt.date(2006, 2, 27),
                                                                       planned_finish=dt.date(2006, 3, 1))
    assert _ids(client.get(URL + "?due=overdue")) == set(
        steps.exclude(status__in=["done", "skipped"]).filter(planned_finish__lt=dt.date(2006, 3, 15))
        .values_list("pk", flat=True)) != set()
    week = set(steps.exclude(status__in=["done", "skipped"]).filter(
        planned_finish__gte=dt.date(2006, 3, 15), planned_finish__lte=dt.date(2006, 3, 22)).values_list("pk", flat=True))
    assert _ids(client.get(URL + "?due=7")) == week
    # a value that is not a choice is ignored, not a 500
    assert client.get(URL + "?due=soon&kind=x&phase=y&page=zz").status_code == 200


def test_pagination(db):
    chief = UserFactory(username="chief")
    merger = merger_with_runbook(municipalities=12, domains=5, chief=chief)
    total = merger.runbook.steps.count()
    assert total > PAGE_SIZE
    client = Client()
    client.force_login(chief)
    first = client.get(URL + "?status=all")
    second = client.get(URL + "?status=all&page=2")
    assert len(first.context["rows"]) == PAGE_SIZE
    assert len(second.context["rows"]) == total - PAGE_SIZE
    assert not _ids(first) & _ids(second)
    assert 'rel="next"' in first.content.decode() and "status=all&amp;page=2" in first.content.decode()


# --- bulk status change ----------------------------------------------------------------------------


def test_bulk_change_moves_each_step_and_records_the_events(world):
    steps = list(_kmd_steps(world.merger).filter(status=StepStatus.NOT_STARTED).order_by("sequence")[:2])
    assert len(steps) == 2
    events = Event.objects.filter(verb="status_changed").count()
    response = _post(world.client("advisor"), steps, StepStatus.IN_PROGRESS)
    assert response.status_code == 200
    results = response.context["results"]
    assert (results["done"], results["refused"]) == (2, 0)
    for s in steps:
        fresh = Step.objects.get(pk=s.pk)
        assert fresh.status == StepStatus.IN_PROGRESS and fresh.version == s.version + 1
    assert Event.objects.filter(verb="status_changed").count() == events + 2
    assert Event.objects.filter(verb="status_changed", actor=world.users["advisor"]).count() == 2


def test_bulk_change_refuses_a_step_changed_meanwhile_and_says_which(world):
    a, b = list(_kmd_steps(world.merger).filter(status=StepStatus.NOT_STARTED).order_by("sequence")[:2])
    stale_version = b.version
    step_transition(step=b, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])  # someone else first
    b.version = stale_version
    response = _post(world.client("advisor"), [a, b], StepStatus.BLOCKED, reason="Venter på KMD")
    assert response.status_code == 200
    items = {i["id"]: i for i in response.context["results"]["items"]}
    assert items[a.pk]["ok"] and not items[b.pk]["ok"]
    with translation.override("da"):
        assert items[b.pk]["message"] == gettext("Someone else changed the step first. Reload and try again.")
    assert Step.objects.get(pk=a.pk).status == StepStatus.BLOCKED
    assert Step.objects.get(pk=b.pk).status == StepStatus.IN_PROGRESS  # as the other user left it
    body = response.content.decode()
    assert "bulk-refused" in body and "bulk-ok" in body


def test_bulk_change_refuses_steps_that_are_not_the_users(world):
    foreign = Step.objects.filter(assignee_municipality=world.other_municipality).first()
    elsewhere = Step.objects.filter(runbook__merger=world.other).first()
    before = list(Step.objects.order_by("pk").values_list("pk", "status", "version"))
    response = _post(world.client("coordinator"), [foreign, elsewhere], StepStatus.IN_PROGRESS)
    assert response.status_code == 403
    assert [i["ok"] for i in response.context["results"]["items"]] == [False, False]
    assert list(Step.objects.order_by("pk").values_list("pk", "status", "version")) == before


def test_bulk_change_a_rule_of_the_runbook_refuses_with_its_reason(world):
    steps = list(_kmd_steps(world.merger).filter(status=StepStatus.NOT_STARTED).order_by("sequence")[:2])
    response = _post(world.client("advisor"), steps, StepStatus.BLOCKED)  # blocking needs a reason
    assert response.status_code == 422
    items = response.context["results"]["items"]
    assert [i["ok"] for i in items] == [False, False]
    assert len({i["message"] for i in items}) == 1 and items[0]["message"]  # the service's one reason
    assert not Step.objects.filter(pk__in=[s.pk for s in steps], status=StepStatus.BLOCKED).exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"status": "in_progress"}, None),  # no step chosen
    ({"status": "flying", "step": ["1"], "v-1": "1"}, "status"),
    ({"status": "in_progress", "step": ["abc"]}, None),
    ({"status": "in_progress", "step": ["1"]}, None),  # without its version
])
def test_bulk_bad_input_is_a_400_naming_the_field(world, data, field):
    before = list(Step.objects.order_by("pk").values_list("pk", "status", "version"))
    response = world.client("advisor").post(BULK, data)
    assert response.status_code == 400
    form = response.context["bulk_form"]
    assert (form.errors.get(field) if field else form.non_field_errors())
    assert list(Step.objects.order_by("pk").values_list("pk", "status", "version")) == before


def test_bulk_needs_a_post_and_a_login(world):
    assert world.client("advisor").get(BULK).status_code == 405
    assert Client().get(URL).status_code == 302


def test_the_nav_links_my_steps(world):
    body = world.client("viewer").get(reverse("home")).content.decode()
    assert f'href="{URL}"' in body


# --- a fixed number of queries -----------------------------------------------------------------------

#: session, user, memberships, mergers (choices), phases (choices), count, the page's ids, its steps
MY_STEPS_QUERIES = 8


def test_my_steps_query_count_does_not_grow_with_mergers_or_steps(db, django_assert_num_queries):
    advisor = UserFactory(username="advisor")
    client = Client()
    client.force_login(advisor)

    def serve(municipalities, domains):
        merger = merger_with_runbook(municipalities=municipalities, domains=domains)
        MembershipFactory(merger=merger, role=Role.VENDOR_ADVISOR, vendor=Vendor.objects.get(code="kmd"),
                          user=advisor)

    serve(2, 1)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL + "?status=all").status_code == 200
    for _ in range(3):
        serve(6, 4)
    assert len(accesses_for(advisor)) == 4
    with django_assert_num_queries(MY_STEPS_QUERIES):
        assert client.get(URL + "?status=all").status_code == 200
    assert len(small.captured_queries) == MY_STEPS_QUERIES, "\n".join(q["sql"] for q in small.captured_queries)


# --- review at the scale of the country: counted, the soonest shown -------------------------------------


def test_review_shows_the_soonest_checkpoints_and_counts_them_all(world, monkeypatch):
    from runbook.views import steps as views

    kmd = Vendor.objects.get(code="kmd")
    MembershipFactory(merger=world.other, role=Role.VENDOR_ADVISOR, vendor=kmd, user=world.users["advisor"])
    monkeypatch.setattr(views, "REVIEW_CARDS", 1)
    response = world.client("advisor").get(reverse("review"))
    open_checkpoints = Step.objects.filter(kind=StepKind.CHECKPOINT).exclude(status__in=["done", "skipped"])
    assert response.context["awaiting_count"] == open_checkpoints.count() == 2
    assert len(response.context["awaiting"]) == 1
    assert f'href="{URL}?kind=checkpoint"' in response.content.decode()
