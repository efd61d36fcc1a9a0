"""``manage.py seed_demo``: load the demo data set (idempotent) and plan it."""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from core.exceptions import ApplicationError
from demo.second import baselines_seed
from demo.seed import demo_merger, seed_counts, seed_demo
from runbook.planning.apply import schedule_apply


class Command(BaseCommand):
    help = ("Load the demo data (six municipalities → Tønder Kommune, and Aabenraa Kommune from the reform; 2006). "
            "Safe to run twice.")

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            seed_demo(stdout=None)
        self._schedule()
        with transaction.atomic():  # the plan as scheduled at the demo's start, once
            baselines_seed(stdout=self.stdout)
        counts = seed_counts()
        width = max(len(k) for k in counts)
        for label, count in counts.items():
            self.stdout.write(f"  {label:<{width}}  {count}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _schedule(self) -> None:
        """Plan the demo merger (and every merger it shares a capacity-bound vendor with)."""
        try:
            with transaction.atomic():
                schedule_apply(demo_merger())
        except ApplicationError as exc:  # the data is in; the plan can be recomputed later
            self.stderr.write(f"  schedule not applied: {exc.message}")
            return
        self.stdout.write("  schedule applied")
