"""The cross-merger pages at the scale of the country (issue 10): what grows with the number of mergers is
paged or summarised, never cut off — the landing page a page of mergers at a time, the review page the
worst few with the count of each verdict and a link to every merger by risk, a page at a time — in a fixed
number of queries however many mergers the user serves."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from municipalities.models import Role
from runbook.models import StepStatus
from runbook.services import step_transition
from runbook.views import overview as merger_views
from runbook.views import review as review_views
from runbook.views import steps as runbook_views
from systems.models import Vendor
from tests.factories import MembershipFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db

HOME = reverse("home")
REVIEW = reverse("review")
EVERY = reverse("review-mergers")


def _chief_of_both(world):
    """The chief also sees the other merger, which is made worse (a blocked step); returns (worse, better)."""
    MembershipFactory(merger=world.other, role=Role.VIEWER, user=world.users["chief"])
    step_transition(step=world.step("1", merger=world.other), status=StepStatus.BLOCKED,
                    actor=world.users["outsider"], reason="waiting")
    return world.other, world.merger


def _merger_names(response) -> list[str]:
    return [r["merger"].name for r in response.context["rows"]]


# --- the landing page: a page of mergers at a time --------------------------------------------------------


def test_home_pages_the_mergers_by_legal_date(world, monkeypatch):
    _chief_of_both(world)
    monkeypatch.setattr(merger_views, "HOME_PAGE_SIZE", 1)
    client = world.client("chief")
    ordered = sorted([world.merger, world.other], key=lambda m: (m.legal_date, m.name))
    first = client.get(HOME)
    second = client.get(HOME + "?page=2")
    assert _merger_names(first) == [ordered[0].name]
    assert _merger_names(second) == [ordered[1].name]
    body = first.content.decode()
    assert 'href="?page=2" rel="next"' in body
    assert f'href="{EVERY}"' in body  # the same mergers, by risk
    assert ordered[1].name not in body
    assert 'rel="prev"' in second.content.decode()


def test_home_page_numbers_out_of_range_answer_a_real_page(world, monkeypatch):
    _chief_of_both(world)
    monkeypatch.setattr(merger_views, "HOME_PAGE_SIZE", 1)
    client = world.client("chief")
    assert len(client.get(HOME + "?page=99").context["rows"]) == 1
    assert client.get(HOME + "?page=x").context["page"].number == 1
    assert client.get(HOME + "?page=3.7e22").status_code == 200


def test_home_with_few_mergers_shows_them_all_without_a_pager(world):
    _chief_of_both(world)
    response = world.client("chief").get(HOME)
    assert sorted(_merger_names(response)) == sorted([world.merger.name, world.other.name])
    assert 'class="pager"' not in response.content.decode()


# --- review: the worst few, every verdict counted, every merger one link away -----------------------------


def test_review_shows_the_worst_mergers_and_counts_every_verdict(world, monkeypatch):
    worse, better = _chief_of_both(world)
    monkeypatch.setattr(runbook_views, "REVIEW_MERGERS", 1)
    response = world.client("chief").get(REVIEW)
    assert _merger_names(response) == [worse.name]
    assert response.context["merger_count"] == 2
    verdicts = response.context["verdicts"]
    assert sum(verdicts.values()) == 2
    assert verdicts[response.context["rows"][0]["summary"]["verdict"].level] >= 1
    body = response.content.decode()
    assert f'href="{EVERY}"' in body
    assert better.name not in body.split('id="h-mergers"')[1]


def test_review_with_few_mergers_shows_them_all_without_the_link(world):
    worse, better = _chief_of_both(world)
    response = world.client("chief").get(REVIEW)
    assert _merger_names(response) == [worse.name, better.name]
    assert f'href="{EVERY}"' not in response.content.decode()


def test_every_merger_by_risk_pages_the_ranking(world, monkeypatch):
    worse, better = _chief_of_both(world)
    monkeypatch.setattr(review_views, "REVIEW_MERGERS_PAGE", 1)
    client = world.client("chief")
    first = client.get(EVERY)
    second = client.get(EVERY + "?page=2")
    assert _merger_names(first) == [worse.name]
    assert _merger_names(second) == [better.name]
    assert second.context["first_rank"] == 2
    assert first.context["merger_count"] == second.context["merger_count"] == 2
    assert 'href="?page=2" rel="next"' in first.content.decode()


def test_every_merger_by_risk_lists_only_the_users_mergers(world):
    response = world.client("outsider").get(EVERY)
    assert _merger_names(response) == [world.other.name]
    assert world.merger.name not in response.content.decode()
    assert Client().get(EVERY).status_code == 302  # anonymous: to the login


# --- a fixed number of queries however many mergers ---------------------------------------------------------

#: session, user, memberships, mergers, step aggregates, findings and plan checks, blocked steps, no-gos; the
#: review page + the checkpoints counted, the soonest, their sign-offs, predecessors and the signed ones (the
#: signers are a 14th query once a shown checkpoint has a sign-off: tests/web/test_query_counts.py)
PINNED = {HOME: 8, EVERY: 8, REVIEW: 13}


@pytest.mark.parametrize("url", sorted(PINNED))
def test_query_count_does_not_grow_with_the_mergers_served(db, url, monkeypatch):
    monkeypatch.setattr(merger_views, "HOME_PAGE_SIZE", 2)
    monkeypatch.setattr(runbook_views, "REVIEW_MERGERS", 2)
    monkeypatch.setattr(review_views, "REVIEW_MERGERS_PAGE", 2)
    advisor = UserFactory(username="advisor")
    client = Client()
    client.force_login(advisor)

    def serve():
        merger = merger_with_runbook(municipalities=2, domains=1)
        MembershipFactory(merger=merger, role=Role.VENDOR_ADVISOR, vendor=Vendor.objects.get_or_create(
            code="kmd", defaults={"name": "KMD"})[0], user=advisor)
        return merger

    serve()
    client.get(url)  # warm per-process caches
    counts = []
    for more in (0, 4):
        for _ in range(more):
            serve()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(response.context["rows"]) == 2  # five mergers, two a page: paged, not all
    assert counts == [PINNED[url], PINNED[url]], counts
