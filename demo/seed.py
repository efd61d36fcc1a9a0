"""The demo data set: the six municipalities of the future Tønder Kommune, mid-flight on 15 March 2006.

Every function is idempotent (natural keys with get_or_create / update_or_create): running the seed twice
leaves the same rows. Facts carry the V/I tags of the domain brief (``is_inferred``, ``code_inferred``,
``population_inferred``, ``binding_inferred``, ``source``). The data is dated (2005–2006): nothing here
asks the clock for today. The runbook comes from version 2 of the drejebog (``runbook.drejebog``); its step
numbers are the keys of ``PROGRESS``.

Entry point: :func:`seed_demo`.
"""
from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from demo.second import second_merger_seed
from municipalities.models import DispensationStatus, Membership, Merger, Municipality, Role
from runbook.drejebog import template_install
from runbook.models import (
    Blocks,
    CalendarRule,
    Comment,
    Event,
    FreezeWindow,
    RuleKind,
    Runbook,
    Step,
    StepKind,
    StepStatus,
)
from systems.models import (
    Domain,
    Harmonisation,
    Hosting,
    Interface,
    LegalBinding,
    Strategy,
    System,
    SystemInstance,
    Vendor,
    VendorCapacityPeriod,
)

DEMO_PASSWORD = "mergeplan-demo"  # noqa: S105 - the demo's published password
DEMO_DATE = dt.date(2006, 3, 15)
SOURCE_ARTICLE = "computerworld.dk/art/26399"

#: (username, role description) — printed by ``make run``.
DEMO_USERS: list[tuple[str, str]] = [
    ("admin", "superuser (Django admin)"),
    ("bent", "IT chief of the Tønder Kommune merger (Bent Johannsen)"),
    ("koord-toender", "municipal coordinator, Tønder"),
    ("koord-hoejer", "municipal coordinator, Højer"),
    ("koord-bredebro", "municipal coordinator, Bredebro"),
    ("koord-loegumkloster", "municipal coordinator, Løgumkloster"),
    ("koord-skaerbaek", "municipal coordinator, Skærbæk"),
    ("koord-noerre-rangstrup", "municipal coordinator, Nørre-Rangstrup"),
    ("kmd-raadgiver", "vendor advisor, KMD"),
    ("laeser", "viewer (read only)"),
]

# --- Facts ----------------------------------------------------------------------------------------

COUNTY = "Sønderjyllands Amt"

#: code, name, population 2005, code inferred, population inferred, coordinator username, notes.
#: Every code is verified (Danmarks Statistik's code lists); Nørre-Rangstrup is spelt officially, with hyphen.
MUNICIPALITIES: list[tuple[str, str, int, bool, bool, str, str]] = [
    ("541", "Tønder", 12_462, False, False, "koord-toender", ""),
    ("517", "Højer", 2_861, False, False, "koord-hoejer", ""),
    ("521", "Løgumkloster", 6_846, False, False, "koord-loegumkloster", ""),
    ("531", "Skærbæk", 7_294, False, False, "koord-skaerbaek", "Inkl. Rømø."),
    (
        "525", "Nørre-Rangstrup", 9_502, False, False, "koord-noerre-rangstrup",
        "Administrationsby: Toftlund. Bevtoft sogn stemte 12. april 2005 55,3 % for Haderslev og følger ikke med "
        "ind i Tønder Kommune (V). Endnu ikke på den fælles infrastruktur.",
    ),
    (
        "505", "Bredebro", 3_680, False, True, "koord-bredebro",
        "Indbyggertal omtrentligt: 42.645 for de seks minus de fem andre (I).",
    ),
]

#: code, name, weekly cutover capacity, inferred
VENDORS: list[tuple[str, str, int | None, bool]] = [
    # KMD is sourced; its capacity is an assumption (I): a national figure, since the same KMD serves every
    # merger of the reform (65 new municipalities), not only this one. 26 go-lives a week outside the
    # legal-date run is what the real reform needs when its 449 early KMD go-lives are spread over the 19
    # open weeks of 2006 (docs/reform.md); 10 in the summer period.
    ("kmd", "KMD", 26, False),
    ("silkeborg-data", "Silkeborg Data", 2, False),
    ("fujitsu", "Fujitsu", 2, False),
    ("software-innovation", "Software Innovation", 1, False),
    ("tdc", "TDC", 1, True),  # "IP telephony from other vendors" is sourced; which vendor is not
    ("egen-drift", "Egen drift (kommunernes IT-afdelinger)", None, True),
]

