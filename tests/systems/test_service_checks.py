"""The inventory and decision services check the actor's right themselves: a decision is applied by the
merger's IT chief, reference data every merger shares (a vendor's capacity, an area's binding) is changed by
staff. Refused, they write nothing — no row and no audit Event; ``actor`` None is the system and may."""
from __future__ import annotations

import datetime as dt

import pytest

from audit.models import Event
from core.exceptions import PermissionDeniedError
from municipalities.models import Role
from systems.models import Conversion, Domain, Harmonisation, Vendor, VendorCapacityPeriod
from systems.services import (
    domain_binding_set,
    harmonisation_apply,
    vendor_capacity_period_delete,
    vendor_capacity_period_save,
    vendor_capacity_set,
)
from tests.factories import MembershipFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


def _writes() -> tuple:
    return (
        Conversion.objects.count(), Event.objects.count(), VendorCapacityPeriod.objects.count(),
        list(Vendor.objects.order_by("pk").values_list("weekly_cutover_capacity", flat=True)),
        list(Domain.objects.order_by("pk").values_list("binding", "holds_data")),
    )


@pytest.fixture
def world():
    chief = UserFactory(username="sys-chief")
    merger = merger_with_runbook(chief=chief, instantiate=False)
    coordinator = UserFactory(username="sys-coordinator")
    MembershipFactory(user=coordinator, merger=merger, role=Role.COORDINATOR, municipality=merger.members.first())
    harmonisation = Harmonisation.objects.filter(merger=merger).first()
    Conversion.objects.filter(harmonisation=harmonisation).delete()  # a decision not applied yet
    return merger, harmonisation, {"chief": chief, "coordinator": coordinator,
                                   "outsider": UserFactory(username="sys-outsider")}


@pytest.mark.parametrize("who", ["coordinator", "outsider"])
def test_harmonisation_apply_is_the_it_chiefs(world, who):
    _merger, harmonisation, users = world
    before = _writes()
    with pytest.raises(PermissionDeniedError):
        harmonisation_apply(harmonisation=harmonisation, actor=users[who])
    assert _writes() == before
    assert harmonisation_apply(harmonisation=harmonisation, actor=users["chief"])


def test_shared_reference_data_is_staffs(world):
    _merger, _harmonisation, users = world
    chief = users["chief"]  # an IT chief, but not staff
    vendor, domain = Vendor.objects.first(), Domain.objects.first()
    period = VendorCapacityPeriod.objects.create(vendor=vendor, start=dt.date(2006, 7, 3), end=dt.date(2006, 7, 28),
                                                 capacity=1)
    data = {"vendor": vendor, "start": dt.date(2006, 12, 18), "end": dt.date(2006, 12, 29), "capacity": 1}
    before = _writes()
    with pytest.raises(PermissionDeniedError):
        vendor_capacity_set(vendor=vendor, capacity=9, actor=chief)
    with pytest.raises(PermissionDeniedError):
        domain_binding_set(domain=domain, actor=chief, data={"holds_data": not domain.holds_data})
    with pytest.raises(PermissionDeniedError):
        vendor_capacity_period_save(actor=chief, data=data)
    with pytest.raises(PermissionDeniedError):
        vendor_capacity_period_delete(period=period, actor=chief)
    assert _writes() == before
    staff = UserFactory(username="sys-staff", is_staff=True)
    assert vendor_capacity_set(vendor=vendor, capacity=9, actor=staff).weekly_cutover_capacity == 9
    assert vendor_capacity_set(vendor=vendor, capacity=8, actor=None).weekly_cutover_capacity == 8
