"""The drejebog (runbook template) for a municipal IT merger, as data, and its installer.

The 37 steps follow the template of the domain brief (``/work/shared/DOMAIN.md``): durations in working
days, the "After" column as finish-to-start dependencies, and ``is_inferred`` for the rows that rest on
domain inference rather than on a source. Scopes: most steps happen once per merger; the trial conversion,
the functional test, the cutover and the post-conversion verification happen once per harmonised area
(so the cutovers become the waves); the conversion mapping tables are drawn up once per conversion (each
old municipality's data in each area).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from municipalities.models import Role

from .models import Phase, RunbookTemplate, Scope, StepKind, TemplateDependency, TemplateStep

DEFAULT_NAME = "Drejebog for kommunal IT-sammenlægning"

CHIEF = Role.IT_CHIEF
COORD = Role.COORDINATOR
ADVISOR = Role.VENDOR_ADVISOR


@dataclass(frozen=True)
class PhaseSpec:
    number: int
    name: str
    name_en: str


@dataclass(frozen=True)
class StepSpec:
    """One row of the drejebog table."""

    number: int
    phase: int
    name: str
    name_en: str
    days: int
    after: tuple[int, ...] = ()
    kind: str = StepKind.TASK
    scope: str = Scope.MERGER
    role: str = CHIEF
    inferred: bool = False
    post_merger: bool = False
    description: str = ""


PHASES: tuple[PhaseSpec, ...] = (
    PhaseSpec(1, "Mobilisering", "Mobilise"),
    PhaseSpec(2, "Kortlægning", "Survey"),
    PhaseSpec(3, "Beslutning og harmonisering", "Decide and harmonise"),
    PhaseSpec(4, "Infrastruktur", "Infrastructure"),
    PhaseSpec(5, "Konvertering og test", "Convert and test"),
    PhaseSpec(6, "Omlægning og idriftsættelse", "Cutover and go-live"),
    PhaseSpec(7, "Efter sammenlægningen", "After the merger"),
)

T, M, C, X = StepKind.TASK, StepKind.MILESTONE, StepKind.CHECKPOINT, StepKind.CUTOVER
AREA, CONV = Scope.AREA, Scope.CONVERSION

STEPS: tuple[StepSpec, ...] = (
    # 1 Mobilise
    StepSpec(1, 1, "Mobilisering: fælles IT-styregruppe og én IT-chef for alle",
             "Mobilise: joint IT steering group, one IT chief for all", 5),
    StepSpec(2, 1, "Vedtag drejebogen; engager leverandørrådgiver",
             "Adopt the drejebog; engage vendor advisor", 10, (1,)),
    StepSpec(3, 1, "Søg dispensation (tidlig sammenlægning)",
             "Apply for dispensation (early merge)", 20, (2,),
             description="Ansøgning til Indenrigsministeriet om at måtte lægge systemer om før den lovbestemte "
                         "dato (L 68 § 1, stk. 3). Tilladelsen er en port: uden den ingen idriftsættelse "
                         "før 1. januar 2007."),
    # 2 Survey
    StepSpec(4, 2, "Kortlægning: systemoversigt pr. kommune", "Survey: system inventory per municipality",
             15, (1,), role=COORD, inferred=True),
    StepSpec(5, 2, "Kortlægning af infrastruktur (netværk, servere, pc'er)",
             "Infrastructure inventory (network, servers, PCs)", 10, (1,), inferred=True),
    StepSpec(6, 2, "Kontrakter, licenser og opsigelsesvarsler", "Contracts, licences, notice periods",
             10, (4,), inferred=True),
    StepSpec(7, 2, "Datakvalitet: CPR-valgdistrikter, vejkoder, delte områder",
             "Data quality: CPR electoral districts, road codes, split areas", 15, (4,), role=COORD),
    StepSpec(8, 2, "Gap-analyse og risikoregister", "Gap analysis and risk register", 5, (4, 5, 6, 7),
             inferred=True),
    # 3 Decide and harmonise
    StepSpec(9, 3, "Vælg og harmonisér: målsystem pr. område", "Select and harmonise: target system per area",
             20, (8,), inferred=True),
    StepSpec(10, 3, "Sammenlægningsudvalget godkender valg og udgifter",
             "Merger committee approves choices and spending", 10, (9,), kind=C,
             description="Go/no-go: IT-chefen og leverandørrådgiveren skriver under."),
    StepSpec(11, 3, "Harmonisér kontoplan", "Harmonise chart of accounts", 20, (9,)),
    StepSpec(12, 3, "Harmonisér løn- og personaleopsætning", "Harmonise payroll/HR set-up", 20, (9,)),
    StepSpec(13, 3, "Harmonisér sagsbehandlingspraksis", "Harmonise case-work practice", 15, (9,),
             role=COORD, inferred=True),
    StepSpec(14, 3, "Bruger- og rollemodel (katalog, adgange)", "User and role model (directory, access)",
             10, (9,), inferred=True),
    StepSpec(15, 3, "Underskriv konverteringsaftale med leverandøren", "Sign vendor conversion agreement",
             10, (9, 10)),
    # 4 Infrastructure
    StepSpec(16, 4, "Tilslut Nørre Rangstrup til den fælles infrastruktur",
             "Connect the odd one out (Nørre Rangstrup) to the shared infrastructure", 20, (5,)),
    StepSpec(17, 4, "Konsolidér domæne, mail og fildrev", "Consolidate domain, mail, file shares", 25, (16,),
             inferred=True),
    StepSpec(18, 4, "Telefoni og hjemmesider", "Telephony and web sites", 20, (16,)),
    # 5 Convert and test
    StepSpec(19, 5, "Konverteringstabeller (gamle koder → 550, veje, omkostningssteder)",
             "Conversion mapping tables (old codes → 550, roads, cost centres)", 15, (7, 11, 12),
             scope=CONV, role=COORD),
    StepSpec(20, 5, "Håndtering af deling (Bevtoft sogn → Haderslev)",
             "Split handling (Bevtoft parish → Haderslev)", 10, (19,), role=ADVISOR),
    StepSpec(21, 5, "Indtast nye stamdata (frist 1. december)", "Key new master data (deadline 1 December)",
             30, (11, 12, 19), role=COORD),
    StepSpec(22, 5, "Prøvekonvertering", "Trial conversion", 10, (19,), scope=AREA, role=ADVISOR,
             inferred=True),
    StepSpec(23, 5, "Migrering af dokumentsystem eller arkivfrysning",
             "Document-system migration or archive freeze", 20, (9,), inferred=True),
    StepSpec(24, 5, "Funktionstest pr. område", "Functional test per area", 15, (22,), scope=AREA,
             role=COORD, inferred=True),
    StepSpec(25, 5, "Parallel lønkørsel", "Parallel payroll run", 10, (21, 22), role=ADVISOR, inferred=True),
    StepSpec(26, 5, "Generalprøve fra ende til anden (go/no-go)", "Dress rehearsal, end to end (go/no-go)",
             5, (24, 25), kind=C, description="Go/no-go: IT-chefen og leverandørrådgiveren skriver under."),
    StepSpec(27, 5, "Ret fejl og test igen", "Fix and retest", 10, (26,), role=ADVISOR),
    # 6 Cutover and go-live
    StepSpec(28, 6, "Brugeruddannelse", "User training", 15, (13, 26), role=COORD, inferred=True),
    StepSpec(29, 6, "Omlægning af system", "Cutover of system", 2, (27,), kind=X, scope=AREA, role=ADVISOR,
             description="Ét system pr. område (bølgerne); 1–3 arbejdsdage."),
    StepSpec(30, 6, "Nødprocedurer (a conto-udbetalinger, manuelle udbetalinger)",
             "Emergency procedures (cash advances, manual payouts)", 5, (29,)),
    StepSpec(31, 6, "Kontrol efter konvertering", "Post-conversion verification", 1, (29,), scope=AREA,
             role=ADVISOR),
    StepSpec(32, 6, "Idriftsættelse", "Go-live", 0, (31,), kind=M),
    # 7 After the merger
    StepSpec(33, 7, "Hypercare og fejlhåndtering", "Hypercare and error triage", 20, (32,), role=ADVISOR,
             post_merger=True),
    StepSpec(34, 7, "Første lønkørsel i den nye kommune", "First payroll in the new municipality", 0, (32,),
             kind=M, inferred=True, post_merger=True),
    StepSpec(35, 7, "Afstem lønstatistik og placeringer i registre",
             "Reconcile payroll statistics and register placements", 10, (34,), role=COORD, post_merger=True),
    StepSpec(36, 7, "Luk gamle systemer, opsig kontrakter, arkivér",
             "Decommission old systems, end contracts, archive", 40, (33,), inferred=True, post_merger=True),
    StepSpec(37, 7, "Evaluér; senere udbud for besparelser", "Evaluate; tender later for savings", 10, (36,),
             post_merger=True),
)


@transaction.atomic
def template_install(*, name: str = DEFAULT_NAME, version: int = 1) -> RunbookTemplate:
    """Install the drejebog as a RunbookTemplate (get-or-create by name and version).

    Phases, steps and dependencies are created only when the template is new, so running it twice changes
    nothing and never touches a template someone has edited since.
    """
    template, created = RunbookTemplate.objects.get_or_create(
        name=name,
        version=version,
        defaults={
            "description": "Drejebog for IT-sammenlægningen af kommuner i strukturreformen 2007 "
                           "(Tønder-kommunernes model med KMD som rådgiver).",
        },
    )
    if not created and template.steps.exists():
        return template
    phases = {
        p.number: Phase.objects.create(template=template, number=p.number, name=p.name, name_en=p.name_en)
        for p in PHASES
    }
    steps = {
        s.number: TemplateStep.objects.create(
            template=template,
            phase=phases[s.phase],
            number=s.number,
            name=s.name,
            name_en=s.name_en,
            description=s.description,
            kind=s.kind,
            duration_days=s.days,
            scope=s.scope,
            responsible_role=s.role,
            post_merger=s.post_merger,
            is_inferred=s.inferred,
        )
        for s in STEPS
    }
    TemplateDependency.objects.bulk_create(
        [TemplateDependency(predecessor=steps[p], successor=steps[s.number]) for s in STEPS for p in s.after]
    )
    return template
