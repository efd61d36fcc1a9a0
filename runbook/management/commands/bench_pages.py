"""``manage.py bench_pages [--user kmd-raadgiver] [--runs 15]``: server time of the advisor's pages.

Logs in as ``--user`` (the demo's KMD advisor, who serves every merger after ``load_reform``) and serves
each page in-process through Django's full handler (middleware, session, templates — no network, no
client), ``--runs`` times after one warm-up: the home page (and its second page), review (and the first
page of every merger by risk), vendor load (and one week's drill-down), my steps (and page 40 of all its
steps), against two trivial pages in the same run. Prints
median and max milliseconds, the size of the answer, the number of queries and each median against the
trivial page. Run it on the database the figures are for, e.g.::

    createdb -h 127.0.0.1 -U postgres mergeplan_pages
    export DJANGO_DEBUG=1 MERGEPLAN_TODAY=2006-03-15 DATABASE_URL=postgres://postgres@127.0.0.1:5432/mergeplan_pages
    python manage.py migrate && python manage.py seed_demo && python manage.py load_reform --dispensation granted
    python manage.py bench_pages --analyze

``--analyze`` refreshes PostgreSQL's planner statistics first (this machine runs without autovacuum, so a
freshly loaded reform has none; production's autovacuum analyzes after a load). Two references from the
same run: ``/healthz`` (answered by a middleware before sessions) and the tokens page (a signed-in page
with session, user and one query of its own). The machines are shared and noisy: compare within one run.
No test asserts a time.
"""
from __future__ import annotations

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from municipalities.models import Merger
from municipalities.permissions import accesses_for
from runbook.models import Step, StepKind

#: the target of issue 10: every page under this server time with the whole reform loaded
TARGET_MS = 300


class Command(BaseCommand):
    help = "Time the advisor's pages (home, review, vendor load, my steps) in-process against a trivial page."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", default="kmd-raadgiver", help="the user to log in as")
        parser.add_argument("--runs", type=int, default=15, help="requests per page after one warm-up")
        parser.add_argument("--merger", default="",
                            help="a merger's code: time that merger's pages (the walk: dashboard, timeline at "
                                 "each zoom, runbook, a step, baselines and their comparison, systems, report, "
                                 "exports) instead of the cross-merger pages; log in as its IT chief (--user bent)")
        parser.add_argument("--analyze", action="store_true",
                            help="PostgreSQL: ANALYZE the database first (after a bulk load with autovacuum off "
                                 "the planner has no statistics and picks hash joins over whole tables)")

    def _statistics(self, analyze: bool) -> None:
        """On PostgreSQL: refresh the planner's statistics when asked, else warn when the steps never had any."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            if analyze:
                cursor.execute("ANALYZE")
                self.stdout.write("ANALYZE done")
                return
            cursor.execute("SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
                           "WHERE relname = 'runbook_step'")
            row = cursor.fetchone()
        if row is None or row[0] is None:
            self.stdout.write(self.style.WARNING(
                "runbook_step was never analyzed: the figures are those of a planner without statistics "
                "(add --analyze)"))

    def _pages(self, user) -> list[tuple[str, str]]:
        merger_ids = list(accesses_for(user))
        week = (Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor__code="kmd", go_live__isnull=False,
                                    runbook__merger_id__in=merger_ids).order_by("go_live").values_list("go_live", flat=True)
                .first())
        pages = [
            ("trivial (/healthz)", "/healthz"),
            ("signed-in trivial (tokens)", reverse("settings-tokens")),
            ("home", reverse("home")),
            ("home, page 2", reverse("home") + "?page=2"),
            ("review", reverse("review")),
            ("review, every merger p. 1", reverse("review-mergers")),
            ("vendor load", reverse("vendor-load") + "?vendor=kmd"),
            ("my steps", reverse("my-steps")),
            ("my steps, all, page 40", reverse("my-steps") + "?status=all&page=40"),
        ]
        if week is not None:
            iso = week.isocalendar()
            after = [label for label, _ in pages].index("vendor load") + 1
            pages.insert(after, ("vendor load, one week",
                                 reverse("vendor-load") + f"?vendor=kmd&week={iso[0]}-W{iso[1]:02d}"))
        return pages

    def _merger_pages(self, code: str) -> list[tuple[str, str]]:
        merger = Merger.objects.filter(code=code).first()
        if merger is None:
            raise CommandError(f"no merger with the code {code!r}")
        m = merger.pk
        step = (Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER).order_by("sequence")
                .values_list("pk", flat=True).first())
        pages = [
            ("trivial (/healthz)", "/healthz"),
            ("signed-in trivial (tokens)", reverse("settings-tokens")),
            ("dashboard", reverse("merger-dashboard", args=[m])),
            ("timeline (month)", reverse("merger-timeline", args=[m])),
            ("timeline (week)", reverse("merger-timeline", args=[m]) + "?zoom=week"),
            ("timeline (quarter)", reverse("merger-timeline", args=[m]) + "?zoom=quarter"),
            ("runbook", reverse("merger-runbook", args=[m])),
            ("baselines", reverse("merger-baselines", args=[m])),
            ("baseline comparison", reverse("merger-baseline-comparison", args=[m])),
            ("systems", reverse("merger-systems", args=[m])),
            ("status report", reverse("merger-report", args=[m])),
            ("runbook export (csv)", reverse("merger-runbook-export", args=[m, "csv"])),
            ("runbook export (xlsx)", reverse("merger-runbook-export", args=[m, "xlsx"])),
            ("review", reverse("review")),
            ("my steps", reverse("my-steps")),
        ]
        if step is not None:
            pages.insert(7, ("step (a cutover)", reverse("step-detail", args=[m, step])))
            pages.insert(8, ("step, change the plan", reverse("step-plan-edit", args=[m, step])))
        return pages

    def handle(self, *args, **options) -> None:
        runs = max(1, options["runs"])
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}: run seed_demo (and load_reform) first")
        self._statistics(options["analyze"])
        mergers = len(accesses_for(user))
        every = Merger.objects.count()
        if mergers < every and not options["merger"]:
            self.stdout.write(self.style.WARNING(f"{options['user']} serves {mergers} of the {every} mergers, "
                                                 "not the whole country"))
        self.stdout.write(f"{connection.vendor}, {options['user']} serves {mergers} of {every} mergers, "
                          f"{Step.objects.count()} steps in the database; {runs} runs a page")
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=True, SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(user)
            rows = []
            pages = self._merger_pages(options["merger"]) if options["merger"] else self._pages(user)
            for label, url in pages:
                response = client.get(url)  # warm-up: caches, first connection
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
                times = []
                queries = 0
                for _ in range(runs):
                    reset_queries()
                    t = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                    queries = len(connection.queries)
                rows.append((label, statistics.median(times), max(times), len(response.content), queries))
        base = rows[0][1] or 1e-9
        self.stdout.write(f"{'page':<26} {'median ms':>10} {'max ms':>8} {'KB':>7} {'queries':>8} {'× trivial':>10}")
        slow = []
        for label, med, worst, size, queries in rows:
            self.stdout.write(f"{label:<26} {med:>10.1f} {worst:>8.1f} {size / 1024:>7.1f} {queries:>8} {med / base:>10.1f}")
            if med > TARGET_MS:
                slow.append(label)
        if slow:
            self.stdout.write(self.style.WARNING(f"over {TARGET_MS} ms (median): {', '.join(slow)}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"every page under {TARGET_MS} ms (median)"))
