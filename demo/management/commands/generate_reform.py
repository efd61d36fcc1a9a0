"""``manage.py generate_reform``: a SYNTHETIC copy of the reform's shape, for benchmarks and tests only.

The national data set is ``manage.py load_reform`` (the real map of the 2007 reform, ``demo.reform``).
This command stays for what needs many, disposable, clearly fake mergers: ``bench_schedule`` (the database
part), ``bench_api`` and the planning tests. Its mergers have the REAL member counts of the reform's 65
mergers, in code order (``demo.reform.reform_map().member_counts()``), repeated when ``--mergers`` asks
for more (e.g. 195 = the reform ×3); everything else is generated.

Everything generated is labelled synthetic: mergers are "Syntetisk Kommune NN" with ``is_synthetic=True``,
municipalities "Syntetisk NN-A", vendors, domains and systems carry the code prefix ``syn-`` and
"(syntetisk)" in their names, freeze windows "Syntetisk: …" (inferred). Nothing of it describes a real
municipality. It does not touch the demo data (Tønder and KMD) nor the reform's: the synthetic vendors are
their own.

Shape (defaults): 65 mergers of 2–7 municipalities (251 in all, as the reform's with its split parts), each
municipality running one system per functional area, harmonised per area to the system most members run,
vendors with weekly cutover capacities, and about a fifth of the mergers with a granted dispensation.
The rows are generated in bulk; what the application derives from them is derived by its own services, so
the synthetic mergers have exactly the shape of real ones: the conversions by
``systems.services.harmonisation_apply`` and the runbooks from the drejebog template
(``runbook.drejebog.template_install``) by ``runbook.services.runbook_instantiate``. Deterministic for a
given ``--seed``.
"""
from __future__ import annotations

import datetime as dt
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.reform import reform_map
from demo.support import LEGAL_DATE
from engine.calendar import month_end_freezes
from municipalities.models import DispensationStatus, Merger, Municipality
from runbook.drejebog import template_install
from runbook.models import Dependency, FreezeWindow, Runbook, Step
from runbook.planning.apply import schedule_apply_all
from runbook.planning.enqueue import recompute_deferred
from runbook.services import runbook_instantiate
from systems.models import Conversion, Domain, Harmonisation, Strategy, System, SystemInstance, Vendor
from systems.services import harmonisation_conversions

PREFIX = "syn-"

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
    help = "Generate a clearly labelled SYNTHETIC copy of the reform's shape (benchmarks and tests only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mergers", type=int, default=65, help="65 = the reform's count; more repeats it")
        parser.add_argument("--areas", type=int, default=64, help="functional areas (systems per municipality)")
        parser.add_argument("--seed", type=int, default=2007)
        parser.add_argument("--replace", action="store_true", help="delete earlier synthetic data first")
        parser.add_argument("--schedule", action="store_true", help="schedule the whole country afterwards")

    def handle(self, *args, **opts) -> None:
        if not 1 <= opts["mergers"] <= 250:  # municipality codes "S001"…"S999"
            raise CommandError("--mergers must be between 1 and 250")
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


def _member_counts(mergers: int) -> list[int]:
    """The real member counts of the reform's mergers (2–7, 251 in 65), repeated to ``mergers``."""
    real = reform_map().member_counts()
    return [real[k % len(real)] for k in range(mergers)]


def generate(*, mergers: int, areas: int, seed: int) -> dict[str, int]:
    """Create the synthetic data set; returns counts of what was created."""
    rng = random.Random(seed)
    template = template_install()

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

    sizes = _member_counts(mergers)
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
    for merger in merger_objs:
        for domain in domains:
            insts = [i for mu in members[merger.pk] for i in by_key[(mu.pk, domain.pk)]]
            counts: dict[int, int] = {}
            for i in insts:
                counts[i.system_id] = counts.get(i.system_id, 0) + 1
            target_id = max(sorted(counts), key=lambda s: counts[s])
            survivor = next(i for i in insts if i.system_id == target_id)
            harmonisations.append(Harmonisation(
                merger=merger, domain=domain, target_system=survivor.system, strategy=Strategy.KEEP,
                surviving_instance=survivor, is_inferred=True,
            ))
    Harmonisation.objects.bulk_create(harmonisations, batch_size=2000)
    conversions = [Conversion(harmonisation=h, source_instance=i) for h in harmonisations
                   for i in harmonisation_conversions(h)]
    Conversion.objects.bulk_create(conversions, batch_size=2000)

    freezes = [
        FreezeWindow(name="Syntetisk: KMD's nationale lukning", start=dt.date(2006, 12, 22), end=dt.date(2007, 1, 1),
                     vendor=vendors["kmd"], is_inferred=True)
    ]
    for w in month_end_freezes(domain=domains[0].code, start=dt.date(2006, 1, 1), end=dt.date(2007, 12, 31), days=3,
                               label="Syntetisk: lønkørsel"):
        freezes.append(FreezeWindow(name=w.label, start=w.start, end=w.end, domain=domains[0], is_inferred=True))
    FreezeWindow.objects.bulk_create(freezes)

    for merger in merger_objs:
        runbook_instantiate(merger=merger, template=template, actor=None)

    return {
        "mergers": len(merger_objs),
        "municipalities": len(municipalities),
        "areas": len(domains),
        "instances": len(instances),
        "conversions": len(conversions),
        "steps": Step.objects.filter(runbook__merger__in=merger_objs).count(),
        "dependencies": Dependency.objects.filter(runbook__merger__in=merger_objs).count(),
    }

