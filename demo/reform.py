"""The 2007 reform as data: the real map of old → new municipalities, and the loader of the national scenario.

The map is ``data/reform-2007-municipalities.csv`` next to this module (a copy of the domain brief's data
set: Danmarks Statistik's codes, one row per old → new pair; columns new_code, old_code, region_code,
county_code, new_name, old_name, county_name, region_name). It holds 98 new municipalities from 270 old
ones: 65 new ones are formed from more than one old one (the mergers, 237 old municipalities); 13 old ones
are split between two or three new ones (rows marked "(del af)"); 33 stay as they are.

:func:`reform_map` parses it (pure, no database). :func:`reform_load` builds the national scenario from it
in the database (``manage.py load_reform``): the old municipalities with their real codes, names and
counties; one merger per new municipality formed from more than one old one (real name and code, legal
date 1 January 2007); each member with the typical KMD-centric inventory of the demo (generated, so
inferred); per merger and area a harmonisation that keeps the seat's system; the conversions
(``systems.services.harmonisation_apply``) and the runbook from the drejebog
(``runbook.services.runbook_instantiate``), started with the demo's progress of 15 March 2006 as an
assumption (:func:`progress_assume`: every merger had mobilised in autumn 2005, like Tønder). The demo
(Tønder Kommune, 550, seeded by ``seed_demo``) is reused, never overwritten: rows are found by their
codes, and a merger that has a runbook already keeps its decisions, its runbook and its progress.

A split municipality is a member of every merger it feeds; its data is converted in each of them as a
*part conversion* (only the part that goes there). The models have no field for "part": the loader
records it in ``Municipality.notes`` (a line starting with :data:`PART_NOTE_MARK`) and in the rationale
of every harmonisation it generates in a merger with a split member. :func:`is_part` reads it back.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

CSV_PATH = Path(__file__).resolve().parent / "data" / "reform-2007-municipalities.csv"
COLUMNS = ("new_code", "old_code", "region_code", "county_code", "new_name", "old_name", "county_name",
           "region_name")
PART_SUFFIX = "(del af)"
LEGAL_DATE = dt.date(2007, 1, 1)
DISPENSATION_DATE = dt.date(2006, 7, 1)
SOURCE = "Kode og navn: Danmarks Statistik (kommunekoder før og efter strukturreformen 2007)"
#: the note on every generated system instance and the start of every generated harmonisation's rationale
GENERATED_NOTE = "genereret (antaget)"
#: the start of the line in ``Municipality.notes`` that marks a split municipality
PART_NOTE_MARK = "Delt kommune (del af):"
DISPENSATIONS = ("none", "applied", "granted")
ADVISOR_USERNAME = "kmd-raadgiver"
ADVISOR_VENDOR = "kmd"
#: the vendor whose systems make up the typical inventory, and the municipalities' own IT for the rest
INVENTORY_VENDOR = "kmd"
OWN_IT_VENDOR = "egen-drift"
#: the assumption behind the progress every generated runbook starts with (:func:`progress_assume`)
PROGRESS_ASSUMPTION = ("antaget: alle sammenlægninger var mobiliseret i efteråret 2005 som Tønder "
                       "(fremdriften pr. 15. marts 2006 som demoens; load_reform)")


# --- The map (pure) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """An old municipality as a member of one new municipality (``part``: only a part of it goes there)."""

    code: str
    name: str
    county_code: str
    county_name: str
    part: bool


@dataclass(frozen=True)
class NewMunicipality:
    """A new municipality of 1 January 2007 and the old municipalities (or parts) it is formed from."""

    code: str
    name: str
    region_code: str
    region_name: str
    members: tuple[Member, ...]

    @property
    def is_merger(self) -> bool:
        return len(self.members) > 1

    @property
    def merger_name(self) -> str:
        return f"{self.name} Kommune"

    @property
    def seat(self) -> Member:
        """The member whose system survives in a generated harmonisation: the one whose name is the new
        municipality's name, else (no split part if it can be helped) the one with the highest code."""
        named = [m for m in self.members if m.name == self.name]
        if named:
            return named[0]
        whole = [m for m in self.members if not m.part] or list(self.members)
        return max(whole, key=lambda m: m.code)


