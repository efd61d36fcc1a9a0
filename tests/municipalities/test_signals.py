"""Replanning asked for from below: a change in municipalities or systems that moves plans sends its signal,
and the runbook's receiver asks for the replan of exactly the mergers concerned, inside the writing
transaction (the recompute itself is enqueued after commit, once per merger)."""
from __future__ import annotations

import datetime as dt

import pytest

from municipalities.models import DispensationStatus
from municipalities.services import merger_dispensation_set
from municipalities.signals import merger_plan_changed
from runbook.planning import recompute_deferred
from systems.models import Domain, Vendor
from systems.services import domain_binding_set, vendor_capacity_period_save, vendor_capacity_set
from tests.factories import UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(username="staff", is_staff=True)


def test_a_dispensation_change_sends_the_signal_and_replans_the_merger(django_capture_on_commit_callbacks):
    # given
    chief = UserFactory(username="chief")
    merger = merger_with_runbook(chief=chief)
    sent = []

    def listener(sender, **kwargs):
        sent.append(kwargs["merger_ids"])

    merger_plan_changed.connect(listener, dispatch_uid="test_listener")
    try:
        # when
        with django_capture_on_commit_callbacks() as callbacks:
            merger_dispensation_set(merger=merger, actor=chief, status=DispensationStatus.GRANTED,
                                    date=dt.date(2006, 7, 1))
        # then: one signal for the merger, and one recompute enqueued on commit
        assert sent == [[merger.pk]]
        assert len(callbacks) == 1
        # an unchanged dispensation changes nothing and asks for nothing
        with recompute_deferred() as ids:
            merger_dispensation_set(merger=merger, actor=chief, status=DispensationStatus.GRANTED,
                                    date=dt.date(2006, 7, 1))
        assert sent == [[merger.pk]] and ids == set()
    finally:
        merger_plan_changed.disconnect(dispatch_uid="test_listener")


def test_a_vendor_capacity_change_replans_the_mergers_with_steps_of_the_vendor(staff):
    served = [merger_with_runbook(), merger_with_runbook()]
    merger_with_runbook(instantiate=False)  # no runbook yet: nothing to replan
    kmd = Vendor.objects.get(code="kmd")
    with recompute_deferred() as ids:
        vendor_capacity_set(vendor=kmd, capacity=5, actor=staff)
    assert ids == {m.pk for m in served}
    with recompute_deferred() as ids:
        vendor_capacity_period_save(actor=staff, data={
            "vendor": kmd, "start": dt.date(2006, 12, 1), "end": dt.date(2006, 12, 31), "capacity": 1})
    assert ids == {m.pk for m in served}


def test_a_binding_change_replans_the_mergers_with_a_cutover_in_the_area(staff):
    one_area = merger_with_runbook(domains=1)  # area0 only
    two_areas = merger_with_runbook(domains=2)  # area0 and area1
    with recompute_deferred() as ids:
        domain_binding_set(domain=Domain.objects.get(code="area1"), actor=staff, data={"binding": "free"})
    assert ids == {two_areas.pk}
    with recompute_deferred() as ids:
        domain_binding_set(domain=Domain.objects.get(code="area0"), actor=staff, data={"binding": "free"})
    assert ids == {one_area.pk, two_areas.pk}
