"""The demo's national calendar: KMD's closure over New Year and the recurring rules (the common summer
holiday, the payroll run, the benefit payout runs, the finance year end) under which every merger is planned.

All of it is national (no merger) and inferred except KMD's closure, seeded by ``seed_demo`` and, when the
database has none yet, by ``load_reform`` for the whole country. Idempotent: windows and rules are found by
their natural keys and updated; the dated windows of the demo's first version are removed.
"""
from __future__ import annotations

import datetime as dt

from runbook.models import Blocks, CalendarRule, FreezeWindow, RuleKind
from systems.models import Domain, Vendor

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