@dataclass(frozen=True)
class ReformMap:
    """The whole reform: every new municipality (by code order) and every old one (code → name)."""

    new: tuple[NewMunicipality, ...]
    old_names: dict[str, str] = field(repr=False)

    @property
    def mergers(self) -> tuple[NewMunicipality, ...]:
        return tuple(n for n in self.new if n.is_merger)

    @property
    def unchanged(self) -> tuple[NewMunicipality, ...]:
        return tuple(n for n in self.new if not n.is_merger)

    @functools.cached_property
    def split(self) -> dict[str, tuple[str, ...]]:
        """Old code of every split municipality → the new codes its parts go to."""
        out: dict[str, list[str]] = defaultdict(list)
        for n in self.new:
            for m in n.members:
                if m.part:
                    out[m.code].append(n.code)
        return {code: tuple(sorted(codes)) for code, codes in sorted(out.items())}

    def merger(self, code: str) -> NewMunicipality:
        return next(n for n in self.new if n.code == code)

    def counts(self) -> dict[str, int]:
        mergers = self.mergers
        return {
            "new": len(self.new),
            "old": len(self.old_names),
            "mergers": len(mergers),
            "merger_members": len({m.code for n in mergers for m in n.members}),
            "merger_member_rows": sum(len(n.members) for n in mergers),
            "split": len(self.split),
            "unchanged": len(self.unchanged),
        }

    def member_counts(self) -> list[int]:
        """Members (parts included) of each merger, in code order: the shape of the real reform."""
        return [len(n.members) for n in self.mergers]


def _clean(name: str) -> tuple[str, bool]:
    name = name.strip()
    if name.endswith(PART_SUFFIX):
        return name[: -len(PART_SUFFIX)].strip(), True
    return name, False


def reform_map_read(lines: Iterable[str]) -> ReformMap:
    """Parse the map from CSV lines (header included); raises ValueError on a malformed file."""
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"unexpected columns {reader.fieldnames!r}, expected {COLUMNS!r}")
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    old_names: dict[str, str] = {}
    for row in reader:
        name, _part = _clean(row["old_name"])
        if old_names.setdefault(row["old_code"], name) != name:
            raise ValueError(f"old code {row['old_code']} has two names")
        rows[row["new_code"]].append(row)
    new = []
    for code in sorted(rows):
        group = sorted(rows[code], key=lambda r: r["old_code"])
        members = []
        for r in group:
            name, part = _clean(r["old_name"])
            members.append(Member(r["old_code"], name, r["county_code"], r["county_name"], part))
        first = group[0]
        new.append(NewMunicipality(code, first["new_name"].strip(), first["region_code"], first["region_name"],
                                   tuple(members)))
    return ReformMap(tuple(new), dict(sorted(old_names.items())))


@functools.cache
def reform_map(path: Path = CSV_PATH) -> ReformMap:
    """The reform map of the CSV at ``path`` (by default the copy shipped with mergeplan), read once."""
    with open(path, encoding="utf-8", newline="") as f:
        return reform_map_read(f)


def part_note(code: str, rmap: ReformMap) -> str:
    """The line that marks a split municipality in its notes, naming the mergers its parts go to."""
    names = [f"{rmap.merger(c).merger_name} ({c})" for c in rmap.split[code]]
    listed = ", ".join(names[:-1]) + " og " + names[-1] if len(names) > 1 else names[0]
    return (f"{PART_NOTE_MARK} kun en del går til hver af {listed}; dens data konverteres som "
            f"delkonvertering i hver sammenlægning.")


def is_part(notes: str) -> bool:
    """Whether a municipality's notes mark it as split by the reform (see :func:`part_note`)."""
    return PART_NOTE_MARK in (notes or "")


