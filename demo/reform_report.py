"""KMD's go-lives over the reform, read from the scheduled steps (``manage.py load_reform --report``).

:func:`go_live_report` counts a vendor's go-lives per ISO week from the cutovers the scheduler placed,
splits off the legal-date batch (the national run, which does not count against the weekly capacity) and
sets the capacity of each week beside the count, so the peak and the weeks over capacity can be read.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from demo.people import ADVISOR_VENDOR
from municipalities.models import DispensationStatus, Merger
from runbook.models import Step, StepKind
from systems.models import Vendor


@dataclass
class GoLiveReport:
    """A vendor's go-lives per ISO week, read from the scheduled cutovers of every merger."""

    vendor: str
    counted: dict[str, int]  # ISO week "2006-W27" → go-lives that count against the capacity
    national_run: dict[str, int]  # ISO week → go-lives of the legal-date batch (not counted)
    capacity: dict[str, int | None]  # ISO week → capacity that week (None: unlimited)
    mergers: int
    granted: int

    @property
    def peak(self) -> tuple[str | None, int]:
        if not self.counted:
            return None, 0
        week = max(sorted(self.counted), key=lambda w: self.counted[w])
        return week, self.counted[week]

    @property
    def weeks_used(self) -> int:
        return sum(1 for n in self.counted.values() if n)

    @property
    def national_batch(self) -> int:
        return sum(self.national_run.values())

    @property
    def over_capacity(self) -> list[str]:
        return [w for w, n in sorted(self.counted.items()) if self.capacity.get(w) is not None
                and n > self.capacity[w]]


def _iso_week(d: dt.date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def _week_monday(week: str) -> dt.date:
    return dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def go_live_report(vendor_code: str = ADVISOR_VENDOR) -> GoLiveReport:
    """Count the vendor's go-lives per ISO week from ``Step.go_live`` of the cutovers it is assigned, split
    by ``Step.placement`` into the national run (the legal-date batch) and the counted ones, with the
    capacity per week (a capacity period that covers the week's Monday, else the vendor's)."""
    vendor = Vendor.objects.get(code=vendor_code)
    counted: Counter[str] = Counter()
    national: Counter[str] = Counter()
    rows = (Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor=vendor, go_live__isnull=False)
            .values_list("go_live", "placement"))
    for go_live, placement in rows:
        week = _iso_week(go_live)
        if "national_run" in (placement or []):
            national[week] += 1
        else:
            counted[week] += 1
    periods = list(vendor.capacity_periods.order_by("start").values_list("start", "end", "capacity"))
    capacity: dict[str, int | None] = {}
    for week in sorted(set(counted) | set(national)):
        monday = _week_monday(week)
        capacity[week] = next((c for s, e, c in periods if s <= monday <= e), vendor.weekly_cutover_capacity)
    with_runbook = Merger.objects.filter(runbook__isnull=False)
    return GoLiveReport(
        vendor=vendor.name, counted=dict(sorted(counted.items())), national_run=dict(sorted(national.items())),
        capacity=capacity, mergers=with_runbook.count(),
        granted=with_runbook.filter(dispensation_status=DispensationStatus.GRANTED).count(),
    )
