"""``manage.py generate_reform``: a SYNTHETIC national data set at the scale of the 2007 reform.

Everything generated is labelled synthetic: mergers are "Syntetisk Kommune NN" with ``is_synthetic=True``,
municipalities "Syntetisk NN-A", vendors, domains and systems carry the code prefix ``syn-`` and
"(syntetisk)" in their names, freeze windows "Syntetisk: …" (inferred). Nothing of it describes a real
municipality. It does not touch the demo data (Tønder and KMD): the synthetic vendors are their own.

Shape (defaults): 66 mergers of 2–7 municipalities (238 in all, as in the reform), each municipality
running one system per functional area, harmonised per area to the system most members run (the others
become conversions), runbooks from the drejebog template (``runbook.drejebog.template_install``, or a
synthetic template of the same shape when that module is missing), vendors with weekly cutover capacities,
and about a fifth of the mergers with a granted dispensation. With 64 areas this makes about 30,000 steps
and 60,000 dependencies. Deterministic for a given ``--seed``.
"""
from __future__ import annotations

import datetime as dt
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from municipalities.models import DispensationStatus, Merger, Municipality
from runbook.models import Dependency, FreezeWindow, Runbook, RunbookTemplate, Step
from systems.models import Conversion, Domain, Harmonisation, Strategy, System, SystemInstance, Vendor

PREFIX = "syn-"
LEGAL_DATE = dt.date(2007, 1, 1)

#: (code, name, capacity per week, share of the systems)
VENDORS = (
    ("kmd", "KMD (syntetisk)", 45, 6),
    ("silkeborg", "Silkeborg Data (syntetisk)", 12, 2),
    ("fujitsu", "Fujitsu (syntetisk)", 10, 2),
    ("si", "Software Innovation (syntetisk)", 6, 1),
    ("lokal", "Lokal leverandør (syntetisk)", None, 1),
)
AREAS = (
    "Løn og personale", "Økonomi", "ESDH", "Sygedagpenge", "Pension", "Boligstøtte", "Kontanthjælp",
    "CPR-snitflade", "Netværk", "Mail og kalender", "Fildrev", "Telefoni", "Hjemmeside", "Skole",
    "Dagtilbud", "Ældrepleje", "Byggesag", "Ejendomsskat", "Opkrævning", "Indkøb", "Vej og park",
    "Miljø", "Jobcenter", "Borgerservice", "Arkiv", "GIS", "Bibliotek", "Kultur", "Sundhed", "Beredskab",
)


def _area_names(count: int) -> list[tuple[str, str]]:
    out = []
    for k in range(count):
        base = AREAS[k % len(AREAS)]
        suffix = "" if k < len(AREAS) else f" {k // len(AREAS) + 1}"
        out.append((f"{PREFIX}{k + 1:02d}", f"{base}{suffix} (syntetisk)"))
    return out


class Command(BaseCommand):
    help = "Generate a clearly labelled SYNTHETIC national data set (66 mergers) for scale tests."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mergers", type=int, default=66)
        parser.add_argument("--areas", type=int, default=64, help="functional areas (systems per municipality)")
        parser.add_argument("--seed", type=int, default=2007)
        parser.add_argument("--replace", action="store_true", help="delete earlier synthetic data first")
        parser.add_argument("--schedule", action="store_true", help="schedule the whole country afterwards")

    def handle(self, *args, **opts) -> None:
        from runbook.planning import recompute_deferred

        if not 1 <= opts["mergers"] <= 300:
            raise CommandError("--mergers must be between 1 and 300")
        if not 1 <= opts["areas"] <= 200:
            raise CommandError("--areas must be between 1 and 200")
        t0 = time.perf_counter()
        with recompute_deferred():
            if Merger.objects.filter(is_synthetic=True).exists():
                if not opts["replace"]:
                    raise CommandError("Synthetic data exists already: use --replace to generate it again.")
                synthetic_delete()
            with transaction.atomic():
                counts = generate(mergers=opts["mergers"], areas=opts["areas"], seed=opts["seed"])
        t1 = time.perf_counter()
        for label, n in counts.items():
            self.stdout.write(f"  {label:<16} {n}")
        self.stdout.write(f"  generated in {t1 - t0:.1f} s")
        if opts["schedule"]:
            from runbook.planning import schedule_apply_all

            result = schedule_apply_all()  # as of the planning clock (MERGEPLAN_TODAY)
            self.stdout.write(
                f"  scheduled {len(result.merger_ids)} mergers, {result.steps_changed} steps written, "
                f"{result.findings} findings in {result.seconds_total:.1f} s"
            )
        self.stdout.write(self.style.SUCCESS("Synthetic reform data ready (is_synthetic=True)."))


