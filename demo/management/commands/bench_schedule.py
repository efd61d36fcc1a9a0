"""``manage.py bench_schedule``: how fast the schedule is, for the whole country and for one merger.

Prints, first without the database (the engine alone, on problems built in memory by
``engine.bench.reform_problem``):

- the REAL reform: the 65 mergers of the 2007 map with their real member counts (``demo.reform``;
  steps and durations generated in the drejebog's shape), every dispensation granted (rolling);
- a ×3 scale-up of it (three copies of the reform: SYNTHETIC, for benchmarks only);
- one merger (Tønder Kommune's six members).

Then, on the synthetic data of ``generate_reform`` in the database (generated first when missing, or
regenerated with ``--mergers N`` for a small run in CI):

- engine time (the pure ``engine.schedule``) for that country and for one merger alone,
  the median of several runs;
- the queries and wall time of loading the graph and of ``schedule_apply`` for one merger (which covers its
  vendor-sharing component) and of ``schedule_apply_all``, both on a first run (everything written) and
  on a second run (nothing changed);
- peak Python memory (tracemalloc) of the country's engine run and of ``schedule_apply_all``.

Figures only: nothing is asserted about time. Targets: the country's engine run under 1 s, one merger
under 20 ms.
"""
from __future__ import annotations

import datetime as dt
import statistics
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import engine as eng
from demo.reform import reform_map
from engine.bench import reform_problem
from municipalities.models import Merger
from runbook.models import Step
from runbook.planning import graph_load, recompute_deferred, schedule_apply, schedule_apply_all

from .generate_reform import generate, synthetic_delete


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class Command(BaseCommand):
    help = "Benchmark the scheduler: the real reform in memory (×1, ×3 synthetic, one merger), then the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mergers", type=int, default=None,
                            help="regenerate the database part with N synthetic mergers first")
        parser.add_argument("--runs", type=int, default=5, help="runs of the country's engine (median)")
        parser.add_argument("--seed", type=int, default=2007)
        parser.add_argument("--today", default="2006-03-15", help="the status date (the demo's planning date)")

    def handle(self, *args, **opts) -> None:
        if opts["mergers"] is not None or not Merger.objects.filter(is_synthetic=True).exists():
            n = opts["mergers"] or 65
            self.stdout.write(f"generating {n} synthetic mergers …")
            with recompute_deferred():
                synthetic_delete()
                with transaction.atomic():
                    generate(mergers=n, areas=64, seed=opts["seed"])
        out = self.stdout.write
        self._engine_on_the_real_map(max(1, opts["runs"]))
        on = dt.date.fromisoformat(opts["today"])
        steps = Step.objects.count()
        mergers = Merger.objects.filter(runbook__isnull=False).count()
        out(f"database (synthetic, generate_reform): {mergers} mergers, {steps} steps; status date {on}")

        # --- the pure engine
        t0 = time.perf_counter()
        graph = graph_load(None, status_date=on)
        t_load_all = time.perf_counter() - t0
        problem = graph.problem
        out(f"load all: {t_load_all * 1000:.0f} ms ({len(problem.steps)} steps, "
            f"{len(problem.dependencies)} dependencies)")
        runs = max(1, opts["runs"])
        country = _median(lambda: eng.schedule(problem, eng.Scenario.ACTUAL), runs)
        out(f"engine, whole country (ACTUAL, median of {runs}): {country * 1000:.0f} ms")
        compare = _median(lambda: eng.compare_scenarios(problem), max(1, runs // 2))
        out(f"engine, whole country, big bang + rolling: {compare * 1000:.0f} ms")
        one_id = (
            Merger.objects.filter(runbook__isnull=False, is_synthetic=True).order_by("pk").values_list("pk", flat=True).first()
            or graph.merger_ids[0]
        )
        sub = graph.sub_problem(one_id)
        one = _median(lambda: eng.schedule(sub, eng.Scenario.ACTUAL), max(20, runs))
        out(f"engine, one merger ({len(sub.steps)} steps, median of {max(20, runs)}): {one * 1000:.1f} ms")

        tracemalloc.start()
        eng.schedule(problem, eng.Scenario.ACTUAL)
        _cur, peak_engine = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out(f"peak memory, country engine run: {peak_engine / 2**20:.1f} MiB")

        # --- the service, with the database
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            graph_load(one_id, status_date=on)
            t = time.perf_counter() - t0
        out(f"graph_load(one merger): {len(q)} queries, {t * 1000:.0f} ms")

        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            result = schedule_apply_all(status_date=on)
            t = time.perf_counter() - t0
        out(f"schedule_apply_all, run 1: {len(q)} queries, {t:.2f} s, {result.steps_changed} steps written, "
            f"{result.events} events, {result.findings} findings, engine+comparisons {result.seconds_engine:.2f} s")
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            result = schedule_apply_all(status_date=on)
            t = time.perf_counter() - t0
        out(f"schedule_apply_all, run 2 (nothing changed): {len(q)} queries, {t:.2f} s, "
            f"{result.steps_changed} steps written")
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            result = schedule_apply(one_id, status_date=on)
            t = time.perf_counter() - t0
        out(f"schedule_apply(one merger → component of {len(result.merger_ids)}): {len(q)} queries, {t:.2f} s, "
            f"{result.steps_changed} steps written")
        tracemalloc.start()
        schedule_apply_all(status_date=on)
        _cur, peak_apply = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out(f"peak memory, schedule_apply_all (traced, unchanged data): {peak_apply / 2**20:.1f} MiB")
        verdict = "OK" if country < 1.0 and one < 0.020 else "MISSED"
        out(f"targets (country < 1 s, one merger < 20 ms): {verdict}")

    def _engine_on_the_real_map(self, runs: int) -> None:
        """The engine alone on the real reform, three copies of it (synthetic) and one merger."""
        out = self.stdout.write
        rmap = reform_map()
        counts = rmap.member_counts()
        cases = [
            ("real reform (65 mergers, real member counts; rolling, all granted)", reform_problem(counts), runs),
            ("reform x3 (SYNTHETIC scale-up, benchmark only)", reform_problem(counts, copies=3), runs),
            (f"one merger ({rmap.merger('550').merger_name}, {len(rmap.merger('550').members)} members)",
             reform_problem([len(rmap.merger("550").members)]), max(20, runs)),
        ]
        for label, problem, n in cases:
            t0 = time.perf_counter()
            sched = eng.schedule(problem, eng.Scenario.ACTUAL)
            first = time.perf_counter() - t0
            median = _median(lambda p=problem: eng.schedule(p, eng.Scenario.ACTUAL), n)
            go_lives = sum(1 for r in sched.steps.values() if r.go_live)
            n_mergers = len(problem.mergers)
            out(f"engine, {label}: {n_mergers} merger{'s' if n_mergers != 1 else ''}, {len(problem.steps):,} steps, "
                f"{len(problem.dependencies):,} dependencies; median of {n}: {median * 1000:.1f} ms "
                f"(first {first * 1000:.1f} ms); {go_lives} go-lives, {len(sched.findings)} findings")
