"""Reads of a user's work across mergers: the steps that concern a user (and the "my steps" page's filters and
page of them), the checkpoints they sign, and a vendor's go-lives per week.

**The steps that concern a user** — one definition, used by the "my steps" page, the runbook's "mine"
filter and the daily digest. In a merger the user may see, a step concerns them when

- they own it,
- they are the merger's IT chief (every step of the plan is theirs to answer for),
- they are a municipal coordinator and the step is assigned to their municipality, or
- they are a vendor advisor and the step is assigned to their vendor.

:func:`step_concerns` states it for one step (pure, for code that has the rows already, like the digest);
:func:`concern_q` states it as one SQL condition over all the user's mergers, grouped so that an advisor
of 67 mergers adds one clause, not 67.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from municipalities.models import Merger, Role
from municipalities.permissions import Action, MergerAccess, accesses_for
from runbook.models import FINISHED_STATUSES, CheckpointSignoff, Phase, SignoffDecision, Step, StepKind
from systems.models import Vendor, VendorCapacityPeriod

# --- the steps that concern a user -----------------------------------------------------------------


def step_concerns(access: MergerAccess, user_id: int | None, *, owner_id: int | None,
                  municipality_id: int | None, vendor_id: int | None) -> bool:
    """Does a step of ``access``'s merger (owner, assigned municipality and vendor) concern the user?"""
    if not access.can_view:
        return False
    if user_id is not None and owner_id == user_id:
        return True
    if access.is_chief:
        return True
    if Role.COORDINATOR in access.roles and municipality_id is not None and municipality_id in access.municipality_ids:
        return True
    return Role.VENDOR_ADVISOR in access.roles and vendor_id is not None and vendor_id in access.vendor_ids


def concern_q(user_id: int | None, accesses: dict[int, MergerAccess], *, prefix: str = "") -> Q:
    """The SQL form of :func:`step_concerns` over every merger in ``accesses`` (``prefix`` for a lookup
    from another model, e.g. ``"step__"``). Mergers with the same municipalities or vendors share a clause."""
    visible = sorted(m for m, a in accesses.items() if a.can_view)
    if not visible:
        return Q(pk__in=[])
    merger = f"{prefix}runbook__merger_id__in"
    cond = Q(**{f"{prefix}owner_id": user_id, merger: visible}) if user_id is not None else Q(pk__in=[])
    chief = [m for m in visible if accesses[m].is_chief]
    if chief:
        cond |= Q(**{merger: chief})
    by_municipalities: dict[frozenset[int], list[int]] = defaultdict(list)
    by_vendors: dict[frozenset[int], list[int]] = defaultdict(list)
    for m in visible:
        a = accesses[m]
        if a.is_chief:
            continue
        if Role.COORDINATOR in a.roles and a.municipality_ids:
            by_municipalities[a.municipality_ids].append(m)
        if Role.VENDOR_ADVISOR in a.roles and a.vendor_ids:
            by_vendors[a.vendor_ids].append(m)
    for ids, mergers in sorted(by_municipalities.items(), key=lambda kv: kv[1]):
        cond |= Q(**{merger: mergers, f"{prefix}assignee_municipality_id__in": sorted(ids)})
    for ids, mergers in sorted(by_vendors.items(), key=lambda kv: kv[1]):
        cond |= Q(**{merger: mergers, f"{prefix}assignee_vendor_id__in": sorted(ids)})
    return cond


def steps_concerning(user, accesses: dict[int, MergerAccess] | None = None) -> QuerySet[Step]:
    """The steps that concern ``user`` in every merger they may see (or in those of ``accesses``)."""
    if accesses is None:
        accesses = accesses_for(user)
    return Step.objects.filter(concern_q(getattr(user, "pk", None), accesses))


