"""The server-side charts: pure functions, checked on their markup."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from mergeplan.svg import BurnPoint, DateLine, GanttLabels, GanttRow, Shade, burnup, gantt, vendor_load

D = dt.date


def _rows(n: int) -> list[GanttRow]:
    return [
        GanttRow(id=i, label=f"{i} Step <{i}> & co", group=f"Phase {i // 50}", start=D(2006, 1, 2) + dt.timedelta(days=i % 200),
                 finish=D(2006, 1, 9) + dt.timedelta(days=i % 200), critical=i % 7 == 0,
                 kind="milestone" if i % 10 == 0 else "task", baseline_start=D(2006, 1, 2), baseline_finish=D(2006, 1, 4))
        for i in range(n)
    ]


def test_gantt_is_well_formed_and_escapes_labels():
    svg = gantt(_rows(20), start=D(2005, 12, 1), end=D(2007, 1, 31),
                lines=[DateLine(D(2006, 3, 15), "Today", "today"), DateLine(D(2007, 1, 1), "Legal <date>", "legal")],
                shades=[Shade(D(2006, 12, 22), D(2007, 1, 1), "KMD closed")], labels=GanttLabels(title="T"))
    root = ET.fromstring(svg)  # well-formed XML: every label escaped
    assert root.tag.endswith("svg")
    assert "&lt;3&gt;" in svg and "Legal &lt;date&gt;" in svg
    assert svg.count('class="freeze"') == 1
    assert "marker today" in svg and "marker legal" in svg


def test_gantt_marks_critical_rows_with_text_and_pattern_not_colour_only():
    svg = gantt(_rows(14), start=D(2006, 1, 1), end=D(2006, 12, 31), labels=GanttLabels(critical="kritisk"))
    critical_rows = [r for r in _rows(14) if r.critical]
    assert svg.count("⚑ kritisk") == len(critical_rows)
    assert svg.count('fill="url(#hatch-critical)"') == len(critical_rows)


def test_gantt_draws_baseline_ghosts_and_diamonds():
    svg = gantt(_rows(20), start=D(2006, 1, 1), end=D(2006, 12, 31))
    assert svg.count('class="baseline"') == 20
    assert svg.count("diamond") == 2  # ids 0 and 10 are milestones


def test_gantt_handles_a_few_hundred_steps_and_undated_ones():
    rows = _rows(400) + [GanttRow(id=999, label="undated", group="Phase 9", start=None, finish=None)]
    svg = gantt(rows, start=D(2006, 1, 1), end=D(2007, 3, 1))
    ET.fromstring(svg)
    assert svg.count('<g class="row"') == 401
    height = int(re.search(r'height="(\d+)"', svg).group(1))
    assert height < 401 * 18 + 9 * 22 + 200


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
