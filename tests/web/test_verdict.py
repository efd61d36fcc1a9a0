"""One verdict: the landing page, a merger's dashboard, its status report and the list of mergers by risk
colour every merger alike, with the same reasons — one function (``runbook.selectors.overview``) fed by
the same inputs, whether it summarises one merger or a page of them."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from demo.seed import seed_demo
from municipalities.models import Merger
from runbook.models import Step, StepKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _verdicts(client: Client) -> dict[str, dict[int, tuple]]:
    """Each page's verdict (level, label, reasons) of every merger the client's user sees."""
    def key(v) -> tuple:
        return v.level, str(v.label), [str(r) for r in v.reasons]

    home = client.get(reverse("home")).context
    ranked = client.get(reverse("review-mergers")).context
    pages = {
        "home": {row["merger"].pk: key(row["summary"]["verdict"]) for row in home["rows"]},
        "review": {row["merger"].pk: key(row["summary"]["verdict"]) for row in ranked["rows"]},
        "dashboard": {}, "report": {},
    }
    for merger_id in pages["home"]:
        for name, url in (("dashboard", "merger-dashboard"), ("report", "merger-report")):
            response = client.get(reverse(url, kwargs={"merger_id": merger_id}))
            verdict = response.context["verdict"]
            pages[name][merger_id] = key(verdict)
            assert f"rag rag-{verdict.level}" in response.content.decode()
    return pages


def test_every_demo_merger_has_one_verdict_on_every_page():
    # given: the demo, seen by a superuser (every merger)
    seed_demo()
    client = Client()
    client.force_login(UserFactory(username="h3-root", is_superuser=True, is_staff=True))
    # when
    pages = _verdicts(client)
    # then
    assert set(pages["home"]) == set(Merger.objects.values_list("pk", flat=True))
    assert pages["dashboard"] == pages["home"] == pages["report"] == pages["review"]


def test_a_red_merger_beside_a_green_one_is_red_on_every_page(world):
    # given: a blocked step on the critical path in one merger, the other merger on one landing page
    step = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.TASK).order_by("sequence").first()
    Step.objects.filter(pk=step.pk).update(status="blocked", is_critical=True, total_slack=0)
    client = Client()
    client.force_login(UserFactory(username="h3-root", is_superuser=True, is_staff=True))
    # when
    pages = _verdicts(client)
    # then: summarised alone (dashboard, report) or with the other (landing page, review), the same words
    assert set(pages["home"]) == {world.merger.pk, world.other.pk}
    assert pages["dashboard"] == pages["home"] == pages["report"] == pages["review"]
    level, _label, reasons = pages["home"][world.merger.pk]
    assert level == "red" and any(step.key in r for r in reasons)
    assert not any(step.key in r for r in pages["home"][world.other.pk][2])
