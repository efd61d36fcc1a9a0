"""The demo's inventory: the six municipalities of the future Tønder Kommune, their merger, the vendors,
areas and systems of 2006, who runs what, the feeds between them, and the merger's decision per area.

The facts carry the V/I tags of the domain brief (``is_inferred``, ``code_inferred``,
``population_inferred``, ``binding_inferred``, ``source``): V where sourced, I where inferred. Every
function is idempotent (natural keys with get_or_create / update_or_create): running it twice leaves the
same rows, and a decision created once (the merger's dispensation, a vendor's capacity, a harmonisation)
is not undone by re-seeding. ``demo.reform_loader`` takes its catalogue (vendors, areas, systems) from here
too, so the whole country runs the same systems as the demo.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType

from audit.models import Event
from demo.support import DISPENSATION_DATE, LEGAL_DATE, at
from municipalities.models import DispensationStatus, Merger, Municipality
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
from systems.services import harmonisation_apply

SOURCE_ARTICLE = "computerworld.dk/art/26399"
#: the new municipality's code: Tønder Kommune, the demo's merger
MERGER_CODE = "550"

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

#: KMD's summer: fewer consultants, fewer go-lives a week (I)
CAPACITY_PERIODS: list[tuple[str, dt.date, dt.date, int, str]] = [
    ("kmd", dt.date(2006, 6, 19), dt.date(2006, 8, 13), 10, "Sommerferie: færre konsulenter"),
]


# --- Seeding ------------------------------------------------------------------------------------


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
        code=MERGER_CODE,
        defaults={
            "name": "Tønder Kommune",
            "legal_date": LEGAL_DATE,
            "dispensation_status": DispensationStatus.APPLIED,
            "dispensation_date": DISPENSATION_DATE,
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
            ).update(created_at=at(decided_on, 12))
        result.append(harmonisation)
    return result
