"""One date format in the pages ("15. mar. 2006"), weeks as "uge 1 (2007)", system timestamps marked while
the planning clock is pinned; ISO dates stay in the API."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core.formats import day, stamp, week_label
from runbook.selectors.steps import finding_message

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b|\b\d{4}-W\d\d\b")
ENGLISH_MONTH = re.compile(r"\b\d{1,2}\. (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def _visible(body: str) -> str:
    """The page's text as a reader sees it: no tags, attributes, scripts or styles."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_day_is_the_danish_short_month_with_dots():
    with translation.override("da"):
        assert day(dt.date(2006, 3, 15)) == "15. mar. 2006"
        assert day("2007-01-02") == "2. jan. 2007"
        assert day(None) == "" and day("later") == "later"
    with translation.override("en"):
        assert day(dt.date(2006, 3, 15)) == "15 Mar 2006"


def test_weeks_read_uge_n_year():
    with translation.override("da"):
        assert week_label("2007-W01") == "uge 1 (2007)"
        assert week_label(dt.date(2006, 12, 27)) == "uge 52 (2006)"
        message = finding_message({"kind": "capacity_overflow", "vendor_name": "KMD", "count": 5,
                                   "week": "2006-W52", "capacity": 2})
        assert "uge 52 (2006)" in message and "2006-W52" not in message
    with translation.override("en"):
        assert week_label("2007-W01") == "week 1 (2007)"


def test_a_system_timestamp_says_so_while_the_clock_is_pinned(settings):
    moment = timezone.make_aware(dt.datetime(2026, 12, 2, 9, 30))
    with translation.override("da"):
        settings.MERGEPLAN_TODAY = dt.date(2006, 3, 15)
        assert stamp(moment) == "2. dec. 2026 09:30 (systemtid)"
        settings.MERGEPLAN_TODAY = None  # the planning clock is the system clock: nothing to say
        assert stamp(moment) == "2. dec. 2026 09:30"


@pytest.mark.parametrize("name", ["merger-dashboard", "merger-runbook", "merger-systems", "merger-report"])
def test_merger_pages_show_no_iso_dates_and_no_english_months(world, name):
    body = world.client("chief").get(reverse(name, kwargs={"merger_id": world.merger.pk})).content.decode()
    text = _visible(body)
    assert not ISO.search(text), ISO.search(text).group(0)
    assert not ENGLISH_MONTH.search(text), ENGLISH_MONTH.search(text).group(0)
    assert "15. mar. 2006" in text  # the footer's planning date


def test_step_page_dates_and_history_stamps(world):
    step = world.step("1")
    body = world.client("chief").get(
        reverse("step-detail", kwargs={"merger_id": world.merger.pk, "step_id": step.pk})).content.decode()
    text = _visible(body)
    assert not ISO.search(text), ISO.search(text).group(0)
    assert not ENGLISH_MONTH.search(text)


def test_last_computed_names_its_clock(world):
    body = world.client("chief").get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk}))
    text = _visible(body.content.decode())
    assert re.search(r"Sidst beregnet \d{1,2}\. \w+\. \d{4} \d\d:\d\d \(systemtid\)", text), text[:3000]


def test_the_api_keeps_iso_dates(world):
    response = world.client("chief").get("/api/v1/milestones/", {"merger": world.merger.pk})
    assert response.status_code == 200
    finishes = [row["planned_finish"] for row in response.json()["results"] if row.get("planned_finish")]
    assert finishes and all(re.fullmatch(r"\d{4}-\d\d-\d\d", f) for f in finishes)