def synthetic_delete() -> None:
    """Remove every synthetic merger with its runbook, and the synthetic inventory."""
    with transaction.atomic():
        mergers = Merger.objects.filter(is_synthetic=True)
        Runbook.objects.filter(merger__in=mergers).delete()
        Harmonisation.objects.filter(merger__in=mergers).delete()
        municipality_ids = list(Municipality.objects.filter(code__startswith="S", name__startswith="Syntetisk")
                                .values_list("pk", flat=True))
        mergers.delete()
        SystemInstance.objects.filter(municipality_id__in=municipality_ids).delete()
        Municipality.objects.filter(pk__in=municipality_ids).delete()
        FreezeWindow.objects.filter(name__startswith="Syntetisk:").delete()
        System.objects.filter(vendor__code__startswith=PREFIX).delete()
        Vendor.objects.filter(code__startswith=PREFIX).delete()
        Domain.objects.filter(code__startswith=PREFIX, systems__isnull=True).delete()


def _template() -> RunbookTemplate:
    try:
        from runbook.drejebog import template_install
    except ImportError:  # the drejebog module is missing: a synthetic template of the same shape
        return _synthetic_template()
    return template_install()


def _synthetic_template() -> RunbookTemplate:
    from municipalities.models import Role
    from runbook.models import Phase, Scope, StepKind, TemplateDependency, TemplateStep

    template, created = RunbookTemplate.objects.get_or_create(name="Syntetisk drejebog", version=1)
    if not created:
        return template
    phase = Phase.objects.create(template=template, number=1, name="Syntetisk fase", name_en="Synthetic phase")
    spec = [
        (1, StepKind.TASK, 10, Scope.MERGER, ()),
        (2, StepKind.TASK, 20, Scope.MERGER, (1,)),
        (3, StepKind.TASK, 15, Scope.CONVERSION, (2,)),
        (4, StepKind.TASK, 10, Scope.AREA, (3,)),
        (5, StepKind.TASK, 15, Scope.AREA, (4,)),
        (6, StepKind.CHECKPOINT, 5, Scope.MERGER, (5,)),
        (7, StepKind.CUTOVER, 2, Scope.AREA, (6,)),
        (8, StepKind.TASK, 1, Scope.AREA, (7,)),
        (9, StepKind.MILESTONE, 0, Scope.MERGER, (8,)),
    ]
    steps = {}
    for number, kind, days, scope, _after in spec:
        steps[number] = TemplateStep.objects.create(
            template=template, phase=phase, number=number, name=f"Syntetisk trin {number}",
            name_en=f"Synthetic step {number}", kind=kind, duration_days=days, scope=scope,
            responsible_role=Role.IT_CHIEF, is_inferred=True,
        )
    TemplateDependency.objects.bulk_create(
        [TemplateDependency(predecessor=steps[p], successor=steps[n]) for n, *_rest, after in spec for p in after]
    )
    return template


def _member_counts(rng: random.Random, mergers: int) -> list[int]:
    """2–7 members each, about 3.6 on average (238 municipalities in 66 mergers)."""
    weights = {2: 22, 3: 20, 4: 11, 5: 6, 6: 4, 7: 3}
    sizes = list(weights)
    return [rng.choices(sizes, weights=[weights[s] for s in sizes])[0] for _ in range(mergers)]


