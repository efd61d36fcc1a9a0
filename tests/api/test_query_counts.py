"""Every list and detail endpoint costs the same number of queries at two data sizes.

The chief of one merger asks (session authentication: 2 queries for session and user). The pinned
numbers are listed per endpoint; on a mismatch the captured SQL is printed.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import Event
from runbook.models import Dependency, Step, StepKind
from runbook.services import checkpoint_sign, comment_add
from systems.models import Conversion, Harmonisation, SystemInstance
from tests.factories import UserFactory, merger_with_runbook

# endpoint → queries (session + user = 2, then the view's own)
LISTS = {
    "municipalities": 4,  # count, rows
    "mergers": 5,  # count, rows, members (prefetch)
    "vendors": 4,
    "domains": 4,
    "systems": 4,
    "system-instances": 4,
    "harmonisations": 4,
    "conversions": 4,
    "runbooks": 4,
    "steps": 4,  # ETag stamp (runbook/api/list_etags.py), rows with their count (one query)
    "milestones": 4,  # ETag stamp, rows with their count
    "checkpoints": 5,  # count, rows, sign-offs (prefetch)
    "dependencies": 4,
    "waves": 4,
    "comments": 4,
    "events": 4,
}
DETAILS = {name: count - 1 for name, count in LISTS.items()}  # no count query
DETAILS.update(steps=3, milestones=3)  # no stamp either
EXTRA = {
    "steps.csv": 4,  # ETag stamp, every row (no count query)
    "milestones.csv": 4,
}


def _build(size: int):
    chief = UserFactory(username=f"chief{size}")
    merger = merger_with_runbook(municipalities=2 + size, domains=1 + size, chief=chief)
    steps = list(Step.objects.filter(runbook__merger=merger))
    for step in steps[: 2 + size]:
        comment_add(step=step, author=chief, body=f"Kommentar til {step.key} æøå")
    checkpoint = next(s for s in steps if s.kind == StepKind.CHECKPOINT)
    checkpoint_sign(step=checkpoint, actor=chief, decision="go", override_reason="early, on purpose")
    return chief, merger


def _first(resource: str, merger) -> int:
    from municipalities.models import Municipality
    from runbook.models import Comment, Runbook, Wave
    from systems.models import Domain, System, Vendor

    return {
        "municipalities": lambda: Municipality.objects.filter(mergers=merger).first().pk,
        "mergers": lambda: merger.pk,
        "vendors": lambda: Vendor.objects.first().pk,
        "domains": lambda: Domain.objects.first().pk,
        "systems": lambda: System.objects.first().pk,
        "system-instances": lambda: SystemInstance.objects.filter(municipality__mergers=merger).first().pk,
        "harmonisations": lambda: Harmonisation.objects.filter(merger=merger).first().pk,
        "conversions": lambda: Conversion.objects.filter(harmonisation__merger=merger).first().pk,
        "runbooks": lambda: Runbook.objects.get(merger=merger).pk,
        "steps": lambda: Step.objects.filter(runbook__merger=merger).first().pk,
        "milestones": lambda: Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER).first().pk,
        "checkpoints": lambda: Step.objects.filter(runbook__merger=merger, kind=StepKind.CHECKPOINT).first().pk,
        "dependencies": lambda: Dependency.objects.filter(runbook__merger=merger).first().pk,
        "waves": lambda: Wave.objects.create(runbook=merger.runbook, number=1, name="Bølge 1").pk,
        "comments": lambda: Comment.objects.filter(step__runbook__merger=merger).first().pk,
        "events": lambda: Event.objects.filter(merger=merger).first().pk,
    }[resource]()


def _count(client: APIClient, url: str) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response.status_code, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("resource", list(LISTS))
def test_list_and_detail_query_counts(db, resource, size):
    chief, merger = _build(size)
    client = APIClient()
    client.force_login(chief)
    obj = _first(resource, merger)

    status, n, sql = _count(client, f"/api/v1/{resource}/?page_size=500")
    assert status == 200
    assert n == LISTS[resource], "\n".join(sql)

    status, n, sql = _count(client, f"/api/v1/{resource}/{obj}/")
    assert status == 200
    assert n == DETAILS[resource], "\n".join(sql)


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("url", list(EXTRA))
def test_csv_query_counts(db, url, size):
    chief, merger = _build(size)
    client = APIClient()
    client.force_login(chief)
    status, n, sql = _count(client, f"/api/v1/{url}")
    assert status == 200
    assert n == EXTRA[url], "\n".join(sql)


@pytest.mark.parametrize("size", [1, 3])
def test_merger_subresources_query_counts(db, size):
    """Schedule, progress and the calendar read a fixed number of queries too."""
    chief, merger = _build(size)
    client = APIClient()
    client.force_login(chief)
    counts = {}
    for name in ("schedule", "progress", "milestones.ics"):
        url = f"/api/v1/mergers/{merger.pk}/{name}" + ("/" if not name.endswith(".ics") else "")
        status, n, _ = _count(client, url)
        assert status == 200
        counts[name] = n
    # identical at both sizes: compare with the small world built in the same test database
    small_chief, small = _build(0)
    client.force_login(small_chief)
    for name, n in counts.items():
        url = f"/api/v1/mergers/{small.pk}/{name}" + ("/" if not name.endswith(".ics") else "")
        assert _count(client, url)[1] == n, name


@pytest.mark.parametrize("resource", ["steps", "milestones"])
def test_fast_lists_give_what_the_serializer_gives(db, resource):
    """Steps and milestones are listed from ``values()``; each row equals the detail's body."""
    from runbook.baselines import baseline_capture
    from runbook.models import BaselineEntry, Wave

    chief, merger = _build(1)
    wave = Wave.objects.create(runbook=merger.runbook, number=1, name="Bølge 1")
    Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER).update(
        wave=wave, risk_reasons=[{"code": "late"}], at_risk=True
    )
    baseline_capture(runbook=merger.runbook, name="B1", actor=chief)
    assert BaselineEntry.objects.exists()
    client = APIClient()
    client.force_login(chief)

    rows = client.get(f"/api/v1/{resource}/?page_size=500").json()["results"]

    assert rows
    for row in rows:
        assert row == client.get(f"/api/v1/{resource}/{row['id']}/").json()