# --- The loader (database) -------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What a load found and made; ``created`` counts only rows this run added."""

    selected: list[str]
    counts: dict[str, int]
    created: dict[str, int]
    seconds: dict[str, float]


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _catalogue():
    """The demo's vendors, areas and systems (created by the demo's own seed functions when missing, so
    the areas get their bindings from the same place), and the typical inventory: per area the KMD system,
    else the municipalities' own IT's."""
    from demo import seed as demo
    from systems.models import Domain, System, Vendor

    vendor_codes = [v[0] for v in demo.VENDORS]
    domain_codes = [d[0] for d in demo.DOMAINS]
    vendors = {v.code: v for v in Vendor.objects.filter(code__in=vendor_codes)}
    if len(vendors) < len(vendor_codes):
        vendors = demo.vendors_seed()
    domains = {d.code: d for d in Domain.objects.filter(code__in=domain_codes)}
    if len(domains) < len(domain_codes):
        domains = demo.domains_seed()
    wanted = {(s[1], s[3]): s[0] for s in demo.SYSTEMS}  # (vendor code, name) → key
    systems = {
        wanted[(s.vendor.code, s.name)]: s
        for s in System.objects.filter(vendor__code__in=vendor_codes).select_related("vendor", "domain")
        if (s.vendor.code, s.name) in wanted
    }
    if len(systems) < len(wanted):
        systems = demo.systems_seed(vendors, domains)
    typical: dict[str, object] = {}
    for key, vendor, domain, *_rest in demo.SYSTEMS:
        current = typical.get(domain)
        if (vendor == INVENTORY_VENDOR and (current is None or current.vendor.code != INVENTORY_VENDOR)) or (
            vendor == OWN_IT_VENDOR and current is None
        ):
            typical[domain] = systems[key]
    _national_calendar(vendors, domains)
    return vendors, domains, [typical[d] for d in domain_codes if d in typical]


def _national_calendar(vendors, domains) -> None:
    """The demo's national calendar (KMD's closure, the recurring rules: summer, payroll and payout runs,
    year end) when the database has none yet, so the country is planned under the same rules."""
    from demo import seed as demo
    from runbook.models import CalendarRule, FreezeWindow

    if not FreezeWindow.objects.filter(merger__isnull=True).exists():
        demo.freeze_windows_seed(vendors)
    if not CalendarRule.objects.filter(merger__isnull=True).exists():
        demo.calendar_rules_seed(domains)


def _municipalities_load(rmap: ReformMap, selected: list[NewMunicipality], with_unchanged: bool):
    """Every old municipality of the selection (and the unchanged ones): created when missing, never
    changed except that a split one gets its part line in the notes. Returns (code → Municipality, created)."""
    from municipalities.models import Municipality

    wanted: dict[str, Member] = {}
    for n in selected:
        for m in n.members:
            wanted.setdefault(m.code, m)
    if with_unchanged:
        for n in rmap.unchanged:
            wanted.setdefault(n.members[0].code, n.members[0])
    existing = {m.code: m for m in Municipality.objects.filter(code__in=list(wanted))}
    new = []
    for code, m in sorted(wanted.items()):
        if code in existing:
            continue
        if code in rmap.split:
            notes = part_note(code, rmap)
        elif any(n.code == code and not n.is_merger for n in rmap.unchanged):
            notes = "Uændret ved strukturreformen 2007."
        else:
            notes = ""
        new.append(Municipality(code=code, name=m.name, county=m.county_name, source=SOURCE, notes=notes))
    Municipality.objects.bulk_create(new)
    changed = []
    for code, mu in existing.items():
        if code in rmap.split and not is_part(mu.notes):
            mu.notes = (mu.notes.rstrip() + "\n" if mu.notes.strip() else "") + part_note(code, rmap)
            changed.append(mu)
    if changed:
        Municipality.objects.bulk_update(changed, ["notes"])
    result = {m.code: m for m in Municipality.objects.filter(code__in=list(wanted))}
    return result, len(new)