def generate(*, mergers: int, areas: int, seed: int) -> dict[str, int]:
    """Create the synthetic data set; returns counts of what was created."""
    from runbook.calendar import month_end_freezes

    rng = random.Random(seed)
    template = _template()

    vendors = {}
    for code, name, capacity, _share in VENDORS:
        vendors[code], _ = Vendor.objects.update_or_create(
            code=f"{PREFIX}{code}", defaults={"name": name, "weekly_cutover_capacity": capacity, "is_inferred": True}
        )
    vendor_pool = [code for code, _n, _c, share in VENDORS for _ in range(share)]
    domains = []
    for position, (code, name) in enumerate(_area_names(areas), start=100):
        domain, _ = Domain.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name.replace("(syntetisk)", "(synthetic)"),
                                 "position": position}
        )
        domains.append(domain)
    # 1–3 competing systems per area
    systems: dict[int, list[System]] = {}
    new_systems = []
    for domain in domains:
        chosen = sorted(set(rng.sample(vendor_pool, k=min(len(vendor_pool), rng.randint(1, 3)))))
        for code in chosen:
            new_systems.append(System(vendor=vendors[code], domain=domain, name=f"{vendors[code].name} {domain.name}",
                                      is_inferred=True))
    System.objects.bulk_create(new_systems, ignore_conflicts=True)
    for system in System.objects.filter(domain__in=domains, vendor__in=vendors.values()).order_by("pk"):
        systems.setdefault(system.domain_id, []).append(system)

    sizes = _member_counts(rng, mergers)
    municipalities: list[Municipality] = []
    for m, size in enumerate(sizes, start=1):
        for k in range(size):
            municipalities.append(
                Municipality(
                    code=f"S{len(municipalities) + 1:03d}",
                    name=f"Syntetisk {m:02d}-{chr(65 + k)}",
                    county="Syntetisk amt",
                    population=rng.randint(2_000, 30_000),
                    code_inferred=True,
                    population_inferred=True,
                    notes="Synthetic test data (generate_reform).",
                )
            )
    Municipality.objects.bulk_create(municipalities)
    municipalities = list(Municipality.objects.filter(code__in=[m.code for m in municipalities]).order_by("code"))

    merger_rows = []
    for m in range(1, mergers + 1):
        roll = rng.random()
        if roll < 0.2:
            status, date = DispensationStatus.GRANTED, dt.date(2006, rng.choice([7, 8, 9]), 1)
        elif roll < 0.35:
            status, date = DispensationStatus.APPLIED, dt.date(2006, 7, 1)
        else:
            status, date = DispensationStatus.NONE, None
        merger_rows.append(
            Merger(name=f"Syntetisk Kommune {m:02d}", code=f"Y{m:03d}", legal_date=LEGAL_DATE,
                   dispensation_status=status, dispensation_date=date, is_synthetic=True)
        )
    Merger.objects.bulk_create(merger_rows)
    merger_objs = list(Merger.objects.filter(is_synthetic=True, code__in=[m.code for m in merger_rows]).order_by("code"))

    members: dict[int, list[Municipality]] = {}
    through = []
    cursor = 0
    for merger, size in zip(merger_objs, sizes, strict=True):
        members[merger.pk] = municipalities[cursor : cursor + size]
        cursor += size
        through += [Merger.members.through(merger_id=merger.pk, municipality_id=mu.pk) for mu in members[merger.pk]]
    Merger.members.through.objects.bulk_create(through)

    instances = []
    for merger in merger_objs:
        for mu in members[merger.pk]:
            for domain in domains:
                instances.append(SystemInstance(municipality=mu, system=rng.choice(systems[domain.pk]), is_inferred=True))
    SystemInstance.objects.bulk_create(instances, batch_size=2000)
    by_key: dict[tuple[int, int], list[SystemInstance]] = {}
    for inst in SystemInstance.objects.filter(municipality__in=municipalities).select_related("system").order_by(
        "municipality__code", "system__domain_id"
    ):
        by_key.setdefault((inst.municipality_id, inst.system.domain_id), []).append(inst)

    harmonisations = []
    plan: list[tuple[Harmonisation, list[SystemInstance]]] = []
    for merger in merger_objs:
        for domain in domains:
            insts = [i for mu in members[merger.pk] for i in by_key[(mu.pk, domain.pk)]]
            counts: dict[int, int] = {}
            for i in insts:
                counts[i.system_id] = counts.get(i.system_id, 0) + 1
            target_id = max(sorted(counts), key=lambda s: counts[s])
            survivor = next(i for i in insts if i.system_id == target_id)
            h = Harmonisation(merger=merger, domain=domain, target_system_id=target_id, strategy=Strategy.KEEP,
                              surviving_instance=survivor, is_inferred=True)
            harmonisations.append(h)
            plan.append((h, [i for i in insts if i.pk != survivor.pk]))
    Harmonisation.objects.bulk_create(harmonisations, batch_size=2000)
    conversions = [Conversion(harmonisation=h, source_instance=i) for h, insts in plan for i in insts]
    Conversion.objects.bulk_create(conversions, batch_size=2000)

    freezes = [
        FreezeWindow(name="Syntetisk: KMD's nationale lukning", start=dt.date(2006, 12, 22), end=dt.date(2007, 1, 1),
                     vendor=vendors["kmd"], is_inferred=True)
    ]
    for w in month_end_freezes(domain=domains[0].code, start=dt.date(2006, 1, 1), end=dt.date(2007, 12, 31), days=3,
                               label="Syntetisk: lønkørsel"):
        freezes.append(FreezeWindow(name=w.label, start=w.start, end=w.end, domain=domains[0], is_inferred=True))
    FreezeWindow.objects.bulk_create(freezes)

    _instantiate_all(merger_objs, template, plan, members)

    return {
        "mergers": len(merger_objs),
        "municipalities": len(municipalities),
        "areas": len(domains),
        "instances": len(instances),
        "conversions": len(conversions),
        "steps": Step.objects.filter(runbook__merger__in=merger_objs).count(),
        "dependencies": Dependency.objects.filter(runbook__merger__in=merger_objs).count(),
    }


