"""Fixtures of the API tests: two mergers and a user for every role.

Merger A (``world.a``) has an IT chief, a viewer, a coordinator of member 2 (a converted municipality), a
KMD advisor, and a chief whose token is read-only. Merger B (``world.b``) is someone else's: everyone of
A gets 404 there. ``outsider`` belongs to no merger.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from municipalities.models import Role
from municipalities.tokens import api_token_create
from runbook.models import Step, StepKind
from systems.models import SystemInstance
from tests.factories import MembershipFactory, SystemFactory, UserFactory, VendorFactory, merger_with_runbook


@dataclass
class World:
    a: object
    b: object
    users: dict
    tokens: dict
    own_municipality: object
    other_municipality: object

    def step(self, merger, key_prefix: str, municipality=None) -> Step:
        qs = Step.objects.filter(runbook__merger=merger, key__startswith=key_prefix)
        if municipality is not None:
            qs = qs.filter(assignee_municipality=municipality)
        return qs.order_by("sequence").first()

    def checkpoint(self, merger) -> Step:
        return Step.objects.get(runbook__merger=merger, kind=StepKind.CHECKPOINT)


def build_world() -> World:
    chief = UserFactory(username="chief")
    a = merger_with_runbook(municipalities=3, domains=2, chief=chief)
    b = merger_with_runbook(municipalities=3, domains=2, chief=UserFactory(username="chief_b"))
    members = list(a.members.order_by("code"))
    own, other = members[1], members[2]
    kmd = VendorFactory(code="kmd")
    users = {
        "chief": chief,
        "viewer": MembershipFactory(merger=a, role=Role.VIEWER, user=UserFactory(username="viewer")).user,
        "coordinator": MembershipFactory(
            merger=a, role=Role.COORDINATOR, municipality=own, user=UserFactory(username="coordinator")
        ).user,
        "advisor": MembershipFactory(
            merger=a, role=Role.VENDOR_ADVISOR, vendor=kmd, user=UserFactory(username="advisor")
        ).user,
        "outsider": UserFactory(username="outsider"),
    }
    users["readonly"] = chief
    _, raw_ro = api_token_create(user=chief, name="ro", read_only=True)
    _, raw_rw = api_token_create(user=chief, name="rw")
    # dates, so that milestones and the calendar have something to show
    for merger in (a, b):
        day = dt.date(2006, 4, 3)
        for step in Step.objects.filter(runbook__merger=merger).order_by("sequence"):
            step.planned_start = day
            step.planned_finish = day + dt.timedelta(days=max(step.duration_days - 1, 0))
            step.total_slack = 3
            step.save(update_fields=["planned_start", "planned_finish", "total_slack"])
            day += dt.timedelta(days=1)
    return World(a=a, b=b, users=users, tokens={"readonly": raw_ro, "chief_rw": raw_rw},
                 own_municipality=own, other_municipality=other)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The factories hash a password per user; a fast hasher keeps the role matrix quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return build_world()


def client_for(world: World, role: str) -> APIClient:
    """A client acting as ``role``: ``anonymous``, a session user, or ``readonly`` (a Bearer token)."""
    client = APIClient()
    if role == "anonymous":
        return client
    if role == "readonly":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens['readonly']}")
        return client
    client.force_login(world.users[role])
    return client


def if_match(client: APIClient, url: str) -> dict:
    """The ``If-Match`` of a write to ``url`` (an object or a command on it): the ETag of the object as
    this client reads it. Empty for a collection, or when the client may not read the object (the write is
    then refused before its precondition is looked at)."""
    detail = re.match(r"^(/api/v1/[\w-]+/\d+/)", url)
    if detail is None:
        return {}
    response = client.get(detail.group(1))
    return {"HTTP_IF_MATCH": response.headers["ETag"]} if response.status_code == 200 else {}


def written(client: APIClient, method: str, url: str, body=None, **extra):
    """A write as a careful client makes it: with the ``If-Match`` of its own read of the object."""
    return getattr(client, method)(url, body, format="json", **if_match(client, url), **extra)


@pytest.fixture
def extra_system(db):
    """A KMD system nobody runs yet (for creating instances)."""
    return SystemFactory(vendor=VendorFactory(code="kmd"), name="KMD Ekstra")


def loose_instance(municipality, system) -> SystemInstance:
    """An instance no harmonisation refers to (so it may be deleted)."""
    return SystemInstance.objects.create(municipality=municipality, system=system)