@pytest.mark.parametrize("resource", ["steps", "milestones"])
def test_fast_lists_reuse_their_compiled_sql_per_user_and_filter(db, resource, monkeypatch):
    """The page SQL compiled once per shape (``core.api.values_list._PAGE_SQL``) serves the next request of
    that shape with its own user and filter values: the bodies equal those of the uncompiled path."""
    from core.api import values_list

    chief1, merger1 = _build(1)
    chief2, merger2 = _build(2)
    urls = [
        f"/api/v1/{resource}/?page_size=7",
        f"/api/v1/{resource}/?page_size=7&page=2",
        f"/api/v1/{resource}/?page_size=5&search=a&ordering=-id",
        f"/api/v1/{resource}/?page_size=5&merger={merger1.pk}",
        f"/api/v1/{resource}/?page_size=5&merger={merger2.pk}",
    ]

    def bodies():
        out = []
        for chief in (chief1, chief2, chief1):
            client = APIClient()
            client.force_login(chief)
            out += [(url, client.get(url).content) for url in urls]
        return out

    monkeypatch.setattr(values_list, "_PAGE_SQL", {})
    compiled = bodies()
    assert any(entry is not None for entry in values_list._PAGE_SQL.values())
    monkeypatch.setattr(values_list, "_PAGE_SQL", {})
    monkeypatch.setattr(values_list._PagedRows, "_compile_page", lambda self, key_params: None)
    assert compiled == bodies()
    assert compiled[0][1] != compiled[len(urls)][1]  # each chief sees their own merger's rows