def _mergers_load(selected: list[NewMunicipality], municipalities, dispensation: str | None, demo_code: str):
    """One merger per new municipality (created when missing), with its members. ``dispensation`` sets the
    state of new mergers and, when given, of existing ones other than the demo's."""
    from municipalities.models import DispensationStatus, Merger
    from municipalities.services import merger_dispensation_set

    status = dispensation or "none"
    date = None if status == DispensationStatus.NONE else DISPENSATION_DATE
    reference = {
        "none": "",
        "applied": "Søgt hos Indenrigs- og Sundhedsministeriet fra 1. juli 2006 (antaget, load_reform)",
        "granted": "Givet af Indenrigs- og Sundhedsministeriet fra 1. juli 2006 (antaget, load_reform)",
    }[status]
    existing = {m.code: m for m in Merger.objects.filter(code__in=[n.code for n in selected])}
    new = [
        Merger(name=n.merger_name, code=n.code, legal_date=LEGAL_DATE, dispensation_status=status,
               dispensation_date=date, dispensation_reference=reference)
        for n in selected if n.code not in existing
    ]
    Merger.objects.bulk_create(new)
    if dispensation is not None:
        for code, merger in existing.items():
            if code != demo_code:
                merger_dispensation_set(merger=merger, actor=None, status=status, date=date, reference=reference,
                                        check_permission=False)
    mergers = {m.code: m for m in Merger.objects.filter(code__in=[n.code for n in selected])}
    through = Merger.members.through
    have = set(through.objects.filter(merger__in=mergers.values()).values_list("merger_id", "municipality_id"))
    links = [
        through(merger_id=mergers[n.code].pk, municipality_id=municipalities[m.code].pk)
        for n in selected for m in n.members
        if (mergers[n.code].pk, municipalities[m.code].pk) not in have
    ]
    through.objects.bulk_create(links)
    return mergers, len(new), len(links)


def _instances_load(municipalities: list, systems: list) -> int:
    """The typical inventory for every municipality that has no inventory of its own (the demo's six
    have theirs); generated instances are inferred and noted. Returns how many were added."""
    from systems.models import Hosting, SystemInstance

    ids = [m.pk for m in municipalities]
    own = set(
        SystemInstance.objects.filter(municipality_id__in=ids).exclude(notes=GENERATED_NOTE)
        .values_list("municipality_id", flat=True)
    )
    have = set(SystemInstance.objects.filter(municipality_id__in=ids).values_list("municipality_id", "system_id"))
    rows = [
        SystemInstance(municipality_id=mid, system=s, is_inferred=True, notes=GENERATED_NOTE,
                       hosting=Hosting.VENDOR if s.vendor.code == INVENTORY_VENDOR else Hosting.DECENTRAL)
        for mid in ids if mid not in own
        for s in systems if (mid, s.pk) not in have
    ]
    SystemInstance.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _rationale(n: NewMunicipality, seat_name: str, system_name: str) -> str:
    text = (f"{GENERATED_NOTE}: {seat_name}s {system_name} beholdes som {n.merger_name}s system; "
            f"de øvrige medlemmers data konverteres fra de gamle kommunekoder til {n.code}.")
    parts = [m.name for m in n.members if m.part]
    if parts:
        text += (" Delkonvertering for " + " og ".join(parts) + " (del af): kun den del, der indgår i "
                 f"{n.merger_name}, konverteres hertil.")
    return text + f" Drejebogens fremdrift er {PROGRESS_ASSUMPTION}."


def _harmonisations_load(selected: list[NewMunicipality], mergers, municipalities, domains):
    """Per merger without a runbook and per area its members run: keep the seat's system (created when
    missing, inferred). Returns the harmonisations of those mergers and the mergers themselves."""
    from runbook.models import Runbook
    from systems.models import Harmonisation, Strategy, SystemInstance

    with_runbook = set(Runbook.objects.filter(merger__in=[mergers[n.code] for n in selected])
                       .values_list("merger_id", flat=True))
    todo = [n for n in selected if mergers[n.code].pk not in with_runbook]
    todo_mergers = [mergers[n.code] for n in todo]
    member_ids = {municipalities[m.code].pk for n in todo for m in n.members}
    by_mu: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for inst in (SystemInstance.objects.filter(municipality_id__in=member_ids)
                 .select_related("system").order_by("system_id", "pk")):
        by_mu[inst.municipality_id][inst.system.domain_id].append(inst)
    existing = set(Harmonisation.objects.filter(merger__in=todo_mergers).values_list("merger_id", "domain_id"))
    order = sorted(domains.values(), key=lambda d: (d.position, d.code))
    other_ids = {d for insts in by_mu.values() for d in insts} - {d.pk for d in order}
    order += _domains_by_id(other_ids)
    new = []
    for n in todo:
        merger = mergers[n.code]
        # the survivor comes from the seat; in an area the seat does not run, from the whole members by
        # code (highest first), then from the parts
        rest = sorted((m for m in n.members if m.code != n.seat.code), key=lambda m: (m.part, -int(m.code)))
        ranked = [municipalities[n.seat.code]] + [municipalities[m.code] for m in rest]
        for domain in order:
            if (merger.pk, domain.pk) in existing:
                continue
            holder = next((mu for mu in ranked if by_mu[mu.pk].get(domain.pk)), None)
            if holder is None:
                continue
            survivor = by_mu[holder.pk][domain.pk][0]
            new.append(Harmonisation(
                merger=merger, domain=domain, target_system=survivor.system, strategy=Strategy.KEEP,
                surviving_instance=survivor, is_inferred=True,
                rationale=_rationale(n, holder.name, survivor.system.name),
            ))
    Harmonisation.objects.bulk_create(new, batch_size=1000)
    harmonisations = list(
        Harmonisation.objects.filter(merger__in=todo_mergers)
        .select_related("target_system", "surviving_instance", "domain").order_by("merger_id", "pk")
    )
    return harmonisations, todo


