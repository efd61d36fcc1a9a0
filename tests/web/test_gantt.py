"""The Gantt timeline: the chart's shapes and arrows (pure), the page's zoom, selection and table, and
pinning a step's start from it (the IT chief only; a refused pin changes nothing)."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Event
from core.charts.gantt import ZOOMS, DateLine, GanttLabels, GanttRow, Link, gantt, legend_swatch, ticks
from municipalities.models import Role
from runbook.models import Dependency, Step, StepKind, StepStatus
from runbook.planning import schedule_apply
from tests.factories import MembershipFactory, merger_with_runbook

D = dt.date


def _row(i, **kw):
    base = {"id": i, "label": f"S{i} step", "group": "1. Phase", "start": D(2006, 4, 3) + dt.timedelta(days=i),
            "finish": D(2006, 4, 7) + dt.timedelta(days=i)}
    return GanttRow(**{**base, **kw})


def _svg(chart) -> str:
    return chart.head + chart.names + chart.body


# --- the chart (pure) -------------------------------------------------------------------------------


def test_each_status_and_kind_has_its_own_shape_or_pattern_not_colour_only():
    rows = [_row(1, status="blocked"), _row(2, status="done"), _row(3, critical=True), _row(4, at_risk=True),
            _row(5, kind="milestone"), _row(6, kind="checkpoint"), _row(7, kind="cutover"),
            _row(8, pinned=D(2006, 4, 20)), _row(9)]
    chart = gantt(rows, start=D(2006, 3, 1), end=D(2006, 6, 30))
    for part in (chart.head, chart.names, chart.body):
        ET.fromstring(part)  # each part well-formed
    body = chart.body
    assert body.count('fill="url(#hatch-blocked)"') == 1
    assert body.count('fill="url(#hatch-critical)"') == 1
    assert body.count('href="#shape-check"') == 1
    assert body.count('href="#shape-warn"') == 1
    assert body.count('href="#shape-diamond"') == 1
    assert body.count('href="#shape-hexagon"') == 1
    assert body.count('href="#shape-star"') == 1
    assert body.count('href="#shape-pin"') == 1
    assert "⚑" in chart.names and chart.names.count("critical-label") == 1
    # every legend entry draws with the chart's own shapes and patterns
    assert "hatch-blocked" in legend_swatch("blocked") and "shape-pin" in legend_swatch("pinned")
    assert "shape-hexagon" in legend_swatch("checkpoint") and "shape-star" in legend_swatch("cutover")


def test_bars_are_focusable_links_with_labels_and_long_names_are_shortened_with_the_full_name_kept():
    long = "Harmonisér kontoplanen for alle seks kommuner i den nye Tønder Kommune før 1. december"
    rows = [_row(1, label=long, tooltip=long + " · 3 dage", aria_label=long + " (kritisk)", select_href="?step=1",
                 href="/m/1/steps/1/")]
    chart = gantt(rows, start=D(2006, 3, 1), end=D(2006, 6, 30))
    assert "…" in chart.names and f"<title>{long}</title>" in chart.names  # shortened, the full name on hover
    assert f'aria-label="{long} (kritisk)"' in chart.body and 'href="?step=1"' in chart.body
    assert f"<title>{long} · 3 dage</title>" in chart.body  # the tooltip (gantt.js shows it on focus too)
    assert 'tabindex="-1"' in chart.names  # the names stay out of the tab order: the bars carry more
    assert '<title id="gantt-title">' in chart.body and '<desc id="gantt-desc">' in chart.body


def test_positions_are_percentages_so_the_chart_fills_its_width():
    chart = gantt([_row(0, start=D(2006, 1, 1), finish=D(2006, 1, 10))], start=D(2006, 1, 1), end=D(2006, 1, 20))
    assert 'width="100%"' in chart.body and 'width="100%"' in chart.head
    assert re.search(r'<rect class="bar[^"]*" x="0%" y="[\d.]+" width="50%"', chart.body)


@pytest.mark.parametrize("zoom", sorted(ZOOMS))
def test_zoom_sets_the_least_width_and_the_header_ticks(zoom):
    start, end = D(2006, 1, 1), D(2007, 2, 28)
    chart = gantt([_row(1)], start=start, end=end, zoom=zoom)
    assert chart.min_width == int(((end - start).days + 1) * ZOOMS[zoom])
    top, bottom = ticks(start, end, zoom, GanttLabels(quarter="K%(n)d"))
    if zoom == "week":
        assert len(bottom) == 61 and bottom[0] == (D(2006, 1, 2), "1")  # ISO week 1 of 2006 starts 2 January
    elif zoom == "quarter":
        assert [t for _, t in bottom][:5] == ["K1", "K2", "K3", "K4", "K1"] and ("2007" in [t for _, t in top])
    else:
        assert len(bottom) == 14 and [t for _, t in top] == ["2006", "2007"]


def test_unknown_zoom_reads_as_month():
    assert gantt([_row(1)], start=D(2006, 1, 1), end=D(2006, 3, 1), zoom="decade").min_width == 60 * ZOOMS["month"]


def test_arrows_go_between_drawn_rows_with_their_kind():
    rows = [_row(1), _row(2), _row(3, start=None, finish=None)]
    links = [Link(1, 2, "FS", "critical"), Link(2, 1, "SS", "selected"), Link(1, 3), Link(1, 99)]
    chart = gantt(rows, start=D(2006, 3, 1), end=D(2006, 6, 30), links=links)
    assert chart.body.count('class="arrow critical"') == 1
    assert chart.body.count('class="arrow selected"') == 1
    assert len(re.findall(r'<g class="arrow[a-z ]*" data-from=', chart.body)) == 2  # not to an undated step nor to one not shown
    assert "url(#arrow-head-critical)" in chart.body


def test_date_lines_are_labelled_in_the_sticky_header_and_drawn_across_the_body():
    chart = gantt([_row(1)], start=D(2006, 3, 1), end=D(2007, 1, 31),
                  lines=[DateLine(D(2006, 3, 15), "I dag", "today"), DateLine(D(2007, 1, 1), "Lovdato <1>", "legal")])
    assert "I dag" in chart.head and "Lovdato &lt;1&gt;" in chart.head
    assert chart.body.count('class="marker today"') == 1 and chart.body.count('class="marker legal"') == 1


# --- the page -------------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _url(world, query: str = "") -> str:
    return reverse("merger-timeline", kwargs={"merger_id": world.merger.pk}) + query


def _pin_url(world) -> str:
    return reverse("timeline-pin", kwargs={"merger_id": world.merger.pk})


def _task(world) -> Step:
    """A step not started yet whose start its predecessors do not hold late (the pin moves it)."""
    return (Step.objects.filter(runbook__merger=world.merger, kind=StepKind.TASK, status=StepStatus.NOT_STARTED)
            .exclude(planned_start=None).order_by("planned_start", "sequence").first())


@pytestmark_db
@pytest.mark.parametrize("zoom", ["week", "month", "quarter"])
def test_zoom_links_render_the_chart_at_each_zoom(world, zoom):
    response = world.client("viewer").get(_url(world, f"?zoom={zoom}"))
    body = response.content.decode()
    assert response.status_code == 200 and response.context["zoom"] == zoom
    chart = response.context["chart"]
    assert chart.min_width == int(chart.days * ZOOMS[zoom])
    assert f'style="min-width: {chart.label_width + chart.min_width}px"' in body
    assert 'class="chart gantt-head"' in body and 'class="chart gantt-names"' in body
    assert body.count('aria-current="true"') == 1


@pytestmark_db
def test_a_bad_zoom_or_step_is_ignored_not_500(world):
    response = world.client("viewer").get(_url(world, "?zoom=<x>&step=abc"))
    assert response.status_code == 200 and response.context["zoom"] == "month"
    assert response.context["selected"] is None


@pytestmark_db
def test_selecting_a_step_draws_its_arrows_and_the_critical_path_is_always_drawn(world):
    step = _task(world)
    deps = Dependency.objects.filter(runbook__merger=world.merger)
    mine = [d for d in deps if step.pk in (d.predecessor_id, d.successor_id)]
    assert mine, "the step has dependencies"
    plain = str(world.client("viewer").get(_url(world)).context["svg"])
    assert 'class="arrow selected"' not in plain
    assert plain.count('class="arrow critical"') > 0, "the factory merger has a critical chain"
    response = world.client("viewer").get(_url(world, f"?step={step.pk}"))
    body = str(response.context["svg"])
    assert response.context["selected"].pk == step.pk
    assert body.count('class="arrow selected"') == len(mine)
    assert 'class="selected-row"' in body and f'data-step="{step.pk}"' in body
    # every dependency goes along as data for the arrows of the step with focus
    assert all(f"{d.predecessor_id}&gt;{d.successor_id}:{d.type}" in body for d in mine)


@pytestmark_db
def test_the_table_alternative_lists_every_step(world):
    response = world.client("viewer").get(_url(world))
    body = response.content.decode()
    assert 'id="timeline-table"' in body
    assert len(response.context["table"]) == world.merger.runbook.steps.count()


@pytestmark_db
@pytest.mark.parametrize("role, editable", [("chief", True), ("viewer", False), ("coordinator", False),
                                            ("advisor", False)])
def test_only_who_may_edit_the_plan_gets_the_drag_and_pin_controls(world, role, editable):
    step = _task(world)
    body = world.client(role).get(_url(world, f"?step={step.pk}")).content.decode()
    assert ('data-drag="1"' in body) is editable
    assert ('id="gantt-drag-form"' in body) is editable
    assert ('class="gantt-pin-form"' in body) is editable


@pytestmark_db
def test_the_chief_pins_a_start_and_the_page_shows_the_replanned_dates(world, django_capture_on_commit_callbacks):
    step = _task(world)
    pin = step.planned_start + dt.timedelta(days=21)
    next_url = _url(world, f"?zoom=week&step={step.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("chief").post(_pin_url(world), {
            "step": step.pk, "version": step.version, "not_before": pin.isoformat(), "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    step.refresh_from_db()
    assert step.not_before == pin and step.planned_start >= pin  # replanned (eager Celery)
    assert Event.objects.filter(verb="step_updated", object_id=step.pk, changes__has_key="not_before").exists()
    page = world.client("chief").get(next_url)
    body = page.content.decode()
    assert 'href="#shape-pin"' in body
    assert f'data-from="{step.planned_start.isoformat()}"' in body
    # and the pin is removed with the button
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("chief").post(_pin_url(world), {
            "step": step.pk, "version": step.version, "clear": "1", "next": next_url})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.not_before is None


def _unchanged(step):
    before = (step.not_before, step.version, step.planned_start)
    step.refresh_from_db()
    return (step.not_before, step.version, step.planned_start) == before


@pytestmark_db
def test_who_may_not_edit_the_plan_is_refused_and_nothing_changes(world):
    step = _task(world)
    for role in ("viewer", "coordinator", "advisor"):
        response = world.client(role).post(_pin_url(world), {
            "step": step.pk, "version": step.version, "not_before": "2006-09-01"})
        assert response.status_code == 403, role
        assert _unchanged(step)
    assert world.client("outsider").post(_pin_url(world), {"step": step.pk, "version": step.version,
                                                           "not_before": "2006-09-01"}).status_code == 404


@pytestmark_db
@pytest.mark.parametrize("data, status, field", [
    ({"not_before": "9999-12-31"}, 422, "not_before"),
    ({"not_before": "not a date"}, 422, "not_before"),
    ({"not_before": ""}, 422, "not_before"),
    ({"not_before": "2006-09-01", "version": ""}, 400, None),
    ({"not_before": "2006-09-01", "step": ""}, 400, None),
])
def test_bad_input_is_a_4xx_naming_the_field_and_changes_nothing(world, data, status, field):
    step = _task(world)
    post = {"step": step.pk, "version": step.version, **data}
    response = world.client("chief").post(_pin_url(world), post)
    assert response.status_code == status
    form = response.context["pin_form"]
    if field:
        assert form.errors.get(field), form.errors
    else:
        assert form.non_field_errors()
    assert _unchanged(step)


@pytestmark_db
def test_a_pin_on_a_stale_version_is_refused_with_a_message(world):
    step = _task(world)
    response = world.client("chief").post(_pin_url(world), {
        "step": step.pk, "version": step.version - 1 if step.version > 1 else step.version + 1,
        "not_before": "2006-09-01"})
    assert response.status_code == 409
    assert "reload" in " ".join(response.context["pin_form"].non_field_errors()).lower() or \
        "genindlæs" in response.content.decode().lower()
    assert _unchanged(step)


@pytestmark_db
def test_a_step_that_has_started_cannot_be_pinned(world):
    step = _task(world)
    Step.objects.filter(pk=step.pk).update(status=StepStatus.IN_PROGRESS)
    step.refresh_from_db()
    response = world.client("chief").post(_pin_url(world), {
        "step": step.pk, "version": step.version, "not_before": "2006-09-01"})
    assert response.status_code == 422 and response.context["pin_form"].errors["not_before"]
    assert _unchanged(step)
    body = world.client("chief").get(_url(world, f"?step={step.pk}")).content.decode()
    assert 'class="gantt-pin-form"' not in body and f'data-step="{step.pk}" data-drag' not in body


@pytestmark_db
def test_the_timeline_runs_the_same_queries_at_two_sizes(world):
    client = world.client("chief")
    step = _task(world)
    client.get(_url(world, f"?step={step.pk}"))  # warm per-process caches
    with CaptureQueriesContext(connection) as small:
        client.get(_url(world, f"?step={step.pk}&zoom=week"))
    big = merger_with_runbook(municipalities=6, domains=4)
    MembershipFactory(merger=big, role=Role.IT_CHIEF, user=world.users["chief"])
    schedule_apply(big)
    big_step = Step.objects.filter(runbook__merger=big).order_by("sequence").first()
    url = reverse("merger-timeline", kwargs={"merger_id": big.pk}) + f"?step={big_step.pk}&zoom=week"
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries), "\n".join(
        q["sql"] for q in large.captured_queries)