def _instantiate_all(
    mergers: list[Merger],
    template: RunbookTemplate,
    plan: list[tuple[Harmonisation, list[SystemInstance]]],
    members: dict[int, list[Municipality]],
) -> None:
    """Instantiate every merger's runbook at once, exactly as ``runbook.services.runbook_instantiate``
    wires it (same keys, names, scopes and dependencies; a test compares the two), but with plain
    ``executemany`` inserts: ``runbook_instantiate`` costs about 1.3 s per merger of 430 steps here,
    almost all of it in the ORM's per-object work of ``bulk_create``."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from runbook.models import Event, Scope, TemplateDependency

    now = timezone.now()
    Runbook.objects.bulk_create([Runbook(merger=m, template=template, created_at=now) for m in mergers])
    runbooks = {r.merger_id: r for r in Runbook.objects.filter(merger__in=mergers)}
    template_steps = list(template.steps.select_related("phase").order_by("number"))
    tdeps = list(TemplateDependency.objects.filter(successor__template=template).order_by("pk")
                 .values_list("predecessor_id", "successor_id", "type", "lag_days"))
    code_of = {mu.pk: mu for ms in members.values() for mu in ms}
    systems = {s.pk: s for s in System.objects.filter(pk__in={h.target_system_id for h, _ in plan})}
    domains = {d.pk: d for d in Domain.objects.filter(pk__in={h.domain_id for h, _ in plan})}
    by_merger: dict[int, list[tuple[Harmonisation, list[SystemInstance]]]] = {}
    for h, insts in plan:
        by_merger.setdefault(h.merger_id, []).append((h, insts))
    conversions = {
        (c.harmonisation_id, c.source_instance_id): c.pk
        for c in Conversion.objects.filter(harmonisation__merger__in=mergers)
    }

    step_cols = ["runbook_id", "template_step_id", "phase_id", "key", "sequence", "name", "name_en", "description",
                 "kind", "duration_days", "status", "responsible_role", "domain_id", "harmonisation_id",
                 "conversion_id", "assignee_municipality_id", "assignee_vendor_id", "post_merger",
                 "override_reason", "is_critical", "at_risk", "risk_reasons", "version", "updated_at"]
    step_rows = []
    copies: dict[int, dict[int, list[tuple[str, object, str]]]] = {}
    for merger in mergers:
        rb = runbooks[merger.pk].pk
        items = sorted(by_merger.get(merger.pk, []), key=lambda x: (domains[x[0].domain_id].position, x[0].pk))
        convs = sorted(
            ((h, i) for h, insts in items for i in insts),
            key=lambda x: (domains[x[0].domain_id].position, code_of[x[1].municipality_id].code, x[1].pk),
        )
        mine: dict[int, list[tuple[str, object, str]]] = {}
        seq = 0
        for ts in template_steps:
            base = (ts.kind, ts.duration_days, "not_started", ts.responsible_role)
            tail = (ts.post_merger, "", False, False, "[]", 1, now)
            if ts.scope == Scope.MERGER:
                seq += 1
                key = str(ts.number)
                step_rows.append((rb, ts.pk, ts.phase_id, key, seq, ts.name, ts.name_en, ts.description, *base,
                                  None, None, None, None, None, *tail))
                mine.setdefault(ts.pk, []).append(("merger", None, key))
            elif ts.scope == Scope.AREA:
                for h, _insts in items:
                    seq += 1
                    d = domains[h.domain_id]
                    key = f"{ts.number}-{d.code}"
                    step_rows.append((rb, ts.pk, ts.phase_id, key, seq, f"{ts.name}: {d.name}",
                                      f"{ts.name_en or ts.name}: {d.name_en or d.name}", ts.description, *base,
                                      d.pk, h.pk, None, None, systems[h.target_system_id].vendor_id, *tail))
                    mine.setdefault(ts.pk, []).append(("area", h.pk, key))
            else:
                for h, inst in convs:
                    seq += 1
                    d = domains[h.domain_id]
                    mu = code_of[inst.municipality_id]
                    target = systems[h.target_system_id]
                    key = f"{ts.number}-{d.code}-{mu.code}"
                    label = f"{mu.name} → {target.name}"
                    step_rows.append((rb, ts.pk, ts.phase_id, key, seq, f"{ts.name}: {label}",
                                      f"{ts.name_en or ts.name}: {label}", ts.description, *base,
                                      d.pk, h.pk, conversions[(h.pk, inst.pk)], mu.pk, target.vendor_id, *tail))
                    mine.setdefault(ts.pk, []).append(("conversion", (h.pk, conversions[(h.pk, inst.pk)]), key))
        copies[merger.pk] = mine
    _insert(Step, step_cols, step_rows)

    ids = {(rb, key): pk for rb, key, pk in Step.objects.filter(runbook__in=runbooks.values())
           .values_list("runbook_id", "key", "pk")}

    def area_of(scope: str, ref) -> int | None:
        if scope == "area":
            return ref
        if scope == "conversion":
            return ref[0]
        return None

    dep_rows = []
    for merger in mergers:
        rb = runbooks[merger.pk].pk
        mine = copies[merger.pk]
        for pred, succ, typ, lag in tdeps:
            for p_scope, p_ref, p_key in mine.get(pred, ()):
                for s_scope, s_ref, s_key in mine.get(succ, ()):
                    if p_scope == s_scope == "conversion" and p_ref[1] != s_ref[1]:
                        continue
                    p_area, s_area = area_of(p_scope, p_ref), area_of(s_scope, s_ref)
                    if p_area is not None and s_area is not None and p_area != s_area:
                        continue
                    dep_rows.append((rb, ids[(rb, p_key)], ids[(rb, s_key)], typ, lag))
    _insert(Dependency, ["runbook_id", "predecessor_id", "successor_id", "type", "lag_days"], dep_rows)

    ct = ContentType.objects.get_for_model(Runbook)
    Event.objects.bulk_create([
        Event(verb="runbook_instantiated", content_type=ct, object_id=runbooks[m.pk].pk,
              object_repr=str(m.name)[:250], merger_id=m.pk,
              message=f"Synthetic runbook from {template} (generate_reform)")
        for m in mergers
    ])


def _insert(model, columns: list[str], rows: list[tuple], batch: int = 5000) -> None:
    """Plain multi-row INSERT through the DB-API (no per-object ORM work)."""
    from django.db import connection

    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table), ", ".join(qn(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        for k in range(0, len(rows), batch):
            cursor.executemany(sql, rows[k : k + batch])
