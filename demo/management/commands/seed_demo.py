"""``manage.py seed_demo``: load the demo data set (idempotent) and plan it."""
from __future__ import annotations

import inspect

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.seed import demo_merger, seed_counts, seed_demo
from demo.second import baselines_seed
from core.exceptions import ApplicationError


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
        """Plan the demo merger with ``runbook.planning.schedule_apply`` when that exists."""
        from runbook import planning

        schedule_apply = getattr(planning, "schedule_apply", None)
        merger = demo_merger()
        if schedule_apply is None or merger is None:
            return
        params = inspect.signature(schedule_apply).parameters
        try:
            with transaction.atomic():
                if "merger" in params:
                    schedule_apply(merger=merger)
                elif "merger_id" in params:
                    schedule_apply(merger_id=merger.pk)
                else:
                    schedule_apply(merger)
        except ApplicationError as exc:  # the data is in; the plan can be recomputed later
            self.stderr.write(f"  schedule not applied: {exc.message}")
            return
        self.stdout.write("  schedule applied")
