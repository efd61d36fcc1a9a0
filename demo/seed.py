"""The demo data set: the six municipalities of the future Tønder Kommune, mid-flight on 15 March 2006,
and Aabenraa Kommune beside it.

:func:`seed_demo` loads it all, in this order: the inventory (``demo.inventory``), the users and their
roles (``demo.people``), the merger's decisions per area, the national calendar
(``demo.national_calendar``), the runbook from version 2 of the drejebog with its progress
(``demo.progress``), and the second merger from the reform (``demo.second``). Every step is idempotent:
running the seed twice leaves the same rows. The data is dated (2005–2006): nothing asks the clock for
today. ``manage.py seed_demo`` runs it, then plans the demo merger and captures the baselines.
"""
from __future__ import annotations

from typing import TextIO

from django.apps import apps
from django.contrib.auth import get_user_model

from demo.inventory import (
    MERGER_CODE,
    domains_seed,
    harmonisations_seed,
    instances_seed,
    interfaces_seed,
    merger_seed,
    municipalities_seed,
    systems_seed,
    vendors_seed,
)
from demo.national_calendar import calendar_rules_seed, freeze_windows_seed
from demo.people import users_seed
from demo.progress import runbook_seed
from demo.second import second_merger_seed
from demo.support import say
from municipalities.models import Merger
from runbook.drejebog import template_install

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
    ("events", "audit.Event"),
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
    say(stdout, "Demo data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def demo_merger() -> Merger | None:
    """The demo's merger (Tønder Kommune, 550), if seeded."""
    return Merger.objects.filter(code=MERGER_CODE).first()
