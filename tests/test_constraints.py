"""Each database constraint rejects what it should — on SQLite and on PostgreSQL alike (CI runs both)."""
import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from municipalities.models import Membership, Merger, Municipality, Role
from runbook.models import CheckpointSignoff, Dependency, FreezeWindow, Step, StepStatus
from systems.models import Harmonisation, Interface, Strategy, Vendor, VendorCapacityPeriod
from tests.factories import (
    MergerFactory,
    MunicipalityFactory,
    SystemInstanceFactory,
    UserFactory,
    merger_with_runbook,
)

pytestmark = pytest.mark.django_db


def rejected(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_municipality_code_unique_and_not_empty():
    MunicipalityFactory(code="541")
    assert rejected(lambda: Municipality.objects.create(code="541", name="Dublet"))
    assert rejected(lambda: Municipality.objects.create(code="", name="Tom"))


def test_merger_code_unique_and_dispensation_rules():
    MergerFactory(code="550")
    assert rejected(lambda: Merger.objects.create(code="550", name="X", legal_date=dt.date(2007, 1, 1)))
    # dispensation must come before the legal date
    assert rejected(
        lambda: Merger.objects.create(
            code="551", name="Y", legal_date=dt.date(2007, 1, 1), dispensation_date=dt.date(2007, 2, 1)
        )
    )
    # granted needs a date
    assert rejected(
        lambda: Merger.objects.create(
            code="552", name="Z", legal_date=dt.date(2007, 1, 1), dispensation_status="granted"
        )
    )


def test_membership_roles_need_their_municipality_or_vendor():
    merger, user = MergerFactory(), UserFactory()
    assert rejected(lambda: Membership.objects.create(user=user, merger=merger, role=Role.COORDINATOR))
    assert rejected(lambda: Membership.objects.create(user=user, merger=merger, role=Role.VENDOR_ADVISOR))
    Membership.objects.create(user=user, merger=merger, role=Role.VIEWER)
    assert rejected(lambda: Membership.objects.create(user=user, merger=merger, role=Role.VIEWER))


def test_vendor_capacity_positive_and_interface_not_to_itself():
    assert rejected(lambda: Vendor.objects.create(code="x", name="X", weekly_cutover_capacity=0))
    instance = SystemInstanceFactory()
    assert rejected(lambda: Interface.objects.create(source=instance, target=instance))


def test_vendor_capacity_period_ends_after_it_starts():
    vendor = Vendor.objects.create(code="kmd", name="KMD", weekly_cutover_capacity=20)
    assert rejected(
        lambda: VendorCapacityPeriod.objects.create(
            vendor=vendor, start=dt.date(2006, 8, 13), end=dt.date(2006, 6, 19), capacity=10
        )
    )
    # one day, and a capacity of 0 (no go-lives that week), are allowed
    VendorCapacityPeriod.objects.create(vendor=vendor, start=dt.date(2006, 7, 3), end=dt.date(2006, 7, 3), capacity=0)
    assert list(vendor.capacity_periods.values_list("capacity", flat=True)) == [0]


def test_harmonisation_one_per_domain_and_keep_names_survivor():
    merger = merger_with_runbook(instantiate=False)
    h = merger.harmonisations.first()
    assert rejected(
        lambda: Harmonisation.objects.create(
            merger=merger, domain=h.domain, target_system=h.target_system, strategy=Strategy.NEW
        )
    )
    h.delete()
    assert rejected(
        lambda: Harmonisation.objects.create(
            merger=merger, domain=h.domain, target_system=h.target_system, strategy=Strategy.KEEP
        )
    )


def test_step_constraints():
    merger = merger_with_runbook()
    step = merger.runbook.steps.filter(duration_days__gt=0).first()
    milestone = merger.runbook.steps.get(kind="milestone")

    def finish_before_start():
        Step.objects.filter(pk=step.pk).update(actual_start=dt.date(2006, 3, 10), actual_finish=dt.date(2006, 3, 9))

    def done_without_finish():
        Step.objects.filter(pk=step.pk).update(status=StepStatus.DONE, actual_finish=None)

    def milestone_with_duration():
        Step.objects.filter(pk=milestone.pk).update(duration_days=3)

    def duplicate_key():
        Step.objects.create(runbook=merger.runbook, phase=step.phase, key=step.key, name="x", responsible_role="viewer")

    for violation in (finish_before_start, done_without_finish, milestone_with_duration, duplicate_key):
        assert rejected(violation), violation.__name__


def test_dependency_not_self_unique_and_inside_one_runbook():
    a = merger_with_runbook()
    b = merger_with_runbook()
    s1, s2 = a.runbook.steps.order_by("sequence")[:2]
    other = b.runbook.steps.first()
    assert rejected(lambda: Dependency.objects.create(runbook=a.runbook, predecessor=s1, successor=s1))
    existing = a.runbook.dependencies.first()
    assert rejected(
        lambda: Dependency.objects.create(
            runbook=a.runbook, predecessor=existing.predecessor, successor=existing.successor
        )
    )
    # crossing runbooks: the trigger rejects it, whichever runbook the row claims
    assert rejected(lambda: Dependency.objects.create(runbook=a.runbook, predecessor=s1, successor=other))
    assert rejected(lambda: Dependency.objects.create(runbook=b.runbook, predecessor=s1, successor=other))
    dep = Dependency.objects.create(runbook=a.runbook, predecessor=s2, successor=s1)
    assert rejected(lambda: Dependency.objects.filter(pk=dep.pk).update(successor=other))


def test_signoff_one_per_role_and_freeze_window_order():
    merger = merger_with_runbook()
    checkpoint = merger.runbook.steps.get(kind="checkpoint")
    user = UserFactory()
    CheckpointSignoff.objects.create(step=checkpoint, user=user, role=Role.IT_CHIEF, decision="go")
    assert rejected(
        lambda: CheckpointSignoff.objects.create(step=checkpoint, user=user, role=Role.IT_CHIEF, decision="go")
    )
    assert rejected(
        lambda: CheckpointSignoff.objects.create(step=checkpoint, user=user, role=Role.VIEWER, decision="go")
    )
    assert rejected(
        lambda: FreezeWindow.objects.create(name="x", start=dt.date(2006, 12, 22), end=dt.date(2006, 12, 1))
    )
