"""The runbook services check the actor's right themselves (whatever page, API call or admin form asked):
called directly by someone who lacks the right, each raises ``PermissionDeniedError`` and writes nothing —
no row and no audit Event. ``actor`` None is the system (seeding, tasks) and may."""
from __future__ import annotations

import datetime as dt

import pytest

from audit.models import Event
from core.exceptions import PermissionDeniedError
from municipalities.models import Role
from runbook.models import Dependency, FreezeWindow, Runbook, Step
from runbook.services import (
    calendar_entry_delete,
    calendar_entry_save,
    dependency_add,
    dependency_remove,
    runbook_instantiate,
)
from runbook.services.plan import step_create, step_delete
from tests.factories import MembershipFactory, UserFactory, merger_with_runbook, small_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {"chief": UserFactory(username="svc-chief"), "viewer": UserFactory(username="svc-viewer"),
            "outsider": UserFactory(username="svc-outsider"), "staff": UserFactory(username="svc-staff", is_staff=True)}


def _writes() -> tuple[int, ...]:
    return Runbook.objects.count(), Step.objects.count(), Dependency.objects.count(), FreezeWindow.objects.count(), \
        Event.objects.count()


@pytest.mark.parametrize("who", ["viewer", "outsider", "staff"])
def test_runbook_instantiate_is_the_it_chiefs(people, who):
    # given a merger without a runbook, and someone who is not its IT chief
    merger = merger_with_runbook(chief=people["chief"], instantiate=False)
    MembershipFactory(user=people["viewer"], merger=merger, role=Role.VIEWER)
    before = _writes()
    # when they instantiate it, then it is refused and nothing is written
    with pytest.raises(PermissionDeniedError):
        runbook_instantiate(merger=merger, template=small_template("svc"), actor=people[who])
    assert _writes() == before
    assert not Runbook.objects.filter(merger=merger).exists()


def test_runbook_instantiate_by_the_chief_or_the_system(people):
    merger = merger_with_runbook(chief=people["chief"], instantiate=False)
    runbook_instantiate(merger=merger, template=small_template("svc-chief"), actor=people["chief"])
    other = merger_with_runbook(instantiate=False)
    runbook_instantiate(merger=other, template=small_template("svc-system"), actor=None)
    assert Runbook.objects.filter(merger__in=[merger, other]).count() == 2


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_dependency_add_and_remove_are_the_it_chiefs(people, who):
    merger = merger_with_runbook(chief=people["chief"])
    MembershipFactory(user=people["viewer"], merger=merger, role=Role.VIEWER)
    steps = list(Step.objects.filter(runbook__merger=merger).order_by("sequence"))
    first, last = steps[0], steps[-1]
    dependency = Dependency.objects.filter(runbook__merger=merger).first()
    before = _writes()
    with pytest.raises(PermissionDeniedError):
        dependency_add(predecessor=last, successor=first, actor=people[who])
    with pytest.raises(PermissionDeniedError):
        dependency_remove(dependency=dependency, actor=people[who])
    assert _writes() == before


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_steps_are_added_and_taken_out_by_the_it_chief(people, who):
    merger = merger_with_runbook(chief=people["chief"])
    MembershipFactory(user=people["viewer"], merger=merger, role=Role.VIEWER)
    step = Step.objects.filter(runbook__merger=merger).order_by("-sequence").first()
    before = _writes()
    with pytest.raises(PermissionDeniedError):
        step_create(runbook=merger.runbook, actor=people[who], data={"name": "Ny", "phase": step.phase})
    with pytest.raises(PermissionDeniedError):
        step_delete(step=step, actor=people[who])
    assert _writes() == before


def test_the_national_calendar_is_staffs(people):
    merger = merger_with_runbook(chief=people["chief"])
    window = FreezeWindow.objects.create(name="Sommer", start=dt.date(2006, 7, 3), end=dt.date(2006, 7, 28))
    data = {"name": "Jul", "start": dt.date(2006, 12, 18), "end": dt.date(2006, 12, 29)}
    before = _writes()
    # the merger's own IT chief may not change the national calendar
    with pytest.raises(PermissionDeniedError):
        calendar_entry_save(model=FreezeWindow, actor=people["chief"], data=data)
    with pytest.raises(PermissionDeniedError):
        calendar_entry_delete(obj=window, actor=people["chief"])
    # nor a staff member a merger's own window
    with pytest.raises(PermissionDeniedError):
        calendar_entry_save(model=FreezeWindow, actor=people["staff"], data={**data, "merger": merger})
    assert _writes() == before
    calendar_entry_save(model=FreezeWindow, actor=people["staff"], data=data)
    assert FreezeWindow.objects.count() == 2
