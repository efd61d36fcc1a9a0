"""The dashboard's burn-up: the work the plan had finished against the work done, week by week up to the
planning date, or a sentence saying why there is nothing to draw."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from core.charts.svg import burnup, burnup_weekly
from runbook.models import Step

D = dt.date


def test_weekly_points_end_on_sundays_and_at_the_planning_date():
    work = [(5, D(2006, 1, 4), D(2006, 1, 5)), (10, D(2006, 1, 20), None), (3, D(2006, 6, 1), None)]
    points = burnup_weekly(work, until=D(2006, 2, 1))
    assert [p.date for p in points] == [D(2006, 1, 8), D(2006, 1, 15), D(2006, 1, 22), D(2006, 1, 29), D(2006, 2, 1)]
    assert [(p.planned, p.done) for p in points] == [(5, 5), (5, 5), (15, 5), (15, 5), (15, 5)]
    assert {p.total for p in points} == {18}


def test_nothing_planned_or_done_by_the_planning_date_draws_nothing():
    assert burnup_weekly([(5, D(2006, 6, 1), None)], until=D(2006, 3, 15)) == []


def test_without_the_total_the_scale_follows_the_work():
    points = burnup_weekly([(5, D(2006, 1, 4), D(2006, 1, 5)), (500, D(2007, 1, 4), None)], until=D(2006, 1, 20))
    svg = burnup(points, title="B", desc="d", legend={"done": "Done", "planned": "Plan"}, show_total=False,
                 date_label=lambda d: d.strftime("%d/%m"))
    ET.fromstring(svg)
    assert 'class="series total"' not in svg and ">5</text>" in svg and "20/01" in svg


@pytest.mark.django_db
def test_dashboard_draws_work_done_per_week(world):
    step = world.step("1")
    Step.objects.filter(pk=step.pk).update(status="done", actual_start=D(2006, 3, 1), actual_finish=D(2006, 3, 3))
    body = world.client("chief").get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk})).content.decode()
    assert 'class="series done"' in body and 'class="series planned"' in body
    assert "Uge for uge frem til planlægningsdatoen" in body


@pytest.mark.django_db
def test_dashboard_explains_an_empty_burnup(world, settings):
    settings.MERGEPLAN_TODAY = D(1999, 1, 1)  # before any step is planned to finish
    body = world.client("chief").get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk})).content.decode()
    assert 'class="series done"' not in body
    assert "intet at tegne endnu" in body.lower()