_KMD_CASE = "KMD's sagssystem i sammenlagt form: før sammenlægningsdatoen kun med givet dispensation, fra dens dato."
_FREE = "Kan sættes i drift enhver arbejdsdag uden for frysperioder, senest på sammenlægningsdatoen."

#: code, Danish name, English name, binding, holds data, converted centrally, binding note.
#: Every binding is inferred (I) from the domain brief; none may follow after the legal date (the demo has
#: no "may follow" area, so no step before the merger has a latest date after the legal date).
DOMAINS: list[tuple[str, str, str, str, bool, bool, str]] = [
    ("payroll", "Løn og personale", "Payroll and HR", LegalBinding.LEGAL_DATE, True, False,
     "Medarbejderne skifter arbejdsgiver til den nye kommune 1. januar 2007."),
    ("finance", "Økonomi", "Finance", LegalBinding.LEGAL_DATE, True, False,
     "Det kommunale regnskabsår er kalenderåret (V). Regnskab 2006 afsluttes i de gamle økonomisystemer i "
     "supplementsperioden og godkendes af den nye kommunalbestyrelse."),
    ("property_tax", "Ejendomsskat", "Property tax", LegalBinding.LEGAL_DATE, True, False,
     "Takster og opkrævninger for 2006 hører til de gamle kommuner, for 2007 til den nye."),
    ("debt_collection", "Opkrævning og inddrivelse", "Debt collection", LegalBinding.DISPENSATION, True, False,
     _KMD_CASE),
    ("esdh", "Sags- og dokumenthåndtering (ESDH)", "Case and document handling (ESDH)", LegalBinding.FREE, True,
     False, "Dokumentsystemer drevet i fællesskab. " + _FREE),
    ("sickness_benefit", "Sygedagpenge", "Sickness benefit", LegalBinding.DISPENSATION, True, False, _KMD_CASE),
    ("pensions", "Sociale pensioner", "Social pensions", LegalBinding.DISPENSATION, True, False, _KMD_CASE),
    ("housing_benefit", "Boligstøtte", "Housing benefit", LegalBinding.DISPENSATION, True, False, _KMD_CASE),
    ("social_assistance", "Kontanthjælp", "Social assistance", LegalBinding.DISPENSATION, True, False,
     _KMD_CASE),
    ("bbr", "BBR (bygnings- og boligregistret)", "Building and housing register (BBR)",
     LegalBinding.DISPENSATION, True, False, _KMD_CASE),
    ("cpr", "CPR-snitflade", "Civil register (CPR) interface", LegalBinding.LEGAL_DATE, True, True,
     "CPR konverteres centralt 1. januar 2007 (delte kommuner efter valgdistrikt); lokalt peges kun "
     "snitfladerne om."),
    ("infrastructure", "Infrastruktur", "Infrastructure", LegalBinding.FREE, False, False,
     "Netværk, domæne, mail og fildrev. " + _FREE),
    ("telephony", "Telefoni og hjemmesider", "Telephony and web sites", LegalBinding.FREE, False, False, _FREE),
]

#: key, vendor code, domain code, name, inferred, notes
SYSTEMS: list[tuple[str, str, str, str, bool, str]] = [
    ("kmd-loen", "kmd", "payroll", "KMD Løn og Personale", False, "KMD's løn- og personalesystemer."),
    ("silkeborg-loen", "silkeborg-data", "payroll", "Silkeborg Løn", False, ""),
    ("kmd-oekonomi", "kmd", "finance", "KMD Økonomi", True, "KMD's økonomisystem (I)."),
    ("prisme", "fujitsu", "finance", "Prisme", False, ""),
    ("kmd-sag", "kmd", "esdh", "KMD Sag", False, ""),
    ("invia", "fujitsu", "esdh", "Invia", False, ""),
    ("si-esdh", "software-innovation", "esdh", "Software Innovation ESDH", False, ""),
    ("kmd-sygedagpenge", "kmd", "sickness_benefit", "KMD Sygedagpenge", False, ""),
    ("kmd-pension", "kmd", "pensions", "KMD Pension", False, "Social pension."),
    ("kmd-boligstoette", "kmd", "housing_benefit", "KMD Boligstøtte", False, ""),
    ("kmd-kontanthjaelp", "kmd", "social_assistance", "KMD Kontanthjælp", False, ""),
    ("kmd-ejendomsskat", "kmd", "property_tax", "KMD Ejendomsskat", True, "Produktnavnet er antaget (I)."),
    ("kmd-opkraevning", "kmd", "debt_collection", "KMD Opkrævning", True, "Produktnavnet er antaget (I)."),
    ("kmd-bbr", "kmd", "bbr", "KMD BBR", True, "Produktnavnet er antaget (I)."),
    ("cpr", "kmd", "cpr", "CPR-snitflade", False, "National CPR, konverteres centralt efter valgdistrikt."),
    (
        "infra", "egen-drift", "infrastructure", "Fælles decentral infrastruktur", False,
        "Netværk, domæne, mail, fildrev. Identisk i fem kommuner (V).",
    ),
    ("central", "egen-drift", "telephony", "Lokal telefoncentral og hjemmeside", True, ""),
    ("ip-telefoni", "tdc", "telephony", "IP-telefoni", False, "IP-telefoni fra anden leverandør end KMD (V)."),
]

