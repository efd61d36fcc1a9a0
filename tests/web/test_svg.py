"""The server-side charts: pure functions, checked on their markup."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from core.charts.gantt import DateLine, GanttLabels, GanttRow, Shade, gantt
from core.charts.svg import BurnPoint, burnup, vendor_load

D = dt.date


def _rows(n: int) -> list[GanttRow]:
    return [
        GanttRow(id=i, label=f"{i} Step <{i}> & co", group=f"Phase {i // 50}", start=D(2006, 1, 2) + dt.timedelta(days=i % 200),
                 finish=D(2006, 1, 9) + dt.timedelta(days=i % 200), critical=i % 7 == 0,
                 kind="milestone" if i % 10 == 0 else "task", baseline_start=D(2006, 1, 2), baseline_finish=D(2006, 1, 4))
        for i in range(n)
    ]


def test_gantt_is_well_formed_and_escapes_labels():
    chart = gantt(_rows(20), start=D(2005, 12, 1), end=D(2007, 1, 31),
                  lines=[DateLine(D(2006, 3, 15), "Today", "today"), DateLine(D(2007, 1, 1), "Legal <date>", "legal")],
                  shades=[Shade(D(2006, 12, 22), D(2007, 1, 1), "KMD closed")], labels=GanttLabels(title="T"))
    for part in (chart.head, chart.names, chart.body):  # well-formed XML: every label escaped
        assert ET.fromstring(part).tag.endswith("svg")
    assert "&lt;3&gt;" in chart.names and "&lt;3&gt;" in chart.body and "Legal &lt;date&gt;" in chart.head
    assert chart.body.count('class="freeze"') == 1
    assert "marker today" in chart.body and "marker legal" in chart.body


def test_gantt_marks_critical_rows_with_a_flag_and_a_pattern_not_colour_only():
    chart = gantt(_rows(14), start=D(2006, 1, 1), end=D(2006, 12, 31), labels=GanttLabels(critical="kritisk"))
    critical_rows = [r for r in _rows(14) if r.critical]
    assert chart.names.count("⚑ ") == len(critical_rows)
    assert chart.body.count('fill="url(#hatch-critical)"') == len(critical_rows)


def test_gantt_draws_baseline_ghosts_and_diamonds():
    chart = gantt(_rows(20), start=D(2006, 1, 1), end=D(2006, 12, 31))
    assert chart.body.count('class="baseline"') == 20
    assert chart.body.count('href="#shape-diamond"') == 2  # ids 0 and 10 are milestones


def test_gantt_handles_a_few_hundred_steps_and_undated_ones():
    rows = _rows(400) + [GanttRow(id=999, label="undated", group="Phase 9", start=None, finish=None)]
    chart = gantt(rows, start=D(2006, 1, 1), end=D(2007, 3, 1), labels=GanttLabels(not_scheduled="ikke planlagt"))
    ET.fromstring(chart.body)
    assert chart.body.count('<g class="row"') == 401
    assert chart.body.count("ikke planlagt") == 1
    height = int(re.search(r'height="(\d+)"', chart.body).group(1))
    assert height == chart.body_height < 401 * 28 + 9 * 30 + 1


def test_burnup_lines_and_empty_state():
    pts = [BurnPoint(D(2006, 1, 1) + dt.timedelta(days=i), i * 2, i * 3, 100) for i in range(10)]
    svg = burnup(pts, title="B", desc="d", legend={"done": "Done", "planned": "Plan", "total": "Total"})
    ET.fromstring(svg)
    assert 'class="series done"' in svg and 'class="series planned"' in svg and 'class="series total"' in svg
    empty = burnup([], title="B", desc="d", legend={"empty": "Nothing yet"})
    assert "Nothing yet" in empty


def test_vendor_load_marks_weeks_over_capacity():
    svg = vendor_load(["2006-W27", "2007-W01"], {"Big bang": {"2007-W01": 8}, "Rolling": {"2006-W27": 2}},
                      capacity=2, title="t", desc="d", capacity_label="Capacity", over_label="over")
    ET.fromstring(svg)
    assert svg.count('class="over-mark"') == 1
    assert 'class="capacity"' in svg
    assert 'fill="url(#hatch-rolling)"' in svg  # the second scenario differs by pattern too


def test_vendor_load_does_not_count_the_national_run_against_capacity():
    svg = vendor_load(["2007-W01"], {"Big bang": {"2007-W01": 8}}, capacity=2, title="t", desc="d",
                      capacity_label="Kapacitet", over_label="over kapacitet",
                      uncounted={"Big bang": {"2007-W01": 7}})
    assert 'class="load s0"' in svg and "over kapacitet" not in svg
    svg = vendor_load(["2007-W01"], {"Big bang": {"2007-W01": 8}}, capacity=2, title="t", desc="d",
                      capacity_label="Kapacitet", over_label="over kapacitet",
                      uncounted={"Big bang": {"2007-W01": 5}})
    assert 'class="load s0 over"' in svg
