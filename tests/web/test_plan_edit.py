"""The IT chief edits the plan in the browser: adds and deletes steps, changes plan fields on the step's page
and in a runbook row, links steps through the search picker; everyone else is refused and nothing changes.
Celery is eager here, so the replan has run by the time the page answers."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import Event
from runbook.models import CheckpointSignoff, Dependency, ScheduleRequest, Step, StepKind, StepStatus
from runbook.services import step_transition
from runbook.services.plan import step_create, step_delete
from runbook.views.plan import _saved_message

pytestmark = pytest.mark.django_db


def _url(name, world, step=None, **extra):
    kwargs = {"merger_id": world.merger.pk, **extra}
    if step is not None:
        kwargs["step_id"] = step.pk
    return reverse(name, kwargs=kwargs)


def _plan_post(step, **changes) -> dict:
    """A POST of the page's plan form as the browser sends it: every field with its current value."""
    def value(name):
        v = getattr(step, name)
        if v is None:
            return ""
        if hasattr(v, "pk"):
            return str(v.pk)
        return v.isoformat() if isinstance(v, dt.date) else v

    data = {name: value(name) for name in ("name", "name_en", "description", "duration_days", "owner",
                                           "assignee_municipality", "assignee_vendor", "deadline", "not_before",
                                           "direction", "wave", "plan_tag")}
    if step.kind == StepKind.CUTOVER:
        data["target_date"] = value("target_date")
    for name in ("post_merger", "needs_users"):
        if getattr(step, name):
            data[name] = "on"
    data["version"] = step.version
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- who may -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [
    (None, 302), ("outsider", 404), ("viewer", 403), ("coordinator", 403), ("advisor", 403), ("chief", 200),
])
def test_who_may_open_the_plan_pages(world, role, expected):
    step = world.step("1")
    client = world.client(role)
    for url in (_url("step-new", world), _url("step-plan-edit", world, step), _url("step-delete", world, step)):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor"])
