"""``manage.py load_reform``: the 2007 reform's national scenario from its real map (``demo.reform_loader``).

    MERGEPLAN_TODAY=2006-03-15 manage.py load_reform   # the plan starts on the planning clock's date

    manage.py load_reform                        # 65 mergers, 270 old municipalities; then schedule the country
    manage.py load_reform --dispensation granted # every merger it creates (and the others but the demo's) granted
    manage.py load_reform --only 550,510         # a few mergers (tests, demos)
    manage.py load_reform --report               # KMD's go-lives per ISO week from the scheduled steps

Safe to run twice. The demo (``seed_demo``) is reused, not overwritten.
"""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.clock import today
from demo.reform import reform_map
from demo.reform_loader import DISPENSATIONS, reform_load
from demo.reform_report import go_live_report
from demo.support import LEGAL_DATE
from runbook.planning.apply import schedule_apply_all
from runbook.planning.enqueue import recompute_deferred
from systems.models import Vendor


class Command(BaseCommand):
    help = "Load the 2007 reform's real map (65 mergers) with a generated, inferred inventory. Safe to run twice."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--only", default="", help="comma-separated new codes of the mergers to load")
        parser.add_argument("--dispensation", choices=DISPENSATIONS, default=None,
                            help="none (default for new mergers) | applied | granted, from 1 July 2006; when "
                                 "given, also set on existing mergers other than the demo's")
        parser.add_argument("--no-advisor", action="store_true",
                            help="do not make the demo's KMD advisor a member of every merger")
        parser.add_argument("--no-schedule", action="store_true", help="do not schedule the country afterwards")
        parser.add_argument("--report", action="store_true",
                            help="only print KMD's go-lives per ISO week from the scheduled steps")

    def handle(self, *args, **opts) -> None:
        if opts["report"]:
            self._report()
            return
        only = [c for c in opts["only"].split(",") if c.strip()] or None
        rmap = reform_map()
        parsed = rmap.counts()
        self.stdout.write(
            f"map: {parsed['new']} new municipalities from {parsed['old']} old; {parsed['mergers']} mergers of "
            f"{parsed['merger_members']} old municipalities; {parsed['split']} split; "
            f"{parsed['unchanged']} unchanged"
        )
        t0 = time.perf_counter()
        try:
            with recompute_deferred(), transaction.atomic():
                result = reform_load(only=only, dispensation=opts["dispensation"],
                                     advisor=not opts["no_advisor"], stdout=self.stdout)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        loaded = time.perf_counter() - t0
        for label, seconds in result.seconds.items():
            self.stdout.write(f"  {label:<32} {seconds:6.1f} s")
        self.stdout.write(f"loaded {len(result.selected)} mergers in {loaded:.1f} s")
        if not opts["no_schedule"]:
            if today() >= LEGAL_DATE:
                self.stderr.write(f"warning: the planning clock says {today()}, after the legal date: the plan "
                                  "starts then. Set MERGEPLAN_TODAY=2006-03-15 (as `make run`) to plan in 2006.")
            t1 = time.perf_counter()
            applied = schedule_apply_all()
            self.stdout.write(
                f"scheduled {len(applied.merger_ids)} mergers, {applied.steps_changed} steps written, "
                f"{applied.findings} findings in {time.perf_counter() - t1:.1f} s"
            )
        width = max(len(k) for k in result.counts)
        for label, n in result.counts.items():
            self.stdout.write(f"  {label:<{width}}  {n}")
        self.stdout.write(self.style.SUCCESS("Reform data ready (real map; inventories generated, antaget)."))

    def _report(self) -> None:
        try:
            report = go_live_report()
        except Vendor.DoesNotExist as exc:
            raise CommandError("No vendor KMD: run load_reform (or seed_demo) first.") from exc
        out = self.stdout.write
        out(f"{report.vendor}: go-lives per ISO week over {report.mergers} mergers "
            f"({report.granted} with a granted dispensation)")
        out(f"{'week':<10}{'counted':>9}{'capacity':>10}{'national run':>14}")
        for week in sorted(set(report.counted) | set(report.national_run)):
            cap = report.capacity.get(week)
            out(f"{week:<10}{report.counted.get(week, 0):>9}{'-' if cap is None else cap:>10}"
                f"{report.national_run.get(week, 0) or '':>14}")
        week, peak = report.peak
        out(f"peak: {peak} counted go-lives in {week or '-'}")
        out(f"weeks used: {report.weeks_used}")
        out(f"legal-date batch (national run, not counted): {report.national_batch}")
        over = report.over_capacity
        out(f"weeks over capacity: {len(over)}" + (f" ({', '.join(over)})" if over else ""))