def my_steps_filter_choices(accesses: dict[int, MergerAccess]) -> dict:
    """The user's mergers and their drejebog's phases as the "my steps" filter choices (two queries)."""
    ids = list(accesses)
    mergers = list(Merger.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"))
    phases: dict[int, str] = {}
    # distinct: the country's 65 runbooks share one drejebog, whose phases the join would repeat 65 times
    for p in Phase.objects.filter(template__runbooks__merger_id__in=ids).distinct().order_by("number", "-template_id"):
        phases.setdefault(p.number, f"{p.number}. {p.display_name()}")
    return {"mergers": mergers, "phases": sorted(phases.items())}


def my_steps_filtered(qs: QuerySet[Step], filters: dict, accesses: dict[int, MergerAccess], *, on: dt.date,
                      every: str) -> QuerySet[Step]:
    """``qs`` narrowed by the "my steps" filters: merger (one of ``accesses``), status (none: the open ones;
    ``every``: all), phase number, kind, and due ("overdue" on ``on``, or a number of days from ``on``)."""
    if filters.get("merger") in accesses:
        qs = qs.filter(runbook__merger_id=filters["merger"])
    status = filters.get("status") or ""
    if status == "":
        qs = qs.exclude(status__in=FINISHED_STATUSES)
    elif status != every:
        qs = qs.filter(status=status)
    if filters.get("phase"):
        qs = qs.filter(phase__number=filters["phase"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    due = filters.get("due") or ""
    if due == "overdue":
        qs = qs.exclude(status__in=FINISHED_STATUSES).filter(planned_finish__lt=on)
    elif due.isdigit():
        qs = qs.filter(planned_finish__gte=on, planned_finish__lte=on + dt.timedelta(days=int(due)))
    return qs


def soonest_ids(qs: QuerySet[Step]) -> QuerySet:
    """The ids of ``qs``, soonest planned finish first (undated last), then merger name and sequence: a
    narrow sort a paginator slices, however many steps the country has (lazy)."""
    return qs.order_by(F("planned_finish").asc(nulls_last=True), "runbook__merger__name", "sequence",
                       "pk").values_list("pk", flat=True)


def steps_in_order(ids: list[int]) -> list[Step]:
    """The steps ``ids`` whole (merger, phase, owner, assignees), in the order of ``ids`` (one query)."""
    loaded = Step.objects.filter(pk__in=ids).select_related(
        "runbook__merger", "phase", "owner", "assignee_municipality", "assignee_vendor").in_bulk()
    return [loaded[pk] for pk in ids if pk in loaded]


def concerning_by_id(user, accesses: dict[int, MergerAccess], ids: list[int]) -> dict[int, Step]:
    """The steps among ``ids`` that concern the user, by id, with their merger (one query)."""
    return {s.pk: s for s in steps_concerning(user, accesses).filter(pk__in=ids).select_related("runbook__merger")}


# --- checkpoints to sign ---------------------------------------------------------------------------


def checkpoints_to_sign(accesses: dict[int, MergerAccess]) -> tuple[QuerySet[Step], Q]:
    """The open checkpoints of the mergers where the user signs, and the condition "the user has signed
    it 'go'" (in the role they sign in there): ``base.exclude(signed)`` awaits them, ``base.filter(signed)``
    they have done — querysets, so that a page counts them and shows the first few, however many mergers."""
    by_role: dict[str, list[int]] = defaultdict(list)
    for merger_id, access in accesses.items():
        role = access.signing_role()
        if role and access.allows(Action.SIGN_CHECKPOINT):
            by_role[role].append(merger_id)
    signable = sorted(m for ids in by_role.values() for m in ids)
    base = Step.objects.filter(runbook__merger_id__in=signable, kind=StepKind.CHECKPOINT).exclude(
        status__in=FINISHED_STATUSES)
    signed_go = Q(pk__in=[])
    for role, ids in sorted(by_role.items()):
        signed_go |= Q(runbook__merger_id__in=sorted(ids)) & Q(Exists(
            CheckpointSignoff.objects.filter(step=OuterRef("pk"), role=role, decision=SignoffDecision.GO)))
    return base, signed_go


# --- a vendor's go-lives per ISO week ------------------------------------------------------------


def iso_week(day: dt.date) -> str:
    """"2006-W27" for a date (ISO year and week)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> dt.date:
    """The Monday of an ISO week written as "2006-W27"; ValueError for anything else."""
    year, _, number = week.partition("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


def weeks_between(first: dt.date, last: dt.date) -> list[str]:
    """Every ISO week from the one holding ``first`` to the one holding ``last``, empty ones too."""
    monday = first - dt.timedelta(days=first.weekday())
    out = []
    while monday <= last:
        out.append(iso_week(monday))
        monday += dt.timedelta(days=7)
    return out


def week_capacity(vendor: Vendor, periods: list[tuple[dt.date, dt.date, int]], week: str) -> int | None:
    """The vendor's go-lives a week: a capacity period covering the week's Monday (the engine's rule:
    weeks that start inside the period), else the vendor's own; None is unlimited."""
    monday = week_monday(week)
    return next((c for s, e, c in periods if s <= monday <= e), vendor.weekly_cutover_capacity)


@dataclass
class VendorWeeks:
    """A vendor's scheduled go-lives in the user's mergers, per ISO week and merger."""

    vendor: Vendor
    weeks: list[str]  # every week of the window, in order
    counted: dict[str, dict[int, int]]  # week -> merger id -> go-lives that count against capacity
    national: dict[str, int]  # week -> go-lives in the vendor's national run (not counted)
    capacity: dict[str, int | None]  # week -> capacity that week
    merger_totals: dict[int, int] = field(default_factory=dict)  # merger id -> go-lives (all weeks)

    def counted_in(self, week: str) -> int:
        return sum(self.counted.get(week, {}).values())

    @property
    def peak(self) -> tuple[str | None, int]:
        best = max(self.weeks, key=lambda w: (self.counted_in(w), w), default=None)
        return (best, self.counted_in(best)) if best else (None, 0)

    @property
    def over(self) -> list[str]:
        return [w for w in self.weeks if self.capacity.get(w) is not None and self.counted_in(w) > self.capacity[w]]


def vendor_weeks(vendor: Vendor, merger_ids: list[int], *, on: dt.date, until: dt.date | None = None) -> VendorWeeks:
    """The vendor's go-lives (``Step.go_live`` of its cutovers) in ``merger_ids`` per ISO week and merger,
    the national run apart, over every week from ``on`` (or the first go-live, if earlier) to the last
    go-live (or ``until``, if later) — two queries."""
    rows = list(
        Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor=vendor, runbook__merger_id__in=merger_ids,
                            go_live__isnull=False)
        .values_list("runbook__merger_id", "go_live", "placement")
    )
    periods = list(VendorCapacityPeriod.objects.filter(vendor=vendor).order_by("start")
                   .values_list("start", "end", "capacity"))
    counted: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    national: dict[str, int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    for merger_id, go_live, placement in rows:
        week = iso_week(go_live)
        totals[merger_id] += 1
        if "national_run" in (placement or []):
            national[week] += 1
        else:
            counted[week][merger_id] += 1
    days = [go_live for _, go_live, _ in rows]
    first = min([on, *days])
    last = max([on, *days, *([until] if until else [])])
    weeks = weeks_between(first, last)
    return VendorWeeks(
        vendor=vendor, weeks=weeks, counted={w: dict(c) for w, c in counted.items()}, national=dict(national),
        capacity={w: week_capacity(vendor, periods, w) for w in weeks}, merger_totals=dict(totals),
    )


def go_lives_in_week(vendor: Vendor, merger_ids: list[int], week: str) -> QuerySet[Step]:
    """The vendor's go-lives in one ISO week across ``merger_ids``, by date and merger (one query)."""
    monday = week_monday(week)
    return (
        Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor=vendor, runbook__merger_id__in=merger_ids,
                            go_live__gte=monday, go_live__lte=monday + dt.timedelta(days=6))
        .select_related("runbook__merger", "domain")
        .order_by("go_live", "runbook__merger__name", "sequence", "pk")
    )
