"""``manage.py bench_api [--requests N] [--concurrency C]``: how fast is the milestones list?

Serves the app with gunicorn (sync workers, 2 by default, persistent DB connections) on 127.0.0.1 at a
free port, and loads two endpoints of the same server in one run with a bounded in-process load generator
(threads + http.client; a fixed number of requests, a time cap, stops by itself):

- ``/api/v1/milestones/?page_size=100`` as a token client (a read-only token of a viewer of every merger),
- ``/api/v1/ping/`` — a trivial JSON view, the baseline,
- ``/bench/plain-list/?page_size=100`` — a plain DRF ListAPIView of 100 rows served only by the benchmark
  (``runbook/management/bench_wsgi.py``), the reference the milestones list is held to.

- ``/api/v1/steps/?page_size=100``, the other hot list,
- the same two lists and the merger's iCal feed with ``If-None-Match`` (the ETag of a first GET): the
  304 a polling client gets from the cheap version stamp (``runbook/api/list_etags.py``).

Prints requests/s, p50 and p99 for each and the ratios milestones/trivial, plain-list/trivial,
milestones/plain-list (target ≥ 100 %) and each 304 against the trivial view (target ≥ 30 %). wrk is used when it is on PATH (``--engine``). The machines are shared and
noisy: compare the ratio of one run, not absolute figures. Loopback only.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from municipalities.models import Membership, Merger, Role
from municipalities.tokens import api_token_create, api_token_revoke
from runbook.models import Step, StepKind

HOST = "127.0.0.1"
BENCH_USER = "bench-api"
MILESTONES = "/api/v1/milestones/?page_size=100"
TRIVIAL = "/api/v1/ping/"
REFERENCE = "/bench/plain-list/?page_size=100"
STEPS = "/api/v1/steps/?page_size=100"
#: polling clients: the same GET with ``If-None-Match`` (the ETag of a first GET) → 304 from the stamp
NOT_MODIFIED = {"milestones 304": MILESTONES, "steps 304": STEPS, "ical 304": "/api/v1/mergers/{merger}/milestones.ics"}


@dataclass
class Result:
    path: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def load(port: int, path: str, *, requests: int, concurrency: int, headers: dict, max_seconds: float) -> Result:
    """Send ``requests`` GETs to ``path`` from ``concurrency`` threads (keep-alive where the server allows),
    stopping early after ``max_seconds``. Returns throughput and latencies."""
    lock = threading.Lock()
    remaining = [requests]
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        while True:
            with lock:
                if remaining[0] <= 0 or time.monotonic() > deadline:
                    break
                remaining[0] -= 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status in (200, 304)
                if response.getheader("Connection", "").lower() == "close" or response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            elapsed = time.perf_counter() - t0
            if ok:
                mine.append(elapsed)
            else:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max_seconds + 60)
    seconds = time.perf_counter() - t0
    return Result(path=path, requests=len(latencies), errors=errors[0], seconds=seconds, latencies=latencies)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def load_wrk(port: int, path: str, *, seconds: int, concurrency: int, headers: dict) -> dict:
    """One wrk run (2 threads, ``concurrency`` connections, ``seconds`` long): req/s, p50, p99 in ms."""
    cmd = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, f"http://{HOST}:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60,
                         check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


class Command(BaseCommand):
    help = "Benchmark /api/v1/milestones/ (100 rows, token client) against a trivial view of the same server."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint and round")
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
        parser.add_argument("--rounds", type=int, default=2, help="alternate the two endpoints this often")
        parser.add_argument("--max-seconds", type=float, default=60.0, help="time cap per endpoint and round")
        parser.add_argument(
            "--engine", choices=["auto", "python", "wrk"], default="auto",
            help="load generator: wrk when on PATH (auto), else threads + http.client",
        )
        parser.add_argument("--wrk-seconds", type=int, default=10, help="length of one wrk run")

    def handle(self, *args, requests: int, concurrency: int, workers: int, rounds: int, max_seconds: float,
               engine: str, wrk_seconds: int, **options):
        if requests < 1 or concurrency < 1 or rounds < 1:
            raise CommandError("--requests, --concurrency and --rounds must be at least 1.")
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_data()
        self._vacuum()
        token, raw = self._token()
        port = _free_port()
        server = self._serve(port, workers)
        try:
            self._wait_ready(port, server)
            headers = {"Authorization": f"Bearer {raw}", "Accept": "application/json"}
            # warm up both endpoints (imports, connections, caches)
            for path in (TRIVIAL, REFERENCE, MILESTONES):
                load(port, path, requests=50, concurrency=concurrency, headers=headers, max_seconds=30)
            probe = load(port, MILESTONES, requests=1, concurrency=1, headers=headers, max_seconds=30)
            if probe.errors:
                raise CommandError("The milestones endpoint does not answer 200 (see the server's log).")
            targets = self._targets(port, headers)
            for label, (path, extra) in targets.items():
                if label in NOT_MODIFIED:
                    load(port, path, requests=20, concurrency=concurrency, headers=extra, max_seconds=30)
            if engine == "wrk" or (engine == "auto" and shutil.which("wrk")):
                self._run_wrk(port, targets, rounds=rounds, seconds=wrk_seconds, concurrency=concurrency,
                              workers=workers)
                return
            results: dict[str, list[Result]] = {label: [] for label in targets}
            for _ in range(rounds):
                for label, (path, extra) in targets.items():
                    results[label].append(
                        load(port, path, requests=requests, concurrency=concurrency, headers=extra,
                             max_seconds=max_seconds)
                    )
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            api_token_revoke(token=token, actor=None)
        self._report(results, workers=workers, concurrency=concurrency)

    def _targets(self, port: int, headers: dict) -> dict[str, tuple[str, dict]]:
        """label → (path, headers): the three of every run, then the 304 answers to polling clients (each
        with the ETag its first GET returned)."""
        targets = {path: (path, headers) for path in (TRIVIAL, REFERENCE, MILESTONES, STEPS)}
        merger = Merger.objects.order_by("pk").values_list("pk", flat=True).first()
        for label, path in NOT_MODIFIED.items():
            path = path.format(merger=merger)
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            etag = response.getheader("ETag")
            if response.status != 200 or not etag:
                raise CommandError(f"{path} answered {response.status} without an ETag.")
            targets[label] = (path, {**headers, "If-None-Match": etag})
        return targets

    def _run_wrk(self, port: int, targets: dict, *, rounds: int, seconds: int, concurrency: int,
                 workers: int) -> None:
        runs: dict[str, list[dict]] = {label: [] for label in targets}
        for _ in range(rounds):
            for label, (path, headers) in targets.items():
                runs[label].append(load_wrk(port, path, seconds=seconds, concurrency=concurrency, headers=headers))
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"wrk: {concurrency} connections, {seconds} s per run; gunicorn: {workers} sync workers; database: {engine}"
        )
        for path, results in runs.items():
            rps = statistics.mean(r["rps"] for r in results)
            per_round = ", ".join(f"{r['rps']:.0f}" for r in results)
            self.stdout.write(
                f"{path:40} {rps:8.1f} req/s (rounds: {per_round})"
                f"  p50 {statistics.median(r['p50'] for r in results):6.1f} ms"
                f"  p99 {max(r['p99'] for r in results):6.1f} ms  non-2xx {sum(r['errors'] for r in results)}"
            )
        mean = {path: statistics.mean(r["rps"] for r in results) for path, results in runs.items()}
        self._ratios(mean)

    def _ratios(self, mean: dict[str, float]) -> None:
        trivial = mean[TRIVIAL] or 1.0
        self.stdout.write(f"ratio milestones/trivial:  {mean[MILESTONES] / trivial:.1%}  (target ≥ 12 %)")
        self.stdout.write(f"ratio plain-list/trivial:  {mean[REFERENCE] / trivial:.1%}  (the reference)")
        self.stdout.write(
            f"ratio milestones/plain-list: {mean[MILESTONES] / (mean[REFERENCE] or 1.0):.1%}  (target ≥ 100 %)"
        )
        self.stdout.write(f"ratio steps/plain-list:      {mean[STEPS] / (mean[REFERENCE] or 1.0):.1%}")
        for label in NOT_MODIFIED:
            self.stdout.write(f"ratio {label}/trivial:   {mean[label] / trivial:.1%}  (target ≥ 30 %)")

    # --- helpers ------------------------------------------------------------------------------------

    def _ensure_data(self) -> None:
        kinds = [StepKind.MILESTONE, StepKind.CHECKPOINT, StepKind.CUTOVER]
        if Step.objects.filter(kind__in=kinds).count() >= 100:
            return
        if "generate_reform" not in get_commands():
            raise CommandError("No data: run `manage.py generate_reform` (or seed_demo) first.")
        self.stderr.write("Few milestones in the database: generating a small synthetic data set …")
        call_command("generate_reform", mergers=12, areas=16, replace=True, verbosity=0)

    def _vacuum(self) -> None:
        """Statistics and visibility map as autovacuum keeps them in a database in use (PostgreSQL): fresh
        data would otherwise get bad plans and heap fetches in its index-only scans."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    def _token(self):
        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_active": True})
        have = set(Membership.objects.filter(user=user, role=Role.VIEWER).values_list("merger_id", flat=True))
        Membership.objects.bulk_create(
            [Membership(user=user, merger_id=m, role=Role.VIEWER)
             for m in Merger.objects.exclude(pk__in=have).values_list("pk", flat=True)]
        )
        return api_token_create(user=user, name="bench_api", read_only=True, expires_days=1)

    def _serve(self, port: int, workers: int) -> subprocess.Popen:
        env = dict(os.environ)
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
        env["DJANGO_DEBUG"] = "0"
        env["SECURE_SSL_REDIRECT"] = "0"  # plain http on loopback (production sits behind a TLS proxy)
        env.setdefault("CONN_MAX_AGE", "60")
        env["API_TOKEN_THROTTLE_RATE"] = "100000000/min"  # the throttle runs, but never bites
        env["LOG_LEVEL"] = "WARNING"
        env["DJANGO_SETTINGS_MODULE"] = "mergeplan.settings"
        cmd = [
            sys.executable, "-m", "gunicorn", "runbook.management.bench_wsgi:application",
            "--workers", str(workers), "--worker-class", "sync", "--bind", f"{HOST}:{port}",
            "--log-level", "warning", "--timeout", "60",
            # ./gunicorn.conf.py (production's) applies; the bench turns its access log and recycling off
            "--access-logfile", "/dev/null", "--max-requests", "0",
        ]
        return subprocess.Popen(cmd, cwd=str(Path(settings.BASE_DIR)), env=env)

    def _wait_ready(self, port: int, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("gunicorn stopped (see its log above).")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=2)
                conn.request("GET", TRIVIAL)
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 30 s.")

    def _report(self, results: dict[str, list[Result]], *, workers: int, concurrency: int) -> None:
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"gunicorn: {workers} sync workers; {concurrency} client threads; database: {engine}")
        summary = {}
        for path, runs in results.items():
            latencies = [x for r in runs for x in r.latencies]
            total = Result(path, sum(r.requests for r in runs), sum(r.errors for r in runs),
                           sum(r.seconds for r in runs), latencies)
            summary[path] = total
            per_round = ", ".join(f"{r.rps:.0f}" for r in runs)
            self.stdout.write(
                f"{path:40} {total.rps:8.1f} req/s (rounds: {per_round})  p50 {total.percentile(50):6.1f} ms"
                f"  p99 {total.percentile(99):6.1f} ms  ok {total.requests}  errors {total.errors}"
            )
        self._ratios({path: total.rps for path, total in summary.items()})
        if any(total.errors for total in summary.values()):
            self.stdout.write(self.style.WARNING("Some requests failed; see the server's log."))