def progress_assume(runbooks: Iterable, *, actor=None, message: str = PROGRESS_ASSUMPTION) -> int:
    """Give freshly instantiated runbooks the demo's progress of 15 March 2006 (``demo.seed.PROGRESS``:
    template step number → status, actual start, actual finish), as an assumption: the statuses and actual
    dates in one ``bulk_update`` and the audit events (in progress, then done) in one ``bulk_create``, dated
    when they happened, made with the demo's own event builder. Not the demo's blocked step, comments,
    cutover durations or deadlines. Call it only on runbooks just created (it does not look at what is
    there). Returns how many steps it changed."""
    from django.contrib.contenttypes.models import ContentType

    from demo.seed import PROGRESS, _status_event
    from runbook.models import Event, Step, StepStatus

    runbook_ids = [r.pk for r in runbooks]
    if not runbook_ids:
        return 0
    step_ct = ContentType.objects.get_for_model(Step)
    steps = list(Step.objects.filter(runbook_id__in=runbook_ids, key__in=list(PROGRESS)).select_related("runbook"))
    events = []
    for step in steps:
        status, start, finish, _actor = PROGRESS[step.key]
        step.status, step.actual_start, step.actual_finish = status, start, finish
        events.append(_status_event(step_ct, step, actor, StepStatus.IN_PROGRESS, start, message=message))
        if status == StepStatus.DONE:
            events.append(_status_event(step_ct, step, actor, StepStatus.DONE, finish, before="in_progress",
                                        message=message))
    Step.objects.bulk_update(steps, ["status", "actual_start", "actual_finish"], batch_size=1000)
    Event.objects.bulk_create(events, batch_size=1000)
    return len(steps)


def _domains_by_id(ids: set[int]) -> list:
    from systems.models import Domain

    return list(Domain.objects.filter(pk__in=ids).order_by("position", "code")) if ids else []


def _advisor_load(mergers) -> int:
    """The demo's KMD advisor (if there is one) advises in every merger: the adviser serves the country."""
    from django.contrib.auth import get_user_model

    from municipalities.models import Membership, Role
    from systems.models import Vendor

    user = get_user_model().objects.filter(username=ADVISOR_USERNAME).first()
    vendor = Vendor.objects.filter(code=ADVISOR_VENDOR).first()
    if user is None or vendor is None:
        return 0
    have = set(Membership.objects.filter(user=user, role=Role.VENDOR_ADVISOR).values_list("merger_id", flat=True))
    rows = [Membership(user=user, merger=m, role=Role.VENDOR_ADVISOR, vendor=vendor)
            for m in mergers.values() if m.pk not in have]
    Membership.objects.bulk_create(rows)
    return len(rows)


