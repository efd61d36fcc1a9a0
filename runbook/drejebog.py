"""The drejebog (runbook template) for a municipal IT merger, as data, and its installer.

Version 2 (``VERSION``). The steps follow the drejebog table of the project's domain brief: durations in
working days, the "After" column as dependencies, and ``is_inferred`` for the rows that rest on domain
inference rather than on a source (Basis I; S rows are not inferred). Step numbers are the keys of the
instantiated steps and stay stable:

==  ==========================================================  ==========  =====================
#   Step (Danish name)                                          scope       direction / tag
==  ==========================================================  ==========  =====================
1   Etablér en fælles IT-styregruppe med én IT-chef for alle    merger      asap
2   Vedtag drejebogen, og knyt leverandørens rådgiver til       merger      asap
3   Søg dispensation til tidlig idriftsættelse                  merger      asap
4   Kortlæg systemerne i hver kommune                           merger      asap
5   Kortlæg infrastrukturen                                     merger      asap
6   Gennemgå kontrakter, licenser og opsigelsesvarsler          merger      asap
7   Sikr datakvaliteten (CPR-valgdistrikter, vejkoder)          merger      asap
8   Udarbejd forskelsanalyse og risikoregister                  merger      asap
9   Vælg målsystem for hvert fagområde                          merger      asap
10  Få valg og udgifter godkendt i sammenlægningsudvalget       merger      asap (a recorded decision)
11  Harmonisér kontoplanen                                      merger      asap
12  Harmonisér løn- og personaleopsætningen                     merger      asap
13  Harmonisér sagsbehandlingspraksis                           merger      asap
14  Fastlæg bruger- og rollemodellen                            merger      asap
15  Underskriv konverteringsaftalen med leverandøren            merger      asap
16  Tilslut Nørre-Rangstrup til den fælles infrastruktur        merger      asap
17  Konsolidér domæne, mail og fildrev                          merger      asap
18  Saml telefoni og hjemmesider                                merger      asap
19  Udarbejd konverteringstabeller                              conversion  asap
20  Håndtér kommunedelingen                                     merger      asap
21  Indtast nye stamdata                                        merger      asap
22  Gennemfør prøvekonvertering                                 area*       alap
23  Migrér dokumentsystemet, eller frys arkivet                 merger      asap
24  Gennemfør funktionstest                                     area*       alap
25  Gennemfør parallel lønkørsel                                merger      alap
26  Hold generalprøve fra ende til anden (beslutningspunkt)     area        alap, users, rehearsal
27  Ret fejl, og test igen                                      area        alap
28  Uddan brugerne                                              area        alap, users, training
29  Omlæg systemet (CPR: peg snitfladerne om)                   area        asap (cutover)
30  Gør nødprocedurerne klar                                    area*       alap, users
31  Kontrollér data efter konverteringen                        area        asap
32  Meld systemerne i drift (milestone)                         merger      asap
33  Giv skærpet support efter idriftsættelse                    merger      asap, after the merger
34  Første lønudbetaling i den nye kommune (milestone)          merger      first_payroll, after
35  Afstem lønstatistik og placeringer i registre               merger      reconciliation, after
36  Luk de gamle systemer, opsig kontrakterne, og arkivér       merger      asap, after the merger
37  Evaluér, og forbered senere udbud                           merger      asap, after the merger
38  Afslut regnskab 2006 i de gamle økonomisystemer             merger      asap, after the merger
==  ==========================================================  ==========  =====================

(area* = only areas that hold data and are not converted centrally: ``data_areas_only``.)

Scopes: most steps happen once per merger; area steps once per harmonised area (so the cutovers become
the waves); the conversion mapping tables once per conversion (each old municipality code in each
data-holding area, the seat's own code included). An ``after`` entry ``(n, "payroll")`` is a dependency
restricted to one area (``TemplateDependency.area``): only that area's copy of the area-scoped side takes
part (e.g. only the payroll dress rehearsal waits for the parallel payroll run). Step 38 was added in
version 2 (the 2006 accounts are closed in the old finance systems during the supplementary period).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from municipalities.models import Role
from runbook.models import (
    Direction,
    Phase,
    PlanTag,
    RunbookTemplate,
    Scope,
    StepKind,
    TemplateDependency,
    TemplateStep,
)

DEFAULT_NAME = "Drejebog for kommunal IT-sammenlægning"
VERSION = 2

CHIEF = Role.IT_CHIEF
COORD = Role.COORDINATOR
ADVISOR = Role.VENDOR_ADVISOR

#: an "after" entry: a step number, or (step number, domain code) for an area-restricted dependency
After = int | tuple[int, str]


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
    after: tuple[After, ...] = ()
    kind: str = StepKind.TASK
    scope: str = Scope.MERGER
    role: str = CHIEF
    inferred: bool = False
    post_merger: bool = False
    description: str = ""
    direction: str = Direction.ASAP
    needs_users: bool = False
    plan_tag: str = PlanTag.NONE
    data_areas_only: bool = False

    def predecessors(self) -> list[tuple[int, str]]:
        """The "after" entries as (step number, area code or "")."""
        return [(a, "") if isinstance(a, int) else a for a in self.after]


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
ALAP = Direction.ALAP

STEPS: tuple[StepSpec, ...] = (
    # 1 Mobilise
    StepSpec(1, 1, "Etablér en fælles IT-styregruppe med én IT-chef for alle",
             "Mobilise: joint IT steering group, one IT chief for all", 5),
    StepSpec(2, 1, "Vedtag drejebogen, og knyt leverandørens rådgiver til",
             "Adopt the drejebog; engage the vendor advisor", 10, (1,)),
    StepSpec(3, 1, "Søg dispensation til tidlig idriftsættelse",
             "Apply for dispensation (early go-live)", 20, (2,),
             description="Ansøgning til Indenrigs- og Sundhedsministeriet om at måtte sætte systemer i drift i "
                         "sammenlagt form før sammenlægningsdatoen (lov om revision af den kommunale inddeling; "
                         "hvilken bestemmelse dispensationen hviler på, er antaget). Dispensationen er en port: "
                         "uden den ingen idriftsættelse i sammenlagt form før 1. januar 2007."),
    # 2 Survey
    StepSpec(4, 2, "Kortlæg systemerne i hver kommune", "Survey the system inventory of each municipality",
             15, (1,), role=COORD, inferred=True),
    StepSpec(5, 2, "Kortlæg infrastrukturen", "Survey the infrastructure", 10, (1,), inferred=True,
             description="Netværk, servere og pc'er i hver kommune."),
    StepSpec(6, 2, "Gennemgå kontrakter, licenser og opsigelsesvarsler",
             "Review contracts, licences and notice periods", 10, (4,), inferred=True),
    StepSpec(7, 2, "Sikr datakvaliteten", "Secure the data quality", 15, (4,), role=COORD,
             description="CPR-valgdistrikter, vejkoder og delte områder (CPR's vejkodetabeller udkom i april "
                         "2006)."),
    StepSpec(8, 2, "Udarbejd forskelsanalyse og risikoregister", "Draw up gap analysis and risk register",
             5, (4, 5, 6, 7), inferred=True),
    # 3 Decide and harmonise
    StepSpec(9, 3, "Vælg målsystem for hvert fagområde", "Select the target system of each area",
             20, (8,), inferred=True),
    StepSpec(10, 3, "Få valg og udgifter godkendt i sammenlægningsudvalget",
             "Have the merger committee approve choices and spending", 10, (9,),
             description="Sammenlægningsudvalget godkender målsystemerne og udgifterne. Det er en protokolleret "
                         "beslutning i udvalget: notér mødedato og dagsordenens punkt på trinnet. Ingen "
                         "underskrift fra leverandøren."),
    StepSpec(11, 3, "Harmonisér kontoplanen", "Harmonise the chart of accounts", 20, (9,)),
    StepSpec(12, 3, "Harmonisér løn- og personaleopsætningen", "Harmonise the payroll and HR set-up",
             20, (9,)),
    StepSpec(13, 3, "Harmonisér sagsbehandlingspraksis", "Harmonise case-work practice", 15, (9,),
             role=COORD, inferred=True),
    StepSpec(14, 3, "Fastlæg bruger- og rollemodellen", "Define the user and role model", 10, (9,),
             inferred=True, description="Katalog og adgange."),
    StepSpec(15, 3, "Underskriv konverteringsaftalen med leverandøren", "Sign the vendor conversion agreement",
             10, (9, 10)),
    # 4 Infrastructure
    StepSpec(16, 4, "Tilslut Nørre-Rangstrup til den fælles infrastruktur",
             "Connect Nørre-Rangstrup to the common infrastructure", 20, (5,),
             description="Fem af kommunerne har allerede identisk, decentral infrastruktur; den sjette "
                         "tilsluttes."),
    StepSpec(17, 4, "Konsolidér domæne, mail og fildrev", "Consolidate domain, mail and file shares", 25, (16,),
             inferred=True),
    StepSpec(18, 4, "Saml telefoni og hjemmesider", "Consolidate telephony and web sites", 20, (16,)),
    # 5 Convert and test
    StepSpec(19, 5, "Udarbejd konverteringstabeller", "Draw up the conversion mapping tables",
             15, (7, 11, 12), scope=CONV, role=COORD,
             description="Gammel kommunekode → ny kommunekode, veje og omkostningssteder. Én tabel for hver "
                         "gammel kode i hvert fagområde med data, også administrationsbyens egen."),
    StepSpec(20, 5, "Håndtér kommunedelingen", "Handle the split of a municipality", 10, (19,), role=ADVISOR,
             description="Bevtoft sogn (Nørre-Rangstrup) går til Haderslev Kommune; dets data konverteres efter "
                         "valgdistrikt."),
    StepSpec(21, 5, "Indtast nye stamdata", "Key the new master data", 30, (11, 12, 19), role=COORD,
             description="Frist 1. december 2006."),
    StepSpec(22, 5, "Gennemfør prøvekonvertering", "Run the trial conversion", 10, (15, 19), scope=AREA,
             role=ADVISOR, inferred=True, direction=ALAP, data_areas_only=True),
    StepSpec(23, 5, "Migrér dokumentsystemet, eller frys arkivet", "Migrate the document system or freeze "
             "the archive", 20, (9,), inferred=True),
    StepSpec(24, 5, "Gennemfør funktionstest", "Run the functional test", 15, (22,), scope=AREA, role=COORD,
             inferred=True, direction=ALAP, data_areas_only=True),
    StepSpec(25, 5, "Gennemfør parallel lønkørsel", "Run a parallel payroll run", 10, (21, (22, "payroll")),
             role=ADVISOR, inferred=True, direction=ALAP),
    StepSpec(26, 5, "Hold generalprøve fra ende til anden", "Hold the end-to-end dress rehearsal", 5,
             (20, 24, (25, "payroll")), kind=C, scope=AREA, direction=ALAP, needs_users=True,
             plan_tag=PlanTag.REHEARSAL,
             description="Beslutningspunkt: IT-chefen og KMD-rådgiveren afgiver go/no-go-beslutning. Holdes få "
                         "uger før idriftsættelsen."),
    StepSpec(27, 5, "Ret fejl, og test igen", "Fix and retest", 10, (26,), scope=AREA, role=ADVISOR,
             direction=ALAP),
    # 6 Cutover and go-live
    StepSpec(28, 6, "Uddan brugerne", "Train the users", 15, (13, 14, 26), scope=AREA, role=COORD,
             inferred=True, direction=ALAP, needs_users=True, plan_tag=PlanTag.TRAINING,
             description="Færdig kort før idriftsættelsen, ikke måneder før og aldrig efter."),
    StepSpec(29, 6, "Omlæg systemet", "Cut over the system", 2,
             (26, 27, 28, 30, (17, "infrastructure"), (18, "telephony"), (23, "esdh")),
             kind=X, scope=AREA, role=ADVISOR, description="Ét system pr. fagområde (bølgerne); 1–3 arbejdsdage."),
    StepSpec(30, 6, "Gør nødprocedurerne klar", "Make the emergency procedures ready", 5, (27,), scope=AREA,
             direction=ALAP, needs_users=True, data_areas_only=True,
             description="A conto-udbetalinger og manuelle udbetalinger, klar før lukkeperioden og "
                         "omlægningen."),
    # 31 and 32 follow the go-lives, which may be on the legal day itself: they may lie after the legal date
    StepSpec(31, 6, "Kontrollér data efter konverteringen", "Verify the data after conversion", 1, (29,),
             scope=AREA, role=ADVISOR, post_merger=True),
    StepSpec(32, 6, "Meld systemerne i drift", "Go-live", 0, (31,), kind=M, post_merger=True),
    # 7 After the merger
    StepSpec(33, 7, "Giv skærpet support efter idriftsættelse", "Hypercare and error triage", 20, (32,),
             role=ADVISOR, post_merger=True, description="Fejl registreres og prioriteres dagligt."),
    StepSpec(34, 7, "Første lønudbetaling i den nye kommune", "First payroll in the new municipality", 0,
             ((31, "payroll"),), kind=M, inferred=True, post_merger=True, plan_tag=PlanTag.FIRST_PAYROLL,
             description="På den første lønudbetalingsdag (sidste bankdag i måneden) efter lønsystemets "
                         "idriftsættelse."),
    StepSpec(35, 7, "Afstem lønstatistik og placeringer i registre",
             "Reconcile payroll statistics and register placements", 10, (34,), role=COORD, post_merger=True,
             plan_tag=PlanTag.RECONCILIATION),
    StepSpec(36, 7, "Luk de gamle systemer, opsig kontrakterne, og arkivér",
             "Decommission the old systems, end contracts, archive", 40, (33, 38), inferred=True,
             post_merger=True),
    StepSpec(37, 7, "Evaluér, og forbered senere udbud", "Evaluate; tender later for savings", 10, (36,),
             post_merger=True),
    StepSpec(38, 7, "Afslut regnskab 2006 i de gamle økonomisystemer",
             "Close the 2006 accounts in the old finance systems", 40, ((31, "finance"),), inferred=True,
             post_merger=True,
             description="Supplementsperioden: de gamle økonomisystemer holdes åbne til læsning og afslutning "
                         "ind i 2007, og den nye kommunalbestyrelse godkender regnskab 2006."),
)


#: (predecessor, successor) → lag in working days: payroll is reconciled from the day after the pay day.
LAGS: dict[tuple[int, int], int] = {(34, 35): 1}


@transaction.atomic
def template_install(*, name: str = DEFAULT_NAME, version: int = VERSION) -> RunbookTemplate:
    """Install the drejebog as a RunbookTemplate (get-or-create by name and version).

    Phases, steps and dependencies are created only when the template is new, so running it twice changes
    nothing and never touches a template someone has edited since (nor an older version).
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
            direction=s.direction,
            needs_users=s.needs_users,
            plan_tag=s.plan_tag,
            data_areas_only=s.data_areas_only,
        )
        for s in STEPS
    }
    TemplateDependency.objects.bulk_create(
        [
            TemplateDependency(
                predecessor=steps[p], successor=steps[s.number], area=area, lag_days=LAGS.get((p, s.number), 0)
            )
            for s in STEPS
            for p, area in s.predecessors()
        ]
    )
    return template