_ALL_KMD = [
    "kmd-oekonomi", "kmd-ejendomsskat", "kmd-opkraevning", "kmd-sygedagpenge", "kmd-pension", "kmd-boligstoette",
    "kmd-kontanthjaelp", "kmd-bbr", "cpr",
]

#: municipality code → system keys it runs (mostly KMD; a few others)
INVENTORY: dict[str, list[str]] = {
    "541": ["kmd-loen", *_ALL_KMD, "kmd-sag", "infra", "central"],
    "517": ["kmd-loen", *_ALL_KMD, "infra", "central"],  # Højer: no ESDH
    "521": ["kmd-loen", *[k for k in _ALL_KMD if k != "kmd-oekonomi"], "prisme", "si-esdh", "infra", "central"],
    "531": ["kmd-loen", *_ALL_KMD, "kmd-sag", "infra", "central"],
    "525": ["silkeborg-loen", *_ALL_KMD, "kmd-sag", "infra", "central"],
    "505": ["kmd-loen", *_ALL_KMD, "invia", "infra", "central"],
}

#: (municipality, source system, target system, description)
INTERFACES: list[tuple[str, str, str, str]] = [
    ("541", "kmd-loen", "kmd-oekonomi", "Lønbogføring til økonomi"),
    ("541", "cpr", "kmd-loen", "CPR-opdateringer til løn"),
    ("541", "kmd-sygedagpenge", "kmd-oekonomi", "Udbetalinger bogføres"),
    ("541", "kmd-kontanthjaelp", "kmd-oekonomi", "Udbetalinger bogføres"),  # inferred (I)
    ("521", "kmd-loen", "prisme", "Lønbogføring til Prisme"),
    ("525", "silkeborg-loen", "kmd-oekonomi", "Lønbogføring fra Silkeborg Løn"),
]