def reform_counts(codes: Iterable[str] | None = None) -> dict[str, int]:
    """Row counts of the reform's mergers in the database (all of them, or those with ``codes``)."""
    from municipalities.models import Membership, Merger, Role
    from runbook.models import Dependency, Runbook, Step
    from systems.models import Conversion, Harmonisation, SystemInstance

    rmap = reform_map()
    codes = [n.code for n in rmap.mergers] if codes is None else list(codes)
    mergers = Merger.objects.filter(code__in=codes)
    member_ids = set(Merger.members.through.objects.filter(merger__in=mergers)
                     .values_list("municipality_id", flat=True))
    return {
        "mergers": mergers.count(),
        "member_links": Merger.members.through.objects.filter(merger__in=mergers).count(),
        "municipalities": len(member_ids),
        "system_instances": SystemInstance.objects.filter(municipality_id__in=member_ids).count(),
        "generated_instances": SystemInstance.objects.filter(municipality_id__in=member_ids,
                                                             notes=GENERATED_NOTE).count(),
        "harmonisations": Harmonisation.objects.filter(merger__in=mergers).count(),
        "conversions": Conversion.objects.filter(harmonisation__merger__in=mergers).count(),
        "runbooks": Runbook.objects.filter(merger__in=mergers).count(),
        "steps": Step.objects.filter(runbook__merger__in=mergers).count(),
        "dependencies": Dependency.objects.filter(runbook__merger__in=mergers).count(),
        "advisor_memberships": Membership.objects.filter(merger__in=mergers, role=Role.VENDOR_ADVISOR,
                                                         user__username=ADVISOR_USERNAME).count(),
    }


def reform_load(*, only: Iterable[str] | None = None, dispensation: str | None = None, advisor: bool = True,
                stdout: TextIO | None = None) -> LoadResult:
    """Build the national scenario from the real map (idempotent; call it inside a transaction).

    ``only``: new-municipality codes to load (default: all 65 mergers and the 33 unchanged municipalities).
    ``dispensation`` (none | applied | granted, from 1 July 2006): the state of the mergers it creates;
    when given, also of existing mergers other than the demo's. ``advisor``: the demo's KMD advisor gets a
    vendor-advisor membership in every merger. Recompute requests are the caller's business (the command
    defers them and schedules the country once).
    """
    from runbook.drejebog import template_install
    from runbook.services import runbook_instantiate
    from systems.services import harmonisation_apply

    if dispensation is not None and dispensation not in DISPENSATIONS:
        raise ValueError(f"dispensation must be one of {DISPENSATIONS}")
    rmap = reform_map()
    if only is None:
        selected = list(rmap.mergers)
    else:
        wanted = {c.strip() for c in only if c.strip()}
        unknown = wanted - {n.code for n in rmap.mergers}
        if unknown:
            raise ValueError(f"not the code of a merger in the reform: {', '.join(sorted(unknown))}")
        selected = [n for n in rmap.mergers if n.code in wanted]
    from demo.seed import demo_merger

    demo = demo_merger()
    seconds: dict[str, float] = {}
    t = time.perf_counter()

    def lap(label: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[label] = now - t
        t = now

    _vendors, domains, typical = _catalogue()
    template = template_install()
    municipalities, n_mu = _municipalities_load(rmap, selected, with_unchanged=only is None)
    mergers, n_mergers, n_links = _mergers_load(selected, municipalities, dispensation,
                                                demo.code if demo is not None else "")
    lap("municipalities and mergers")
    members = [municipalities[c] for c in sorted({m.code for n in selected for m in n.members})]
    n_inst = _instances_load(members, typical)
    lap("inventory")
    harmonisations, todo = _harmonisations_load(selected, mergers, municipalities, domains)
    for h in harmonisations:
        harmonisation_apply(harmonisation=h, actor=None)
    lap("harmonisations and conversions")
    runbooks = [runbook_instantiate(merger=mergers[n.code], template=template, actor=None) for n in todo]
    n_progress = progress_assume(runbooks)
    lap("runbooks and progress")
    n_adv = _advisor_load(mergers) if advisor else 0
    counts = reform_counts([n.code for n in selected])
    lap("counts")
    created = {"municipalities": n_mu, "mergers": n_mergers, "member_links": n_links, "instances": n_inst,
               "runbooks": len(todo), "progress_steps": n_progress, "advisor_memberships": n_adv}
    _say(stdout, "created: " + ", ".join(f"{k}={v}" for k, v in created.items()))
    return LoadResult([n.code for n in selected], counts, created, seconds)


# --- KMD's go-lives over the reform (read from the scheduled steps) --------------------------------


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
    from municipalities.models import DispensationStatus, Merger
    from runbook.models import Step, StepKind
    from systems.models import Vendor

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
    periods = list(vendor.capacity_periods.order_by("start").values_list("start", "end", "capacity")) \
        if hasattr(vendor, "capacity_periods") else []
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