def test_others_are_refused_every_write_and_nothing_changes(world, role):
    step = world.step("2-")
    other = world.step("1")
    dep = Dependency.objects.filter(successor=step).first()
    client = world.client(role)
    before = (Step.objects.count(), Dependency.objects.count(), Event.objects.count(),
              sorted(Step.objects.values_list("version", flat=True)))
    posts = [
        (_url("step-new", world), {"name": "Ny", "phase": step.phase_id, "kind": "task", "duration_days": 2,
                                    "direction": "asap"}),
        (_url("step-plan-edit", world, step), _plan_post(step, duration_days=9)),
        (_url("step-delete", world, step), {"version": step.version}),
        (_url("step-dependency-add", world, step), {"other": other.pk, "side": "successor", "type": "FS",
                                                     "lag_days": 0}),
        (_url("step-dependency-remove", world, step, dependency_id=dep.pk), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert (Step.objects.count(), Dependency.objects.count(), Event.objects.count(),
            sorted(Step.objects.values_list("version", flat=True))) == before


def test_the_runbook_and_step_pages_offer_editing_to_the_chief_only(world):
    step = world.step("1")
    runbook, detail = _url("merger-runbook", world), _url("step-detail", world, step)
    chief, viewer = world.client("chief"), world.client("viewer")
    assert _url("step-new", world).encode() in chief.get(runbook).content
    assert _url("step-plan-edit", world, step).encode() in chief.get(detail).content
    assert _url("step-dependency-add", world, step).encode() in chief.get(detail).content
    assert _url("step-new", world).encode() not in viewer.get(runbook).content
    page = viewer.get(detail).content
    assert _url("step-plan-edit", world, step).encode() not in page
    assert _url("step-dependency-add", world, step).encode() not in page


# --- a new step ------------------------------------------------------------------------------------------


def test_the_chief_adds_a_step_at_the_end_of_its_phase_and_it_is_planned(world, django_capture_on_commit_callbacks):
    last = Step.objects.filter(runbook__merger=world.merger).order_by("-sequence").first()
    with django_capture_on_commit_callbacks(execute=True):  # the replan after commit (eager Celery)
        response = world.client("chief").post(_url("step-new", world), {
            "name": "Test konverteringen af sygedagpenge", "name_en": "Test the conversion",
            "phase": last.phase_id, "kind": "task", "duration_days": 4,
            "assignee_municipality": world.own_municipality.pk, "direction": "asap",
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    step = Step.objects.get(runbook__merger=world.merger, name="Test konverteringen af sygedagpenge")
    assert response["Location"] == step.get_absolute_url()
    assert step.key == "ny-1" and step.sequence == last.sequence + 1
    assert step.responsible_role == "coordinator" and step.duration_days == 4
    assert step.planned_start is not None  # the replan ran (eager) and placed it
    assert Event.objects.filter(verb="step_created", object_id=step.pk, actor=world.users["chief"]).exists()
    page = world.client("chief").get(response["Location"]).content.decode()
    assert "ny-1" in page and "Test konverteringen af sygedagpenge" in page


def test_a_new_step_without_name_or_phase_keeps_the_input_and_focuses_the_first_error(world):
    response = world.client("chief").post(_url("step-new", world), {
        "name": "", "name_en": "Keep me", "kind": "task", "duration_days": 3, "direction": "asap",
    })
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) >= {"name", "phase"}
    html = response.content.decode()
    assert 'value="Keep me"' in html
    assert 'name="name"' in html and "autofocus" in html.split('name="name"')[1].split(">")[0] + \
        html.split('name="name"')[0].rsplit("<", 1)[1]
    assert not Step.objects.filter(name_en="Keep me").exists()


def test_a_target_go_live_outside_the_window_is_refused_naming_the_window(world):
    cutover = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.CUTOVER).first()
    before = Step.objects.count()
    response = world.client("chief").post(_url("step-new", world), {
        "name": "Ekstra omlægning", "phase": cutover.phase_id, "kind": "cutover", "domain": cutover.domain_id,
        "duration_days": 1, "direction": "asap", "target_date": "2006-05-01",
    })
    assert response.status_code == 422
    errors = response.context["form"].errors["target_date"]
    assert "2007" in errors[0]  # without a granted dispensation the window opens on the legal date
    assert Step.objects.count() == before


def test_hand_made_keys_are_never_used_twice(world):
    chief = world.users["chief"]
    runbook = world.merger.runbook
    phase = world.step("1").phase
    first = step_create(runbook=runbook, actor=chief, data={"name": "En", "phase": phase})
    step_delete(step=first, actor=chief)
    second = step_create(runbook=runbook, actor=chief, data={"name": "To", "phase": phase})
    assert (first.key, second.key) == ("ny-1", "ny-2")


# --- a step's plan fields --------------------------------------------------------------------------------


def test_changing_the_duration_on_the_page_replans_and_shows_the_new_dates(world, django_capture_on_commit_callbacks):
    step = world.step("1")
    old_finish = step.planned_finish
    client = world.client("chief")
    with django_capture_on_commit_callbacks(execute=True):  # the replan after commit (eager Celery)
        response = client.post(_url("step-plan-edit", world, step),
                               _plan_post(step, duration_days=step.duration_days + 10))
    assert response.status_code == 302 and response["Location"] == step.get_absolute_url()
    fresh = Step.objects.get(pk=step.pk)
    assert fresh.duration_days == step.duration_days + 10 and fresh.version == step.version + 1
    assert fresh.planned_finish > old_finish  # replanned (eager Celery)
    assert Event.objects.filter(verb="step_updated", object_id=step.pk,
                                changes__duration_days=[step.duration_days, step.duration_days + 10]).exists()
    page = client.get(response["Location"])
    with translation.override("da"):
        expected = _saved_message(step.key)
    assert [str(m) for m in page.context["messages"]] == [expected]
    assert fresh.planned_finish.strftime("%Y") in page.content.decode()


def test_someone_elses_change_first_is_a_conflict_that_keeps_the_input(world):
    step = world.step("1")
    stale = _plan_post(step, duration_days=17, description="Min beskrivelse")
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])  # someone else
    response = world.client("chief").post(_url("step-plan-edit", world, step), stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Min beskrivelse" in html and 'value="17"' in html
    errors = response.context["form"].non_field_errors()
    assert errors and "Bent Johannsen" in errors[0]
    assert 'role="alert" tabindex="-1" id="form-errors" autofocus' in html  # focus on the message
    assert Step.objects.get(pk=step.pk).duration_days == step.duration_days
    # the form now carries the current version: saving again applies the kept input knowingly
    current = Step.objects.get(pk=step.pk)
    assert f'value="{current.version}"' in html
    again = world.client("chief").post(_url("step-plan-edit", world, step),
                                       {**stale, "version": current.version})
    assert again.status_code == 302
    assert Step.objects.get(pk=step.pk).duration_days == 17


def test_a_milestone_keeps_its_zero_duration(world):
    milestone = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.MILESTONE).first()
    response = world.client("chief").post(_url("step-plan-edit", world, milestone),
                                          _plan_post(milestone, duration_days=5, deadline="2007-02-01"))
    assert response.status_code == 302
    fresh = Step.objects.get(pk=milestone.pk)
    assert (fresh.duration_days, fresh.deadline) == (0, dt.date(2007, 2, 1))


