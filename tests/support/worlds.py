"""The worlds the tests run in: mergers with a user for every role, built from the factories.

``build_api_world``: the API tests' two mergers (A with every role and two tokens, B someone else's) with
planned dates. ``build_page_world``: the page tests' scheduled merger and a merger of someone else.
``build_runbook_world``: an IT chief and a merger whose runbook is instantiated but not scheduled.

The conftests share each world across a module (``tests.support.shared``); a test that needs a world of
another size calls a builder itself.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.test import Client

from municipalities.models import Merger, Municipality, Role
from municipalities.tokens import api_token_create
from runbook.models import Step, StepKind
from runbook.planning import schedule_apply
from tests.factories import MembershipFactory, UserFactory, VendorFactory, merger_with_runbook


def step_of(merger: Merger, key_prefix: str, municipality: Municipality | None = None) -> Step:
    """The first step (by sequence) of ``merger`` whose key starts with ``key_prefix``, of ``municipality``
    when given."""
    qs = Step.objects.filter(runbook__merger=merger, key__startswith=key_prefix)
    if municipality is not None:
        qs = qs.filter(assignee_municipality=municipality)
    return qs.order_by("sequence").first()


def checkpoint_of(merger: Merger) -> Step:
    """The go/no-go checkpoint of ``merger``'s runbook."""
    return Step.objects.get(runbook__merger=merger, kind=StepKind.CHECKPOINT)


def team(merger: Merger, *, coordinator_of: Municipality) -> dict:
    """A viewer, a coordinator of ``coordinator_of`` and a KMD vendor advisor of ``merger`` (in that order;
    usernames as the keys)."""
    kmd = VendorFactory(code="kmd")
    viewer = UserFactory(username="viewer")
    MembershipFactory(merger=merger, role=Role.VIEWER, user=viewer)
    coordinator = UserFactory(username="coordinator")
    MembershipFactory(merger=merger, role=Role.COORDINATOR, municipality=coordinator_of, user=coordinator)
    advisor = UserFactory(username="advisor")
    MembershipFactory(merger=merger, role=Role.VENDOR_ADVISOR, vendor=kmd, user=advisor)
    return {"viewer": viewer, "coordinator": coordinator, "advisor": advisor}


# --- the API tests ----------------------------------------------------------------------------------------


@dataclass
class ApiWorld:
    """Merger A (``a``) has an IT chief, a viewer, a coordinator of member 2 (a converted municipality), a
    KMD advisor, and a chief whose token is read-only (``readonly``). Merger B (``b``) is someone else's:
    everyone of A gets 404 there. ``outsider`` belongs to no merger."""

    a: Merger
    b: Merger
    users: dict
    tokens: dict
    own_municipality: Municipality
    other_municipality: Municipality

    def step(self, merger: Merger, key_prefix: str, municipality: Municipality | None = None) -> Step:
        return step_of(merger, key_prefix, municipality)

    def checkpoint(self, merger: Merger) -> Step:
        return checkpoint_of(merger)


def build_api_world() -> ApiWorld:
    chief = UserFactory(username="chief")
    a = merger_with_runbook(municipalities=3, domains=2, chief=chief)
    b = merger_with_runbook(municipalities=3, domains=2, chief=UserFactory(username="chief_b"))
    members = list(a.members.order_by("code"))
    own, other = members[1], members[2]
    users = {"chief": chief, **team(a, coordinator_of=own), "outsider": UserFactory(username="outsider")}
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
    return ApiWorld(a=a, b=b, users=users, tokens={"readonly": raw_ro, "chief_rw": raw_rw},
                    own_municipality=own, other_municipality=other)


# --- the page tests ---------------------------------------------------------------------------------------


@dataclass
class PageWorld:
    """``merger`` (scheduled) has an IT chief (Bent Johannsen), a viewer, a coordinator of member 2 (a
    converted municipality) and a KMD advisor. ``outsider`` is the chief of ``other`` and has no role in
    ``merger``."""

    merger: Merger
    other: Merger
    users: dict
    own_municipality: Municipality
    other_municipality: Municipality

    def step(
        self, key_prefix: str, municipality: Municipality | None = None, merger: Merger | None = None
    ) -> Step:
        return step_of(merger or self.merger, key_prefix, municipality)

    def checkpoint(self, merger: Merger | None = None) -> Step:
        return checkpoint_of(merger or self.merger)

    def client(self, role: str | None) -> Client:
        """A page client logged in as ``role`` (a key of ``users``), or anonymous for None."""
        c = Client()
        if role is not None:
            c.force_login(self.users[role])
        return c


def build_page_world(*, municipalities: int = 3, domains: int = 2) -> PageWorld:
    chief = UserFactory(username="chief", first_name="Bent", last_name="Johannsen")
    merger = merger_with_runbook(municipalities=municipalities, domains=domains, chief=chief)
    outsider = UserFactory(username="outsider")
    other = merger_with_runbook(municipalities=2, domains=1, chief=outsider)
    members = list(merger.members.order_by("code"))
    own, foreign = members[1], members[2]
    users = {"chief": chief, **team(merger, coordinator_of=own), "outsider": outsider}
    schedule_apply(merger)
    schedule_apply(other)
    return PageWorld(
        merger=merger, other=other, users=users, own_municipality=own, other_municipality=foreign
    )


# --- the runbook tests ------------------------------------------------------------------------------------


@dataclass
class RunbookWorld:
    """An IT chief and the merger of three municipalities in two areas they lead, its runbook instantiated
    from the small test template (not yet scheduled)."""

    chief: object
    merger: Merger


def build_runbook_world() -> RunbookWorld:
    chief = UserFactory(username="chief")
    return RunbookWorld(chief=chief, merger=merger_with_runbook(municipalities=3, domains=2, chief=chief))
