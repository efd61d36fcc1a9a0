"""Fixtures of the page tests: a scheduled merger with a user for every role, and a merger of someone else.

``world.merger`` has an IT chief, a viewer, a coordinator of member 2 (a converted municipality) and a KMD
advisor. ``outsider`` is the chief of ``world.other`` and has no role in ``world.merger``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from municipalities.models import Role
from runbook.models import Step, StepKind
from runbook.planning import schedule_apply
from tests.factories import MembershipFactory, UserFactory, VendorFactory, merger_with_runbook


@dataclass
class World:
    merger: object
    other: object
    users: dict
    own_municipality: object
    other_municipality: object

    def step(self, key_prefix: str, municipality=None, merger=None) -> Step:
        qs = Step.objects.filter(runbook__merger=merger or self.merger, key__startswith=key_prefix)
        if municipality is not None:
            qs = qs.filter(assignee_municipality=municipality)
        return qs.order_by("sequence").first()

    def checkpoint(self, merger=None) -> Step:
        return Step.objects.get(runbook__merger=merger or self.merger, kind=StepKind.CHECKPOINT)

    def client(self, role: str | None) -> Client:
        c = Client()
        if role is not None:
            c.force_login(self.users[role])
        return c


def build_world(*, municipalities: int = 3, domains: int = 2) -> World:
    chief = UserFactory(username="chief", first_name="Bent", last_name="Johannsen")
    merger = merger_with_runbook(municipalities=municipalities, domains=domains, chief=chief)
    outsider = UserFactory(username="outsider")
    other = merger_with_runbook(municipalities=2, domains=1, chief=outsider)
    members = list(merger.members.order_by("code"))
    own, foreign = members[1], members[2]
    kmd = VendorFactory(code="kmd")
    users = {
        "chief": chief,
        "viewer": MembershipFactory(merger=merger, role=Role.VIEWER, user=UserFactory(username="viewer")).user,
        "coordinator": MembershipFactory(
            merger=merger, role=Role.COORDINATOR, municipality=own, user=UserFactory(username="coordinator")
        ).user,
        "advisor": MembershipFactory(
            merger=merger, role=Role.VENDOR_ADVISOR, vendor=kmd, user=UserFactory(username="advisor")
        ).user,
        "outsider": outsider,
    }
    schedule_apply(merger)
    schedule_apply(other)
    return World(merger=merger, other=other, users=users, own_municipality=own, other_municipality=foreign)


@pytest.fixture
def world(db) -> World:
    return build_world()
