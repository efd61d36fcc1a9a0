"""Baselines: a frozen copy of a runbook's planned dates, and how the plan has moved since.

- ``baseline_capture`` (service) freezes the planned dates of every step under a name, with its audit event.
- ``LATEST_ORDER`` is the one definition of "the latest baseline": ``baselines_for_merger`` lists them in
  that order (name, when, who, number of steps; one query) and ``baseline_latest`` takes the first of such
  a list (the timeline's default ghosts, the comparison's default); the API lists baselines in it and its
  ``baseline_date`` reads the same order from the entries (``LATEST_ENTRY_ORDER``).
- ``baseline_compare`` compares a baseline with another or with the plan as it is now: per step the start
  and finish variance in Danish working days (``engine.calendar.WorkCalendar``), slipped go-lives first.

Capturing changes no planned date, so it triggers no replan.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from audit.events import baseline_captured_event
from core.clock import today
from core.exceptions import ApplicationError, PermissionDeniedError
from core.i18n import bilingual, language_code
from engine import calendar as cal_mod
from municipalities.permissions import Action, merger_access
from runbook.models import Baseline, BaselineEntry, Runbook, Step, StepKind

#: The order in which the first baseline is "the latest": the one definition pages, API and exports use.
LATEST_ORDER = ("-captured_at", "-pk")
#: The same order seen from a baseline entry (the API's ``baseline_date`` subquery).
LATEST_ENTRY_ORDER = ("-baseline__captured_at", "-baseline_id")
NAME_MAX = 100


def _calendar(dates: Iterable[dt.date | None]) -> cal_mod.WorkCalendar:
    """The Danish working calendar over the years of ``dates`` (with margin; today's year when none)."""
    years = [d.year for d in dates if d is not None] or [today().year]
    return cal_mod.WorkCalendar.danish(range(min(years) - 1, max(years) + 2))


# --- the service --------------------------------------------------------------------------------------


@transaction.atomic
def baseline_capture(*, runbook: Runbook, name: str, actor=None, check_permission: bool = True) -> Baseline:
    """Freeze the runbook's planned dates under ``name`` (unique per runbook) and record it.

    Refused (nothing written): an empty or too long name (``name``), a name the runbook has already
    (``name``; also when a concurrent capture wins the race), a user who may not edit the plan."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the baseline a name."), field="name")
    if len(name) > NAME_MAX:
        raise ApplicationError(_("The name is too long (at most 100 characters)."), field="name")
    if check_permission and actor is not None and not merger_access(actor, runbook.merger_id).allows(
        Action.EDIT_PLAN
    ):
        raise PermissionDeniedError(_("Only the IT chief may capture a baseline."))
    taken = ApplicationError(_("A baseline with this name exists already."), field="name")
    if Baseline.objects.filter(runbook=runbook, name=name).exists():
        raise taken
    try:
        with transaction.atomic():  # a concurrent capture of the same name: the unique constraint decides
            baseline = Baseline.objects.create(
                runbook=runbook, name=name,
                captured_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise taken from exc
    entries = [
        BaselineEntry(baseline=baseline, step_id=pk, planned_start=s, planned_finish=f)
        for pk, s, f in Step.objects.filter(runbook=runbook).values_list("pk", "planned_start", "planned_finish")
    ]
    BaselineEntry.objects.bulk_create(entries, batch_size=1000)
    baseline_captured_event(baseline=baseline, actor=actor, merger_id=runbook.merger_id, steps=len(entries))
    return baseline


# --- selectors ----------------------------------------------------------------------------------------


def baselines_for_merger(merger_id: int, *, counted: bool = True) -> list[Baseline]:
    """The merger's baselines, latest first, with who captured them and (``counted``) ``step_count``
    (one query)."""
    qs = Baseline.objects.filter(runbook__merger_id=merger_id).select_related("captured_by").order_by(*LATEST_ORDER)
    if counted:
        qs = qs.annotate(step_count=Count("entries"))
    return list(qs)


def baseline_latest(baselines: list[Baseline]) -> Baseline | None:
    """The latest of ``baselines`` as ``baselines_for_merger`` reads them (latest first); None when empty."""
    return baselines[0] if baselines else None


def baseline_pick(baselines: list[Baseline], raw) -> Baseline | None:
    """The baseline whose id is ``raw`` among ``baselines`` (already read); the latest when ``raw`` is
    empty or unknown; None when ``raw`` is "0" (no baseline) or there are none."""
    if raw in ("0", 0):
        return None
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        wanted = None
    chosen = next((b for b in baselines if b.pk == wanted), None)
    return chosen or baseline_latest(baselines)


def baseline_dates(baseline: Baseline | None) -> dict[int, tuple[dt.date | None, dt.date | None]]:
    """Step id → (start, finish) frozen in ``baseline`` (one query; none without a baseline)."""
    if baseline is None:
        return {}
    return {
        sid: (s, f)
        for sid, s, f in BaselineEntry.objects.filter(baseline=baseline).values_list(
            "step_id", "planned_start", "planned_finish"
        )
    }


@dataclass(frozen=True)
class VarianceRow:
    """One step in a comparison. Variances are working days, positive = later in ``to`` than in ``base``;
    None where either side has no date (a step added or dropped since, or not scheduled)."""

    step_id: int
    key: str
    name: str
    kind: str
    status: str
    phase: int | None
    domain: str | None
    binding: str | None
    base_start: dt.date | None
    base_finish: dt.date | None
    to_start: dt.date | None
    to_finish: dt.date | None
    start_variance: int | None
    finish_variance: int | None
    in_base: bool
    in_to: bool

    @property
    def is_go_live(self) -> bool:
        return self.kind == StepKind.CUTOVER

    @property
    def kind_label(self) -> str:
        return StepKind(self.kind).label if self.kind in StepKind.values else self.kind

    @property
    def slipped(self) -> bool:
        return (self.finish_variance or 0) > 0

    @property
    def changed(self) -> bool:
        """Moved, added or dropped, or dated on one side only."""
        return ((self.base_start, self.base_finish) != (self.to_start, self.to_finish)
                or self.in_base != self.in_to)

    @property
    def earlier(self) -> bool:
        return (self.finish_variance or 0) < 0


@dataclass(frozen=True)
class Comparison:
    base: Baseline
    to: Baseline | None  # None: the plan as it is now
    rows: list[VarianceRow] = field(default_factory=list)

    @property
    def slipped(self) -> list[VarianceRow]:
        return [r for r in self.rows if r.slipped]

    @property
    def slipped_go_lives(self) -> list[VarianceRow]:
        return [r for r in self.rows if r.slipped and r.is_go_live]

    @property
    def earlier(self) -> list[VarianceRow]:
        return [r for r in self.rows if r.earlier]

    @property
    def most_slipped_go_live(self) -> VarianceRow | None:
        return self.slipped_go_lives[0] if self.slipped_go_lives else None

    @property
    def changed(self) -> list[VarianceRow]:
        return [r for r in self.rows if r.changed]

    @property
    def added(self) -> list[VarianceRow]:
        return [r for r in self.rows if r.in_to and not r.in_base]


def _sort_key(row: VarianceRow, sequence: int):
    """Slipped go-lives first (most slipped first), then every other step by finish slip, most first;
    steps without a variance last; ties in runbook order."""
    slip = row.finish_variance
    return (0 if row.slipped and row.is_go_live else 1, slip is None, -(slip or 0), sequence, row.step_id)


def baseline_compare(*, base: Baseline, to: Baseline | None = None) -> Comparison:
    """``base`` against ``to`` (another baseline of the same runbook) or against the plan now (``to``
    None). Refused when ``to`` belongs to another runbook (field ``against``). Two or three queries."""
    if to is not None and to.runbook_id != base.runbook_id:
        raise ApplicationError(_("Compare baselines of the same merger."), field="against")
    lang = language_code()
    steps = list(
        Step.objects.filter(runbook_id=base.runbook_id).order_by("sequence", "pk").values(
            "pk", "key", "name", "name_en", "kind", "status", "sequence", "phase__number", "domain__code",
            "domain__binding", "planned_start", "planned_finish",
        )
    )
    base_dates = baseline_dates(base)
    to_dates = (
        baseline_dates(to) if to is not None else {s["pk"]: (s["planned_start"], s["planned_finish"]) for s in steps}
    )
    calendar = _calendar(d for pair in (*base_dates.values(), *to_dates.values()) for d in pair)

    def variance(a: dt.date | None, b: dt.date | None) -> int | None:
        return None if a is None or b is None else calendar.working_days_between(a, b)

    keyed = []
    for s in steps:
        in_base, in_to = s["pk"] in base_dates, s["pk"] in to_dates
        if not (in_base or in_to):
            continue
        bs, bf = base_dates.get(s["pk"], (None, None))
        ts, tf = to_dates.get(s["pk"], (None, None))
        row = VarianceRow(
            step_id=s["pk"], key=s["key"],
            name=bilingual(s["name"], s["name_en"], lang),
            kind=s["kind"], status=s["status"], phase=s["phase__number"], domain=s["domain__code"],
            binding=s["domain__binding"], base_start=bs, base_finish=bf, to_start=ts, to_finish=tf,
            start_variance=variance(bs, ts), finish_variance=variance(bf, tf), in_base=in_base, in_to=in_to,
        )
        keyed.append((_sort_key(row, s["sequence"]), row))
    keyed.sort(key=lambda pair: pair[0])
    return Comparison(base=base, to=to, rows=[row for _, row in keyed])
