"""The baselines pages: capture (IT chief only, refusals keep the input and write nothing), the list, the
comparison (working days, slipped go-lives first, a summary line) and the timeline's ghost bars."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Event
from runbook.baselines import baseline_capture
from runbook.models import Baseline, Step, StepKind
from tests.support.worlds import build_page_world as build_world

pytestmark = pytest.mark.django_db


def _url(world, name="merger-baselines"):
    return reverse(name, kwargs={"merger_id": world.merger.pk})


def _move(step: Step, day: dt.date) -> None:
    Step.objects.filter(pk=step.pk).update(planned_start=day, planned_finish=day)


def _cutover(world) -> Step:
    return Step.objects.filter(runbook__merger=world.merger, kind=StepKind.CUTOVER).order_by("sequence").first()


def test_the_chief_captures_a_baseline_from_the_page(world):
    chief = world.client("chief")
    page = chief.get(_url(world))
    assert page.status_code == 200 and b'name="name"' in page.content
    response = chief.post(_url(world), {"name": "Godkendt plan"})
    assert response.status_code == 302
    baseline = Baseline.objects.get(runbook__merger=world.merger)
    assert baseline.name == "Godkendt plan" and baseline.captured_by == world.users["chief"]
    assert Event.objects.filter(verb="baseline_captured", object_id=baseline.pk).exists()
    listing = chief.get(_url(world)).content.decode()
    steps = Step.objects.filter(runbook__merger=world.merger).count()
    assert "Godkendt plan" in listing and "Bent Johannsen" in listing and f'class="num">{steps}<' in listing


@pytest.mark.parametrize("name, message", [("", "name"), ("  ", "Give the baseline a name"), ("x" * 101, "name")])
def test_a_bad_name_is_refused_on_the_field_with_the_input_kept(world, name, message):
    response = world.client("chief").post(_url(world), {"name": name})
    assert response.status_code == 422
    assert b'class="error"' in response.content
    assert not Baseline.objects.exists()


def test_a_taken_name_is_refused(world):
    baseline_capture(runbook=world.merger.runbook, name="B1", check_permission=False)
    response = world.client("chief").post(_url(world), {"name": "B1"})
    assert response.status_code == 422 and "B1" in response.content.decode()
    assert Baseline.objects.count() == 1


@pytest.mark.parametrize("role", ["viewer", "coordinator", "advisor"])
def test_others_see_the_list_but_may_not_capture(world, role):
    client = world.client(role)
    page = client.get(_url(world))
    assert page.status_code == 200 and b'name="name"' not in page.content
    response = client.post(_url(world), {"name": "Mine"})
    assert response.status_code == 403
    assert not Baseline.objects.exists()


def test_outsiders_get_404_and_anonymous_the_login(world):
    assert world.client("outsider").get(_url(world)).status_code == 404
    assert world.client("outsider").post(_url(world), {"name": "X"}).status_code == 404
    assert world.client(None).get(_url(world)).status_code == 302
    assert not Baseline.objects.exists()


def test_the_comparison_puts_slipped_go_lives_first_with_a_summary(world):
    # given a baseline, then the first cutover slips 3 working days (Friday → Wednesday) and a task slips 6
    cutover = _cutover(world)
    task = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.TASK).order_by("sequence").first()
    _move(cutover, dt.date(2006, 9, 1))
    _move(task, dt.date(2006, 9, 4))
    baseline_capture(runbook=world.merger.runbook, name="B1", check_permission=False)
    _move(cutover, dt.date(2006, 9, 6))
    _move(task, dt.date(2006, 9, 12))
    # when
    response = world.client("viewer").get(_url(world, "merger-baseline-comparison"))
    # then
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [r.key for r in comparison.rows[:2]] == [cutover.key, task.key]
    assert comparison.rows[0].finish_variance == 3 and comparison.rows[1].finish_variance == 6
    summary = response.context["summary"]
    assert "2" in summary and cutover.key in summary  # 2 slipped, the most slipped go-live named
    html = response.content.decode()
    assert 'class="slipped-go-live"' in html
    unchanged = next(r for r in comparison.rows if not r.changed)
    assert f">{unchanged.key}<" not in html  # only the steps that moved, unless every step is asked for
    every = world.client("viewer").get(_url(world, "merger-baseline-comparison"), {"all": "1"})
    assert f">{unchanged.key}<" in every.content.decode()


def test_the_comparison_of_two_baselines_and_a_bad_choice(world):
    b1 = baseline_capture(runbook=world.merger.runbook, name="B1", check_permission=False)
    b2 = baseline_capture(runbook=world.merger.runbook, name="B2", check_permission=False)
    url = _url(world, "merger-baseline-comparison")
    ok = world.client("viewer").get(url, {"baseline": b1.pk, "against": b2.pk})
    assert ok.status_code == 200 and ok.context["comparison"].to == b2
    assert not ok.context["comparison"].slipped
    theirs = baseline_capture(runbook=world.other.runbook, name="T", check_permission=False)
    for bad in ({"baseline": "x"}, {"baseline": theirs.pk}, {"baseline": b1.pk, "against": theirs.pk}):
        response = world.client("viewer").get(url, bad)
        assert response.status_code == 400 and b'class="error"' in response.content


def test_the_comparison_without_a_baseline_says_so(world):
    response = world.client("viewer").get(_url(world, "merger-baseline-comparison"))
    assert response.status_code == 200 and response.context["comparison"] is None


def test_the_timeline_draws_the_latest_baseline_or_the_chosen_one_or_none(world):
    cutover = _cutover(world)
    first = baseline_capture(runbook=world.merger.runbook, name="Første", check_permission=False)
    _move(cutover, dt.date(2006, 10, 2))
    latest = baseline_capture(runbook=world.merger.runbook, name="Seneste", check_permission=False)
    client = world.client("viewer")
    url = reverse("merger-timeline", kwargs={"merger_id": world.merger.pk})
    default = client.get(url)
    assert default.status_code == 200 and default.context["baseline"] == latest
    assert default.content.decode().count('class="baseline"') >= 1
    assert b'name="baseline"' in default.content  # the choice
    chosen = client.get(url, {"baseline": first.pk})
    assert chosen.context["baseline"] == first
    none = client.get(url, {"baseline": "0"})
    assert none.context["baseline"] is None and 'rect class="baseline" x' not in none.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("size", [3, 5])
def test_query_counts_do_not_grow_with_the_merger(db, size):
    """Pinned at two sizes. The list: session, user, access, merger, the baselines with their step counts,
    and the one query every merger page's frame makes. The comparison: session, user, access, merger, the
    baselines, the steps, the baseline's dates, the frame's query."""
    world = build_world(municipalities=size, domains=size)
    for n in range(size):
        baseline_capture(runbook=world.merger.runbook, name=f"B{n}", check_permission=False)
    client = world.client("chief")
    assert _queries(client, _url(world)) == 6
    assert _queries(client, _url(world, "merger-baseline-comparison")) == 8
