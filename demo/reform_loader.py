"""The national scenario: ``manage.py load_reform`` builds the 2007 reform in the database from its real map.

From the map (``demo.reform``) :func:`reform_load` makes the old municipalities with their real codes,
names and counties; one merger per new municipality formed from more than one old one (real name and
code, legal date 1 January 2007); each member with the typical KMD-centric inventory of the demo
(generated, so inferred); per merger and area a harmonisation that keeps the seat's system; the conversions
(``systems.services.harmonisation_apply``) and the runbook from the drejebog
(``runbook.services.runbook_instantiate``), started with the demo's progress of 15 March 2006 as an
assumption (``demo.progress.progress_assume``: every merger had mobilised in autumn 2005, like Tønder).
The catalogue (vendors, areas, systems) and the national calendar are the demo's own, seeded by the
demo's functions when missing. The demo (Tønder Kommune, 550, seeded by ``seed_demo``) is reused, never
overwritten: rows are found by their codes, and a merger that has a runbook already keeps its decisions,
its runbook and its progress.

A split municipality gets its part line in its notes (``demo.reform.part_note``), and every harmonisation
generated in a merger with a split member says in its rationale that the member's data is a part
conversion. :func:`reform_counts` counts what the database holds of the reform's mergers.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from django.contrib.auth import get_user_model

from demo.inventory import DOMAINS, MERGER_CODE, SYSTEMS, VENDORS, domains_seed, systems_seed, vendors_seed
from demo.national_calendar import calendar_rules_seed, freeze_windows_seed
from demo.people import ADVISOR_USERNAME, ADVISOR_VENDOR
from demo.progress import PROGRESS_ASSUMPTION, progress_assume
from demo.reform import Member, NewMunicipality, ReformMap, is_part, part_note, reform_map
from demo.support import DISPENSATION_DATE, LEGAL_DATE, say
from municipalities.models import DispensationStatus, Membership, Merger, Municipality, Role
from municipalities.services import merger_dispensation_set
from runbook.drejebog import template_install
from runbook.models import CalendarRule, Dependency, FreezeWindow, Runbook, Step
from runbook.services import runbook_instantiate
from systems.models import (
    Conversion,
    Domain,
    Harmonisation,
    Hosting,
    Strategy,
    System,
    SystemInstance,
    Vendor,
)
from systems.services import harmonisation_apply

SOURCE = "Kode og navn: Danmarks Statistik (kommunekoder før og efter strukturreformen 2007)"
#: the note on every generated system instance and the start of every generated harmonisation's rationale
GENERATED_NOTE = "genereret (antaget)"
DISPENSATIONS = ("none", "applied", "granted")
#: the vendor whose systems make up the typical inventory, and the municipalities' own IT for the rest
INVENTORY_VENDOR = "kmd"
OWN_IT_VENDOR = "egen-drift"


@dataclass
class LoadResult:
    """What a load found and made; ``created`` counts only rows this run added."""

    selected: list[str]
    counts: dict[str, int]
    created: dict[str, int]
    seconds: dict[str, float]


def _catalogue():
    """The demo's vendors, areas and systems (created by the demo's own seed functions when missing, so
    the areas get their bindings from the same place), and the typical inventory: per area the KMD system,
    else the municipalities' own IT's."""
    vendor_codes = [v[0] for v in VENDORS]
    domain_codes = [d[0] for d in DOMAINS]
    vendors = {v.code: v for v in Vendor.objects.filter(code__in=vendor_codes)}
    if len(vendors) < len(vendor_codes):
        vendors = vendors_seed()
    domains = {d.code: d for d in Domain.objects.filter(code__in=domain_codes)}
    if len(domains) < len(domain_codes):
        domains = domains_seed()
    wanted = {(s[1], s[3]): s[0] for s in SYSTEMS}  # (vendor code, name) → key
    systems = {
        wanted[(s.vendor.code, s.name)]: s
        for s in System.objects.filter(vendor__code__in=vendor_codes).select_related("vendor", "domain")
        if (s.vendor.code, s.name) in wanted
    }
    if len(systems) < len(wanted):
        systems = systems_seed(vendors, domains)
    typical: dict[str, object] = {}
    for key, vendor, domain, *_rest in SYSTEMS:
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
    if not FreezeWindow.objects.filter(merger__isnull=True).exists():
        freeze_windows_seed(vendors)
    if not CalendarRule.objects.filter(merger__isnull=True).exists():
        calendar_rules_seed(domains)


def _municipalities_load(rmap: ReformMap, selected: list[NewMunicipality], with_unchanged: bool):
    """Every old municipality of the selection (and the unchanged ones): created when missing, never
    changed except that a split one gets its part line in the notes. Returns (code → Municipality, created)."""
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


def _mergers_load(selected: list[NewMunicipality], municipalities, dispensation: str | None):
    """One merger per new municipality (created when missing), with its members. ``dispensation`` sets the
    state of new mergers and, when given, of existing ones other than the demo's."""
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
            if code != MERGER_CODE:
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


def _domains_by_id(ids: set[int]) -> list:
    return list(Domain.objects.filter(pk__in=ids).order_by("position", "code")) if ids else []


def _advisor_load(mergers) -> int:
    """The demo's KMD advisor (if there is one) advises in every merger: the adviser serves the country."""
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
    mergers, n_mergers, n_links = _mergers_load(selected, municipalities, dispensation)
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
    say(stdout, "created: " + ", ".join(f"{k}={v}" for k, v in created.items()))
    return LoadResult([n.code for n in selected], counts, created, seconds)
