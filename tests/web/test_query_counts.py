"""Every page runs a fixed number of queries whatever the merger's size: pinned at two sizes.

The counts include the two queries of every logged-in request (session, user). A change that adds a
query per step, per municipality or per merger fails here.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from municipalities.models import Role
from runbook.models import StepKind
from runbook.planning import schedule_apply
from runbook.services import checkpoint_sign, comment_add, step_transition
from tests.factories import MembershipFactory, UserFactory, VendorFactory, merger_with_runbook

pytestmark = pytest.mark.django_db

#: page -> queries (session + user + the page's own)
PINNED = {
    "home": 8,  # + memberships, mergers, step aggregates per merger, findings and plan checks, blocked steps,
    # standing no-gos
    "merger-dashboard": 19,  # + access, merger, progress, schedule, at risk, overdue, blocked, upcoming,
    # the verdict (step aggregates, findings and plan checks, blocked steps, no-gos), go-lives, snapshots,
    # members, recent changes, the merger alerts (no-gos in the header)
    "merger-timeline": 15,  # + access, merger, phases, members, domains, steps, baselines, waves, plan state
    # (critical path, pending replan), dependencies, freeze windows, calendar rules, the merger alerts
    "merger-runbook": 9,  # + access, merger, phases, members, domains, steps, the merger alerts
    "merger-systems": 10,  # + access, merger, members, instances, harmonisations, conversions, step counts,
    # the merger alerts
    "merger-report": 18,  # the dashboard's reads but the recent changes
    "step-detail": 12,  # + access, merger, step, predecessors, successors, comments, events, sign-offs,
    # whether a replan is pending (the plan-editing notice), the merger alerts
    "review": 14,  # + memberships, checkpoints, their sign-offs, signers, their predecessors, mergers,
    # aggregates, findings, blocked steps, no-gos; the checkpoints counted (awaiting, signed) and the first
    # signed ones (the cards are the soonest REVIEW_CARDS, not every checkpoint of the country)
    "review-mergers": 8,  # + memberships, mergers, aggregates, findings, blocked steps, no-gos (every merger
    # ranked, one page shown)
    "vendor-load": 8,  # + memberships, vendors, the vendor's go-lives, capacity periods, merger names, the
    # stored scenarios' loads
    "my-steps": 8,  # + memberships, mergers and phases (filter choices), count, the page's ids, its steps
    "settings-tokens": 3,  # + tokens
    "settings-feed": 5,  # + memberships, mergers, feed tokens
}


def _merger(chief, *, municipalities, domains):
    merger = merger_with_runbook(municipalities=municipalities, domains=domains, chief=chief)
    schedule_apply(merger)
    kmd = VendorFactory(code="kmd")
    advisor = MembershipFactory(merger=merger, role=Role.VENDOR_ADVISOR, vendor=kmd).user
    steps = list(merger.runbook.steps.order_by("sequence"))
    for step in steps[:3]:
        comment_add(step=step, author=advisor, body=f"about {step.key}")
        comment_add(step=step, author=chief, body=f"reply {step.key}")
    step_transition(step=steps[0], status="in_progress", actor=chief)
    checkpoint = next(s for s in steps if s.kind == StepKind.CHECKPOINT)
    checkpoint_sign(step=checkpoint, actor=advisor, decision="go", comment="ok", override_reason="early, on purpose")
    return merger, steps[0]


def _url(name, merger, step):
    if name in ("home", "review", "review-mergers", "vendor-load", "my-steps", "settings-tokens", "settings-feed"):
        return reverse(name)
    if name == "step-detail":
        return reverse(name, kwargs={"merger_id": merger.pk, "step_id": step.pk})
    return reverse(name, kwargs={"merger_id": merger.pk})


def _count(client, url) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_page_query_count_does_not_grow(name, django_assert_num_queries):
    # given a small merger, and then a merger three times its size (and a second merger for the chief)
    chief = UserFactory(username="chief")
    client = Client()
    client.force_login(chief)
    small, small_step = _merger(chief, municipalities=2, domains=1)
    client.get(_url(name, small, small_step))  # warm per-process caches (content types, calendars)
    small_count, small_sql = _count(client, _url(name, small, small_step))
    big, big_step = _merger(chief, municipalities=6, domains=4)
    assert big.runbook.steps.count() > 3 * small.runbook.steps.count()
    # when the same page is shown for the big one, then the count is the same and the pinned one
    with django_assert_num_queries(PINNED[name]):
        response = client.get(_url(name, big, big_step))
    assert response.status_code == 200
    assert small_count == PINNED[name], "\n".join(small_sql)