def test_a_bad_date_names_the_field(world):
    step = world.step("1")
    response = world.client("chief").post(_url("step-plan-edit", world, step), _plan_post(step, deadline="1850-01-01"))
    assert response.status_code == 422
    assert response.context["form"].errors["deadline"]
    assert Step.objects.get(pk=step.pk).version == step.version


def test_the_runbook_row_edits_duration_and_assignee_in_place(world):
    step = world.step("3-", world.own_municipality)
    client = world.client("chief")
    form = client.get(_url("step-plan-edit", world, step) + "?ui=row", HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    html = form.content.decode()
    assert f'id="row{step.pk}_duration_days"' in html and 'name="deadline"' in html and 'name="name"' not in html
    response = client.post(_url("step-plan-edit", world, step), {
        "ui": "row", "version": step.version, "duration_days": 6,
        "assignee_municipality": world.other_municipality.pk, "assignee_vendor": step.assignee_vendor_id or "",
        "deadline": "",
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="step-row-{step.pk}"' in response.content.decode()
    assert world.other_municipality.name in response.content.decode()
    fresh = Step.objects.get(pk=step.pk)
    assert (fresh.duration_days, fresh.assignee_municipality_id) == (6, world.other_municipality.pk)


def test_a_row_error_comes_back_in_the_row_with_the_focus_on_the_field(world):
    step = world.step("1")
    response = world.client("chief").post(_url("step-plan-edit", world, step), {
        "ui": "row", "version": step.version, "duration_days": "-3", "deadline": "",
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="step-row-{step.pk}"' in html and "<details class=\"plan-change\" open" in html
    field = html.split(f'id="row{step.pk}_duration_days"')[0].rsplit("<input", 1)[1] + \
        html.split(f'id="row{step.pk}_duration_days"')[1].split(">")[0]
    assert "autofocus" in field and 'aria-invalid="true"' in field


# --- deleting a step -------------------------------------------------------------------------------------


def test_deleting_a_step_removes_its_dependencies_and_is_recorded(world):
    step = world.step("2-")
    n_deps = Dependency.objects.filter(successor=step).count() + Dependency.objects.filter(predecessor=step).count()
    assert n_deps
    client = world.client("chief")
    confirm = client.get(_url("step-delete", world, step)).content.decode()
    assert "1." in confirm or step.key in confirm
    response = client.post(_url("step-delete", world, step), {"version": step.version})
    assert response.status_code == 302 and response["Location"] == _url("merger-runbook", world)
    assert not Step.objects.filter(pk=step.pk).exists()
    assert not Dependency.objects.filter(successor_id=step.pk).exists()
    event = Event.objects.get(verb="step_deleted", object_id=step.pk)
    assert event.changes["key"] == [step.key, None] and event.changes.get("predecessors")


def test_a_step_with_progress_or_signoffs_is_not_deleted(world):
    chief = world.users["chief"]
    begun = world.step("1")
    step_transition(step=begun, status=StepStatus.IN_PROGRESS, actor=chief)
    begun.refresh_from_db()
    response = world.client("chief").post(_url("step-delete", world, begun), {"version": begun.version})
    assert response.status_code == 422 and response.context["error"] in response.content.decode()
    checkpoint = world.checkpoint()
    # given: a sign-off on record (written directly: the signing rules are not what is tested here)
    CheckpointSignoff.objects.create(step=checkpoint, user=world.users["advisor"], role="vendor_advisor",
                                     decision="go")
    checkpoint.refresh_from_db()
    response = world.client("chief").post(_url("step-delete", world, checkpoint), {"version": checkpoint.version})
    assert response.status_code == 422
    assert Step.objects.filter(pk__in=[begun.pk, checkpoint.pk]).count() == 2


def test_deleting_with_an_old_version_is_a_conflict(world):
    step = world.step("2-")
    old = step.version
    step_transition(step=step, status=StepStatus.SKIPPED, actor=world.users["chief"])
    response = world.client("chief").post(_url("step-delete", world, step), {"version": old})
    assert response.status_code == 409
    assert Step.objects.filter(pk=step.pk).exists()


# --- dependencies through the picker ---------------------------------------------------------------------


def test_the_picker_finds_steps_by_municipality_and_tells_same_names_apart(world):
    step = world.step("1")
    own = world.own_municipality
    # a name of its own: the factories' "Kommune <n>" would make "<n>" a search word that matches other keys
    own.name = "Bredebro"
    own.save(update_fields=["name"])
    client = world.client("chief")
    htmx = client.get(_url("step-picker", world, step) + f"?q=3- {own.name}", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    html = htmx.content.decode()
    matches = Step.objects.filter(runbook__merger=world.merger, key__startswith="3-", assignee_municipality=own)
    assert matches.exists()
    offered = set(re.findall(r'name="other" value="(\d+)"', html))
    for s in matches:
        assert str(s.pk) in offered and s.key in html
    assert own.name in html
    others = Step.objects.filter(runbook__merger=world.merger, key__startswith="3-").exclude(assignee_municipality=own)
    assert others.exists()
    assert offered.isdisjoint(str(s.pk) for s in others)
    # without JS: the same search answers the step's page with the results in the form
    page = client.get(_url("step-picker", world, step) + f"?q={own.name}")
    assert page.status_code == 200 and 'type="radio" name="other"' in page.content.decode()


def test_the_picker_offers_only_steps_of_the_same_runbook(world):
    step = world.step("1")
    foreign = Step.objects.filter(runbook__merger=world.other).first()
    html = world.client("chief").get(_url("step-picker", world, step) + f"?q={foreign.key}",
                                     HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{foreign.pk}"' not in html
    response = world.client("chief").post(_url("step-dependency-add", world, step), {
        "other": foreign.pk, "side": "successor", "type": "FS", "lag_days": 0,
    })
    assert response.status_code == 422 and response.context["dependency_form"].errors["other"]


def test_adding_and_removing_a_dependency_with_type_and_lag(world):
    first, checkpoint = world.step("1"), world.checkpoint()
    client = world.client("chief")
    response = client.post(_url("step-dependency-add", world, checkpoint), {
        "other": first.pk, "side": "predecessor", "type": "SS", "lag_days": 3, "q": "1",
    })
    assert response.status_code == 302
    dep = Dependency.objects.get(predecessor=first, successor=checkpoint)
    assert (dep.type, dep.lag_days) == ("SS", 3)
    assert Event.objects.filter(verb="dependency_added", object_id=checkpoint.pk).exists()
    response = client.post(_url("step-dependency-remove", world, first, dependency_id=dep.pk))
    assert response.status_code == 302
    assert not Dependency.objects.filter(pk=dep.pk).exists()
    assert Event.objects.filter(verb="dependency_removed", object_id=checkpoint.pk).exists()


def test_a_cycle_is_refused_and_named(world):
    first, golive = world.step("1"), Step.objects.get(runbook__merger=world.merger, kind=StepKind.MILESTONE)
    before = Dependency.objects.count()
    response = world.client("chief").post(_url("step-dependency-add", world, first), {
        "other": golive.pk, "side": "predecessor", "type": "FS", "lag_days": 0, "q": golive.key,
    })
    assert response.status_code == 422
    message = response.context["dependency_form"].non_field_errors()[0]
    assert "1 →" in message and message.endswith("→ 1")
    html = response.content.decode()
    assert f'value="{golive.pk}" checked' in html  # the choice is kept
    assert Dependency.objects.count() == before


# --- the replan notice -----------------------------------------------------------------------------------


def test_the_step_page_says_the_plan_is_being_recomputed_until_it_has_run(world):
    step = world.step("1")
    request = ScheduleRequest.objects.get(merger=world.merger)
    ScheduleRequest.objects.filter(pk=request.pk).update(requested=request.completed + 1)
    client = world.client("viewer")
    page = client.get(_url("step-detail", world, step)).content.decode()
    assert 'id="replan-status"' in page and _url("step-replan-status", world, step) in page
    assert 'hx-trigger="load delay:2s"' in page
    ScheduleRequest.objects.filter(pk=request.pk).update(completed=request.completed + 1)
    poll = client.get(_url("step-replan-status", world, step), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in poll
    assert step.planned_start.strftime("%Y") in poll
    assert 'id="replan-status"' not in client.get(_url("step-detail", world, step)).content.decode()


# --- query counts ----------------------------------------------------------------------------------------

#: page -> queries (session + user + the page's own), the same whatever the merger's size
PINNED = {
    # each + the shared header's merger query (base.html)
    "step-new": 12,  # + access, merger, runbook, the choices: owners, members, vendors, waves, phases, areas
    "step-plan-edit": 10,  # + access, merger, step, the choices: owners, members, vendors, waves
    "step-delete": 9,  # + access, merger, step, predecessors, successors, comment count
    "step-picker": 13,  # the step page's queries (tests/web/test_query_counts.py) + the search
}


def _measure(name: str, *, municipalities: int, domains: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from runbook.planning import schedule_apply
    from tests.factories import UserFactory, merger_with_runbook

    chief = UserFactory(username=f"chief{municipalities}")
    merger = merger_with_runbook(municipalities=municipalities, domains=domains, chief=chief)
    schedule_apply(merger)
    step = Step.objects.filter(runbook__merger=merger).order_by("sequence").first()
    kwargs = {"merger_id": merger.pk} if name == "step-new" else {"merger_id": merger.pk, "step_id": step.pk}
    url = reverse(name, kwargs=kwargs) + ("?q=Konverter" if name == "step-picker" else "")
    client = Client()
    client.force_login(chief)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", list(PINNED))
def test_plan_pages_run_a_fixed_number_of_queries(name):
    small = _measure(name, municipalities=2, domains=1)
    large = _measure(name, municipalities=5, domains=3)
    assert small == large, f"{name}: {small} queries for a small merger, {large} for a larger one"
    assert large == PINNED[name], f"{name}: {large} queries, pinned {PINNED[name]}"


# --- the services check the permission themselves ---------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor"])
def test_the_services_refuse_everyone_but_the_chief(world, role):
    from core.exceptions import PermissionDeniedError
    from runbook.services import dependency_add, dependency_remove

    user = world.users[role]
    first, checkpoint = world.step("1"), world.checkpoint()
    dep = Dependency.objects.filter(successor=world.step("2-")).first()
    before = (Step.objects.count(), Dependency.objects.count())
    with pytest.raises(PermissionDeniedError):
        dependency_add(predecessor=first, successor=checkpoint, actor=user)
    with pytest.raises(PermissionDeniedError):
        dependency_remove(dependency=dep, actor=user)
    with pytest.raises(PermissionDeniedError):
        step_create(runbook=world.merger.runbook, actor=user, data={"name": "Ny", "phase": first.phase})
    with pytest.raises(PermissionDeniedError):
        step_delete(step=world.step("2-"), actor=user)
    assert (Step.objects.count(), Dependency.objects.count()) == before