#: domain, target system, strategy, surviving municipality (keep), inferred, rationale
HARMONISATIONS: list[tuple[str, str, str, str | None, bool, str]] = [
    ("payroll", "kmd-loen", Strategy.KEEP, "541", True,
     "Fem af seks kører KMD Løn; Nørre-Rangstrups Silkeborg Løn konverteres ind. Alle seks kommunekoder "
     "konverteres til 550, også Tønders egen."),
    ("finance", "kmd-oekonomi", Strategy.KEEP, "541", True,
     "KMD Økonomi i fem af seks; Løgumklosters Prisme konverteres. Kontoplanen harmoniseres først."),
    ("esdh", "kmd-sag", Strategy.KEEP, "541", True,
     "KMD Sag i tre kommuner; Invia og Software Innovation konverteres eller arkivfryses. Højer har intet ESDH."),
    ("sickness_benefit", "kmd-sygedagpenge", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("pensions", "kmd-pension", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("housing_benefit", "kmd-boligstoette", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("social_assistance", "kmd-kontanthjaelp", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("property_tax", "kmd-ejendomsskat", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("debt_collection", "kmd-opkraevning", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("bbr", "kmd-bbr", Strategy.KEEP, "541", True,
     "Samme KMD-system i alle seks: data flyttes fra de gamle kommunekoder til 550."),
    ("cpr", "cpr", Strategy.KEEP, "541", False,
     "CPR konverteres centralt (delte kommuner efter valgdistrikt); de lokale snitflader peges om."),
    ("infrastructure", "infra", Strategy.KEEP, "541", False,
     "Fem kommuner har allerede identisk, decentral infrastruktur; Nørre-Rangstrup tilsluttes."),
    ("telephony", "ip-telefoni", Strategy.NEW, None, True,
     "IP-telefoni fra anden leverandør erstatter de seks lokale centraler; hjemmesiderne samles."),
]

#: cutover duration (working days) per area: 1–3 days, the big registers longest (I)
CUTOVER_DAYS = {"payroll": 3, "finance": 3, "property_tax": 2, "esdh": 2, "infrastructure": 2}

#: KMD's summer: fewer consultants, fewer go-lives a week (I)
CAPACITY_PERIODS: list[tuple[str, dt.date, dt.date, int, str]] = [
    ("kmd", dt.date(2006, 6, 19), dt.date(2006, 8, 13), 10, "Sommerferie: færre konsulenter"),
]


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


# --- Inventory ------------------------------------------------------------------------------------


def municipalities_seed() -> dict[str, Municipality]:
    """The six municipalities with their 2005 facts, keyed by code."""
    result = {}
    for code, name, population, code_inferred, population_inferred, _coord, notes in MUNICIPALITIES:
        source = "Indbyggertal 2005: " + SOURCE_ARTICLE
        source += "; kode: antaget (I)" if code_inferred else "; kode: Danmarks Statistik"
        result[code], _ = Municipality.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "county": COUNTY,
                "population": population,
                "population_year": 2005,
                "code_inferred": code_inferred,
                "population_inferred": population_inferred,
                "source": source,
                "notes": notes,
            },
        )
    return result


def merger_seed(members: dict[str, Municipality]) -> Merger:
    """Tønder Kommune (550), legal date 2007-01-01, dispensation applied for (from 2006-07-01).

    Created once: a later change of the dispensation (through the service) is not undone by re-seeding.
    """
    merger, created = Merger.objects.get_or_create(
        code="550",
        defaults={
            "name": "Tønder Kommune",
            "legal_date": dt.date(2007, 1, 1),
            "dispensation_status": DispensationStatus.APPLIED,
            "dispensation_date": dt.date(2006, 7, 1),
            "dispensation_reference": "Ansøgning til Indenrigs- og Sundhedsministeriet om trinvis "
                                      "sammenlægning af IT-systemerne fra 1. juli 2006",
        },
    )
    merger.members.add(*members.values())
    return merger


def vendors_seed() -> dict[str, Vendor]:
    """KMD (26 go-lives a week nationally, an assumption; 10 in the summer), Silkeborg Data, Fujitsu,
    Software Innovation, a telephony vendor (inferred) and the municipalities' own IT departments
    (inferred), keyed by code. Every capacity is an assumption (``capacity_inferred``), set when the vendor
    is created: a planner's later change (``vendor_capacity_set``) is not undone by re-seeding."""
    result = {}
    for code, name, capacity, inferred in VENDORS:
        result[code], _ = Vendor.objects.get_or_create(
            code=code,
            defaults={"name": name, "weekly_cutover_capacity": capacity, "is_inferred": inferred,
                      "capacity_inferred": True},
        )
    for code, start, end, capacity, note in CAPACITY_PERIODS:
        VendorCapacityPeriod.objects.update_or_create(
            vendor=result[code],
            start=start,
            defaults={"end": end, "capacity": capacity, "note": note, "is_inferred": True},
        )
    return result


def domains_seed() -> dict[str, Domain]:
    """The functional areas, Danish and English names, in a fixed order, keyed by code, with their legal
    binding. The binding is written when the area is new or has none recorded yet (no note): a binding
    changed since (through ``systems.services.domain_binding_set``) is left alone."""
    result = {}
    for position, (code, name, name_en, binding, holds_data, central, note) in enumerate(DOMAINS, start=1):
        domain, created = Domain.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "position": position * 10,
                "holds_data": holds_data,
                "central_conversion": central,
            },
        )
        if created or not domain.binding_note:
            domain.binding, domain.binding_latest = binding, None
            domain.binding_inferred, domain.binding_note = True, note
            domain.save(update_fields=["binding", "binding_latest", "binding_inferred", "binding_note"])
        result[code] = domain
    return result


def systems_seed(vendors: dict[str, Vendor], domains: dict[str, Domain]) -> dict[str, System]:
    """The vendors' products of 2006 (no KMD Opus: it came around 2009), keyed by a short key."""
    result = {}
    for key, vendor, domain, name, inferred, notes in SYSTEMS:
        result[key], _ = System.objects.update_or_create(
            vendor=vendors[vendor],
            name=name,
            defaults={"domain": domains[domain], "is_inferred": inferred, "notes": notes},
        )
    return result


def _hosting(system_key: str, vendor_code: str, municipality_code: str) -> str:
    if system_key == "infra":
        return Hosting.DECENTRAL if municipality_code == "525" else Hosting.SHARED
    if vendor_code in ("kmd", "silkeborg-data"):
        return Hosting.VENDOR
    return Hosting.DECENTRAL


def instances_seed(
    municipalities: dict[str, Municipality], systems: dict[str, System]
) -> dict[tuple[str, str], SystemInstance]:
    """Who runs what, keyed by (municipality code, system key). Instances are inferred except the
    infrastructure (five share it, Nørre-Rangstrup is to be connected: sourced)."""
    vendor_of = {key: vendor for key, vendor, *_rest in SYSTEMS}
    result = {}
    for code, keys in INVENTORY.items():
        for key in keys:
            notes = ""
            if key == "infra" and code == "525":
                notes = "Skal tilsluttes den fælles infrastruktur."
            result[code, key], _ = SystemInstance.objects.update_or_create(
                municipality=municipalities[code],
                system=systems[key],
                defaults={
                    "hosting": _hosting(key, vendor_of[key], code),
                    "is_inferred": key != "infra",
                    "notes": notes,
                },
            )
    return result


#: feeds of the first version of the demo that are no longer held true, removed when re-seeding
OBSOLETE_INTERFACES: list[tuple[str, str, str]] = [("541", "cpr", "kmd-kontanthjaelp")]


def interfaces_seed(instances: dict[tuple[str, str], SystemInstance]) -> list[Interface]:
    """A few feeds between instances (payroll → finance, CPR → payroll …). Each feed between two areas makes
    the receiving area's cutover go live with the sending one's or after it (see ``runbook_instantiate``)."""
    for code, source, target in OBSOLETE_INTERFACES:
        Interface.objects.filter(source=instances[code, source], target=instances[code, target]).delete()
    result = []
    for code, source, target, description in INTERFACES:
        interface, _ = Interface.objects.update_or_create(
            source=instances[code, source], target=instances[code, target], defaults={"description": description}
        )
        result.append(interface)
    return result


def harmonisations_seed(
    merger: Merger,
    domains: dict[str, Domain],
    systems: dict[str, System],
    instances: dict[tuple[str, str], SystemInstance],
    actor=None,
) -> list[Harmonisation]:
    """The decision per area (created once, then left alone) and the conversions it implies, derived by
    ``systems.services.harmonisation_apply`` (idempotent)."""
    from systems.services import harmonisation_apply

    result = []
    decided_on = dt.date(2006, 2, 17)
    for domain, target, strategy, survivor, inferred, rationale in HARMONISATIONS:
        harmonisation, created = Harmonisation.objects.get_or_create(
            merger=merger,
            domain=domains[domain],
            defaults={
                "target_system": systems[target],
                "strategy": strategy,
                "surviving_instance": instances[survivor, target] if survivor else None,
                "rationale": rationale,
                "decided_on": decided_on,
                "is_inferred": inferred,
            },
        )
        harmonisation_apply(harmonisation=harmonisation, actor=actor)
        if created:  # the derivation happened when the decision was made, not today
            Event.objects.filter(
                content_type=ContentType.objects.get_for_model(Harmonisation), object_id=harmonisation.pk
            ).update(created_at=_at(decided_on, 12))
        result.append(harmonisation)
    return result


# --- Calendar -------------------------------------------------------------------------------------


#: KMD's national closure (V): no go-live and no user work
NATIONAL_CLOSURE = ("KMD's landsdækkende lukkeperiode", dt.date(2006, 12, 22), dt.date(2007, 1, 1))
#: names of dated freeze windows of the first version of the demo, replaced by calendar rules
OBSOLETE_WINDOW_NAMES = ["KMD's landsdækkende lukning", "Årsafslutning, økonomi"]

#: name, kind, domain code (None = every area), blocks, extra fields — all national (merger None), all I
CALENDAR_RULES: list[tuple[str, str, str | None, str, dict[str, int]]] = [
    ("Fællesferie", RuleKind.SUMMER_HOLIDAY, None, Blocks.WORK, {"week_from": 28, "week_to": 30}),
    ("Lønkørsel", RuleKind.PAYROLL_RUN, "payroll", Blocks.GO_LIVE, {"days": 5}),
    *[
        ("Udbetaling af ydelser", RuleKind.PAYOUT_RUN, code, Blocks.GO_LIVE, {"days": 3})
        for code in ("sickness_benefit", "pensions", "housing_benefit", "social_assistance")
    ],
    ("Årsafslutning, økonomi", RuleKind.YEAR_END, "finance", Blocks.GO_LIVE,
     {"month_from": 12, "day_from": 1, "month_to": 12, "day_to": 31}),
]
_RULE_NOTES = {
    RuleKind.SUMMER_HOLIDAY: "Industriens fællesferie, uge 28–30: ingen idriftsættelse, uddannelse eller "
                             "generalprøve, der kræver brugerne.",
    RuleKind.PAYROLL_RUN: "Fra indberetningsfristen til lønudbetalingen (sidste bankdag i måneden).",
    RuleKind.PAYOUT_RUN: "Ydelserne udbetales omkring månedsskiftet; systemet sættes ikke i drift i "
                         "udbetalingskørslen.",
    RuleKind.YEAR_END: "Årsafslutningen i økonomisystemet.",
}


def freeze_windows_seed(vendors: dict[str, Vendor]) -> list[FreezeWindow]:
    """KMD's national closure 22 Dec 2006 – 1 Jan 2007 (V), the only dated window: it blocks user work too.
    The dated payroll-run and year-end windows of the first version of the demo are removed (they are
    calendar rules now)."""
    FreezeWindow.objects.filter(domain__code="payroll", name__startswith="Lønkørsel ").delete()
    FreezeWindow.objects.filter(name__in=OBSOLETE_WINDOW_NAMES).delete()
    name, start, end = NATIONAL_CLOSURE
    window, _ = FreezeWindow.objects.update_or_create(
        name=name,
        merger=None,
        defaults={
            "start": start, "end": end, "vendor": vendors["kmd"], "domain": None, "is_inferred": False,
            "blocks": Blocks.WORK,
        },
    )
    return [window]


def calendar_rules_seed(domains: dict[str, Domain]) -> list[CalendarRule]:
    """The recurring national rules (all inferred): the common summer holiday, the payroll run, the benefit
    payout runs and the finance year-end closing, keyed by name, kind and area."""
    result = []
    for name, kind, domain, blocks, extra in CALENDAR_RULES:
        rule, _ = CalendarRule.objects.update_or_create(
            name=name,
            kind=kind,
            domain=domains[domain] if domain else None,
            vendor=None,
            merger=None,
            defaults={"blocks": blocks, "is_inferred": True, "note": _RULE_NOTES[kind], **extra},
        )
        result.append(rule)
    return result


# --- People ---------------------------------------------------------------------------------------


def users_seed(merger: Merger, municipalities: dict[str, Municipality], vendors: dict[str, Vendor]) -> dict:
    """The demo users (password ``mergeplan-demo``) and their roles in the merger. Passwords are set
    when a user is created, never reset."""
    User = get_user_model()  # noqa: N806
    encoded: list[str] = []  # hashed once: a strong hash costs a second or more, and it is one password

    def user(username: str, first: str, last: str, **flags: bool):
        obj, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.dk", **flags},
        )
        if created:
            if not encoded:
                encoded.append(make_password(DEMO_PASSWORD))
            obj.password = encoded[0]
            obj.save(update_fields=["password"])
        return obj

    users = {
        "admin": user("admin", "Admin", "", is_staff=True, is_superuser=True),
        "bent": user("bent", "Bent", "Johannsen", is_staff=True),
        "kmd-raadgiver": user("kmd-raadgiver", "Karen", "Mortensen"),
        "laeser": user("laeser", "Læser", "Sammenlægningsudvalget"),
    }
    Membership.objects.get_or_create(user=users["bent"], merger=merger, role=Role.IT_CHIEF)
    Membership.objects.get_or_create(
        user=users["kmd-raadgiver"], merger=merger, role=Role.VENDOR_ADVISOR, defaults={"vendor": vendors["kmd"]}
    )
    Membership.objects.get_or_create(user=users["laeser"], merger=merger, role=Role.VIEWER)
    for code, name, *_facts, username, _notes in MUNICIPALITIES:
        users[username] = user(username, "Koordinator", name)
        Membership.objects.get_or_create(
            user=users[username],
            merger=merger,
            role=Role.COORDINATOR,
            defaults={"municipality": municipalities[code]},
        )
    return users


# --- The runbook and its progress on 15 March 2006 ------------------------------------------------

#: key (template step number) → (status, actual start, actual finish, actor username)
PROGRESS: dict[str, tuple[str, dt.date | None, dt.date | None, str]] = {
    "1": (StepStatus.DONE, dt.date(2005, 11, 1), dt.date(2005, 11, 7), "bent"),
    "2": (StepStatus.DONE, dt.date(2005, 11, 8), dt.date(2005, 11, 21), "bent"),
    "4": (StepStatus.DONE, dt.date(2005, 11, 8), dt.date(2005, 11, 28), "koord-toender"),
    "5": (StepStatus.DONE, dt.date(2005, 11, 8), dt.date(2005, 11, 21), "bent"),
    "3": (StepStatus.DONE, dt.date(2005, 11, 22), dt.date(2005, 12, 19), "bent"),
    "6": (StepStatus.DONE, dt.date(2005, 11, 29), dt.date(2005, 12, 12), "bent"),
    "7": (StepStatus.DONE, dt.date(2005, 11, 29), dt.date(2006, 1, 13), "koord-toender"),
    "8": (StepStatus.DONE, dt.date(2006, 1, 16), dt.date(2006, 1, 20), "bent"),
    "9": (StepStatus.DONE, dt.date(2006, 1, 23), dt.date(2006, 2, 17), "bent"),
    "16": (StepStatus.IN_PROGRESS, dt.date(2006, 1, 16), None, "bent"),  # blocked below
    "10": (StepStatus.IN_PROGRESS, dt.date(2006, 2, 20), None, "bent"),  # the committee's decision
    "11": (StepStatus.IN_PROGRESS, dt.date(2006, 2, 20), None, "bent"),
    "12": (StepStatus.IN_PROGRESS, dt.date(2006, 2, 27), None, "bent"),
    "14": (StepStatus.IN_PROGRESS, dt.date(2006, 3, 6), None, "bent"),
}
BLOCKED_KEY = "16"
BLOCKED_ON = dt.date(2006, 2, 27)
BLOCKED_REASON = (
    "Blokeret: fiberforbindelsen mellem Toftlund og Tønder er ikke leveret, og teleleverandøren har endnu "
    "ikke bekræftet en leveringsdato. Domæne, mail og telefoni venter på tilslutningen."
)
#: the committee's decision (step 10) is recorded by meeting and agenda item, not signed by the vendor
COMMITTEE_MEETING = (
    "Forelægges på sammenlægningsudvalgets møde 28. marts 2006, dagsordenens punkt 7 (antaget). "
    "Målsystemerne er valgt; budgettet for konverteringerne er sendt med dagsordenen."
)


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def runbook_seed(merger: Merger, users: dict, stdout: TextIO | None = None) -> Runbook:
    """Instantiate the drejebog for the merger (only when it has no runbook yet) and, on that first run,
    load the progress of 15 March 2006. Re-seeding leaves an existing runbook and its progress alone."""
    from runbook.services import runbook_instantiate

    existing = Runbook.objects.filter(merger=merger).first()
    if existing is not None:
        return existing
    template = template_install()  # version 2
    runbook = runbook_instantiate(merger=merger, template=template, actor=users["bent"])
    Event.objects.filter(merger=merger, verb="runbook_instantiated").update(created_at=_at(dt.date(2005, 11, 1)))
    _progress_load(runbook, users)
    _say(stdout, f"Runbook instantiated: {runbook.steps.count()} steps")
    return runbook


def _progress_load(runbook: Runbook, users: dict) -> None:
    """Write the demo's progress straight onto the steps (a data load), with matching audit events
    dated when they happened."""
    steps = {s.key: s for s in runbook.steps.select_related("domain")}
    step_ct = ContentType.objects.get_for_model(Step)
    events: list[Event] = []
    changed: list[Step] = []
    for key, (status, start, finish, actor) in PROGRESS.items():
        step = steps[key]
        step.status, step.actual_start, step.actual_finish = status, start, finish
        changed.append(step)
        if status == StepStatus.DONE:
            events.append(_status_event(step_ct, step, users[actor], StepStatus.IN_PROGRESS, start))
            events.append(_status_event(step_ct, step, users[actor], StepStatus.DONE, finish, before="in_progress"))
        else:
            events.append(_status_event(step_ct, step, users[actor], status, start))
    blocked = steps[BLOCKED_KEY]
    blocked.status = StepStatus.BLOCKED
    events.append(
        _status_event(step_ct, blocked, users["bent"], StepStatus.BLOCKED, BLOCKED_ON, before="in_progress",
                      message=BLOCKED_REASON)
    )
    for step in steps.values():
        if step.kind == StepKind.CUTOVER and step.domain is not None:
            step.duration_days = CUTOVER_DAYS.get(step.domain.code, 1)
            changed.append(step)
    steps["21"].deadline = dt.date(2006, 12, 1)  # new master data keyed by 1 December (V)
    changed.append(steps["21"])
    Step.objects.bulk_update(
        list({s.pk: s for s in changed}.values()),
        ["status", "actual_start", "actual_finish", "duration_days", "deadline"],
    )
    Event.objects.bulk_create(events)

    Comment.objects.get_or_create(
        step=blocked, author=users["bent"], body=BLOCKED_REASON, defaults={"created_at": _at(BLOCKED_ON, 14)}
    )
    Comment.objects.get_or_create(
        step=steps["7"],
        author=users["koord-toender"],
        body="CPR's vejkodetabeller kommer først i april 2006; vi har brugt de foreløbige tabeller og "
             "tjekker igen, når de endelige er udgivet.",
        defaults={"created_at": _at(dt.date(2006, 1, 13), 15)},
    )
    decision = steps["10"]
    Comment.objects.get_or_create(
        step=decision, author=users["bent"], body=COMMITTEE_MEETING,
        defaults={"created_at": _at(dt.date(2006, 3, 9), 11)},
    )
    Comment.objects.get_or_create(
        step=decision,
        author=users["kmd-raadgiver"],
        body="KMD underskriver konverteringsaftalen (trin 15), når udvalget har godkendt udgiften til "
             "konverteringen af økonomisystemet.",
        defaults={"created_at": _at(dt.date(2006, 3, 10), 10)},
    )


def _status_event(ct, step: Step, actor, status: str, on: dt.date, *, before: str = "not_started",
                  message: str = "") -> Event:
    return Event(
        created_at=_at(on),
        actor=actor,
        merger_id=step.runbook.merger_id,
        verb="status_changed",
        content_type=ct,
        object_id=step.pk,
        object_repr=str(step)[:250],
        changes={"status": [before, str(status)]},
        message=message,
    )


# --- Entry point ----------------------------------------------------------------------------------

COUNTED: list[tuple[str, str]] = [
    ("municipalities", "municipalities.Municipality"),
    ("mergers", "municipalities.Merger"),
    ("users", "auth.User"),
    ("memberships", "municipalities.Membership"),
    ("vendors", "systems.Vendor"),
    ("domains", "systems.Domain"),
    ("systems", "systems.System"),
    ("system_instances", "systems.SystemInstance"),
    ("interfaces", "systems.Interface"),
    ("harmonisations", "systems.Harmonisation"),
    ("conversions", "systems.Conversion"),
    ("freeze_windows", "runbook.FreezeWindow"),
    ("calendar_rules", "runbook.CalendarRule"),
    ("vendor_capacity_periods", "systems.VendorCapacityPeriod"),
    ("templates", "runbook.RunbookTemplate"),
    ("template_steps", "runbook.TemplateStep"),
    ("runbooks", "runbook.Runbook"),
    ("steps", "runbook.Step"),
    ("dependencies", "runbook.Dependency"),
    ("comments", "runbook.Comment"),
    ("signoffs", "runbook.CheckpointSignoff"),
    ("events", "runbook.Event"),
]


def seed_counts() -> dict[str, int]:
    """Row counts of the seeded models (all rows, not only the demo's)."""
    counts = {}
    for label, model in COUNTED:
        if model == "auth.User":
            counts[label] = get_user_model().objects.count()
        else:
            counts[label] = apps.get_model(model).objects.count()
    return counts


def seed_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Load the whole demo data set (idempotent) and return the row counts.

    Call it inside a transaction (the ``seed_demo`` management command does).
    """
    municipalities = municipalities_seed()
    merger = merger_seed(municipalities)
    vendors = vendors_seed()
    domains = domains_seed()
    systems = systems_seed(vendors, domains)
    instances = instances_seed(municipalities, systems)
    interfaces_seed(instances)
    users = users_seed(merger, municipalities, vendors)
    harmonisations_seed(merger, domains, systems, instances, actor=users["bent"])
    freeze_windows_seed(vendors)
    calendar_rules_seed(domains)
    template_install()
    runbook_seed(merger, users, stdout=stdout)
    second_merger_seed(stdout=stdout)
    counts = seed_counts()
    _say(stdout, "Demo data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def demo_merger() -> Merger | None:
    """The demo's merger (Tønder Kommune, 550), if seeded."""
    return Merger.objects.filter(code="550").first()

