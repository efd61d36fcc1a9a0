"""The vendor load page (runbook/views/vendor_load.py): go-lives per ISO week stacked by merger on a week axis
to scale, the capacity week by week (summer period too), and the drill-down to one week's go-lives."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from municipalities.models import Role
from runbook.models import Step, StepKind
from runbook.planning import schedule_apply_all
from runbook.selectors.my_steps import iso_week, week_capacity, week_monday, weeks_between
from systems.models import Domain, LegalBinding, Vendor, VendorCapacityPeriod
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

URL = reverse("vendor-load")


def _go_lives(merger):
    return Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER, assignee_vendor__code="kmd",
                               go_live__isnull=False)


# --- the week axis and the capacity (pure) ---------------------------------------------------------


def test_weeks_between_lists_every_week_empty_ones_too_across_the_new_year():
    weeks = weeks_between(dt.date(2006, 12, 20), dt.date(2007, 1, 10))
    assert weeks == ["2006-W51", "2006-W52", "2007-W01", "2007-W02"]
    assert [week_monday(w) for w in weeks] == [dt.date(2006, 12, 18), dt.date(2006, 12, 25), dt.date(2007, 1, 1),
                                               dt.date(2007, 1, 8)]
    assert iso_week(dt.date(2007, 1, 1)) == "2007-W01"


def test_week_capacity_is_the_periods_for_weeks_starting_inside_it():
    kmd = Vendor(code="kmd", weekly_cutover_capacity=26)
    summer = [(dt.date(2006, 6, 19), dt.date(2006, 8, 13), 10)]
    assert week_capacity(kmd, summer, "2006-W24") == 26  # Monday 12 June
    assert week_capacity(kmd, summer, "2006-W25") == 10  # Monday 19 June
    assert week_capacity(kmd, summer, "2006-W32") == 10  # Monday 7 August
    assert week_capacity(kmd, summer, "2006-W33") == 26  # Monday 14 August: after the period
    assert week_capacity(Vendor(code="x", weekly_cutover_capacity=None), [], "2006-W33") is None


# --- the page --------------------------------------------------------------------------------------


def test_the_axis_is_to_scale_and_bars_are_stacked_by_merger(world):
    # given the advisor in both mergers, each with KMD go-lives free to go live before the legal date
    Domain.objects.update(binding=LegalBinding.FREE)
    schedule_apply_all()
    MembershipFactory(merger=world.other, role=Role.VENDOR_ADVISOR, vendor=Vendor.objects.get(code="kmd"),
                      user=world.users["advisor"])
    # when
    response = world.client("advisor").get(URL + "?vendor=kmd")
    # then every week from the first to the last go-live is on the axis, one link each
    assert response.status_code == 200
    days = list(Step.objects.filter(kind=StepKind.CUTOVER, go_live__isnull=False).values_list("go_live", flat=True))
    assert days
    weeks = response.context["weeks"]
    assert weeks[0] <= iso_week(min(days)) and weeks[-1] == iso_week(max(days))
    assert weeks == weeks_between(week_monday(weeks[0]), week_monday(weeks[-1]))
    body = response.content.decode()
    assert re.findall(r'data-week="([^"]+)"', body) == weeks
    # both mergers in the legend, each with its own colour
    legend = response.context["legend"]
    assert {item["idx"] for item in legend} == {0, 1}
    assert sum(item["n"] for item in legend) == len(days)
    assert 'class="load m0' in body and 'class="load m1' in body and 'class="capacity"' in body
    # weeks read as Danish staff write them (LANGUAGE.md): "uge 27" on the axis, "uge 27 (2006)" in the tips
    first = weeks_between(week_monday(weeks[0]), week_monday(weeks[0]))[0]
    year, number = first.split("-W")
    assert f">uge {int(number)}</text>" in body and f"uge {int(number)} ({year}):" in body
    assert not re.search(r">\d{4}-W\d\d</text>", body)


def test_the_capacity_line_drops_in_the_summer_period(world):
    kmd = Vendor.objects.get(code="kmd")
    cutover = _go_lives(world.merger).first()
    # a period of capacity 1 over the week of a go-live
    monday = cutover.go_live - dt.timedelta(days=cutover.go_live.weekday())
    VendorCapacityPeriod.objects.create(vendor=kmd, start=monday, end=monday + dt.timedelta(days=6), capacity=1)
    response = world.client("advisor").get(URL + "?vendor=kmd")
    rows = {r["week"]: r for r in response.context["table"]}
    assert rows[iso_week(cutover.go_live)]["capacity"] == 1
    others = [r["capacity"] for w, r in rows.items() if w != iso_week(cutover.go_live)]
    assert all(c == kmd.weekly_cutover_capacity for c in others)


def test_clicking_a_week_lists_its_go_lives_and_why_they_sit_there(world):
    cutover = _go_lives(world.merger).order_by("go_live").first()
    week = iso_week(cutover.go_live)
    response = world.client("advisor").get(URL + f"?vendor=kmd&week={week}")
    assert response.status_code == 200
    detail = response.context["detail"]
    steps = [i["step"] for i in detail["items"]]
    assert cutover in steps
    assert all(iso_week(s.go_live) == week for s in steps)
    expected = _go_lives(world.merger).filter(go_live__gte=week_monday(week),
                                              go_live__lte=week_monday(week) + dt.timedelta(days=6))
    assert len(steps) == expected.count()
    item = next(i for i in detail["items"] if i["step"] == cutover)
    assert item["why"] or not cutover.placement
    body = response.content.decode()
    assert 'id="week-detail"' in body and cutover.runbook.merger.name in body
    assert 'class="week selected' in body


def test_the_national_run_is_apart_and_not_counted(world):
    schedule_apply_all()  # no dispensation: every cutover in the legal-date national run
    response = world.client("advisor").get(URL + "?vendor=kmd")
    national = response.context["national_total"]
    assert national == _go_lives(world.merger).count() > 0
    assert all(r["n"] == 0 and not r["over"] for r in response.context["table"])
    assert response.context["capacity_inferred"] and 'class="inferred"' in response.content.decode()
    assert len(response.context["scenarios"]) == 2  # the stored big-bang and rolling plans, side by side


def test_a_user_sees_only_the_go_lives_of_their_mergers(world):
    response = world.client("outsider").get(URL + "?vendor=kmd")
    own = _go_lives(world.other).count()
    assert sum(i["n"] for i in response.context["legend"]) == own
    week = iso_week(_go_lives(world.merger).first().go_live)
    detail = world.client("outsider").get(URL + f"?vendor=kmd&week={week}").context["detail"]
    assert all(i["step"].runbook.merger_id == world.other.pk for i in detail["items"])


@pytest.mark.parametrize(("query", "field"), [("?week=2006-53x", "week"), ("?week=W35", "week"),
                                               ("?vendor=nobody", "vendor")])
def test_bad_input_is_a_400_naming_the_field(world, query, field):
    response = world.client("advisor").get(URL + query)
    assert response.status_code == 400
    assert response.context["error_field"] == field
    assert re.search(r'class="notice warn" role="alert"', response.content.decode())


def test_anonymous_goes_to_login():
    from django.test import Client

    response = Client().get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
