"""``manage.py bench_mix [--seconds N]`` (``make bench``): a bounded, production-like load run.

What runs (all on loopback, all started and stopped by this command):

- a fresh PostgreSQL database (``mergeplan_bench_<random>``, created through ``--pg-admin-url`` and dropped
  at the end, also after a failure), migrated, with the demo seeded (``seed_demo``: the Tønder merger, 183
  steps) and its plan computed;
- gunicorn with production's ``gunicorn.conf.py`` (sync workers, ``WEB_CONCURRENCY`` of them, 3 unless
  ``--workers``; access log, worker recycling), DEBUG off, persistent database connections;
- a Celery worker with embedded beat that does the replans the status changes ask for: Redis when
  ``--redis-url`` is given (a database of its own, e.g. ``redis://127.0.0.1:6379/13``), otherwise kombu's
  filesystem broker in a temporary folder.

The driver: ``--clients`` threads (4), each a person with a session of its own (logged in through the
login form: GET for the CSRF cookie and token, POST the form) and the merger's IT chief's API token, for
``--seconds`` (30; ``BENCH_SECONDS``), each request chosen at random by weight:

- ``dashboard`` — ``/m/<merger>/`` (session), 25 %;
- ``timeline`` — ``/m/<merger>/timeline/`` (session), 20 %;
- ``milestones API`` — ``/api/v1/milestones/?merger=<id>&page_size=100`` (Bearer token), 40 %;
- ``status change`` — ``GET /api/v1/steps/<id>/`` for its ETag, then ``POST …/transition/`` with
  ``If-Match`` (Bearer token), 15 %. Each client owns its own steps (no two clients write one step) and
  moves them between *not started* and *in progress* (both ways allowed by the state machine, no reason
  needed). A 412 means the step changed between the read and the write — the replan the previous change
  asked for moved its dates: the client reads again and retries (as a real client does; counted as
  ``retried``, at most 3 times, then an error).

Prints requests, throughput, p50/p99 per kind, retries and errors. An error is any other answer than the
expected one (200 for pages and reads, 200 for a transition), or a network failure. Exits 1 when there was
an error. Nothing else may run on the chosen ports; the machine is shared, so compare figures of one run.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

HOST = "127.0.0.1"
PASSWORD = "mergeplan-demo"
#: (kind, weight)
MIX = [("dashboard", 25), ("timeline", 20), ("milestones API", 40), ("status change", 15)]
#: demo people who browse (each client thread logs in as one of them, round robin)
PEOPLE = ["bent", "koord-toender", "laeser", "kmd-raadgiver"]
API_USER = "bent"  # the IT chief: his token reads the milestones and changes statuses


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    retried: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


class Client:
    """One person: a keep-alive connection, a cookie jar (session, CSRF) and the API token."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                api: bool = False) -> tuple[int, dict, bytes]:
        headers = dict(headers or {})
        if api:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn recycles a worker (max_requests) or closes an idle keep-alive: reconnect once
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        got = {k.lower(): v for k, v in response.getheaders()}
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, got, data

    def login(self, username: str) -> None:
        status, _, page = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match or "csrftoken" not in self.cookies:
            raise CommandError(f"login page: {status}, no CSRF token")
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                       "csrfmiddlewaretoken": match.group(1).decode(), "next": "/"})
        status, headers, _ = self.request("POST", "/login/", body=form.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{HOST}:{self.port}/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise CommandError(f"login of {username} failed: {status}")


class Command(BaseCommand):
    help = "A bounded, production-like load run (gunicorn, PostgreSQL, a Celery worker): pages, API, status changes."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 30)))
        parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 4)))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3)),
                            help="gunicorn sync workers (gunicorn.conf.py: WEB_CONCURRENCY, 3)")
        parser.add_argument("--pg-admin-url", default=os.environ.get(
            "BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            help="a PostgreSQL role that may create and drop databases")
        parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""),
                            help="broker for the worker (a Redis database of its own); default: filesystem")
        parser.add_argument("--seed", type=int, default=20061)

    def handle(self, *args, seconds, clients, workers, pg_admin_url, redis_url, seed, **options):
        if not 1 <= seconds <= 600:
            raise CommandError("--seconds: 1 to 600.")
        self.rng = random.Random(seed)
        self.tmp = Path(tempfile.mkdtemp(prefix="mergeplan-bench-"))
        admin = urllib.parse.urlsplit(pg_admin_url)
        self.dbname = f"mergeplan_bench_{secrets.token_hex(4)}"
        self.db_url = urllib.parse.urlunsplit(admin._replace(path=f"/{self.dbname}"))
        self.procs: list[subprocess.Popen] = []
        self.pg_admin_url = pg_admin_url
        self._sql(f'CREATE DATABASE "{self.dbname}"')
        try:
            port = _free_port()
            self.env = self._env(port, redis_url)
            self._setup()
            self._start(port, workers)
            stats = self._drive(port, clients, seconds)
        finally:
            self._stop()
            self._sql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            shutil.rmtree(self.tmp, ignore_errors=True)
        self._report(stats, seconds=seconds, clients=clients, workers=workers, redis=bool(redis_url))
        if stats.errors:
            raise CommandError(f"{len(stats.errors)} errors (must be 0).")

    # --- the stack ------------------------------------------------------------------------------------

    def _sql(self, statement: str) -> None:
        conn = psycopg2.connect(self.pg_admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def _env(self, port: int, redis_url: str) -> dict:
        env = dict(os.environ)
        for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"):
            env.pop(name, None)
        env.update({
            "DJANGO_SETTINGS_MODULE": "mergeplan.settings", "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40), "DATABASE_URL": self.db_url, "CONN_MAX_AGE": "60",
            "MERGEPLAN_VAR_DIR": str(self.tmp / "var"), "MERGEPLAN_TODAY": env.get("MERGEPLAN_TODAY", "2006-03-15"),
            # plain http on loopback (production sits behind a TLS proxy that sets X-Forwarded-Proto)
            "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
            "API_TOKEN_THROTTLE_RATE": "100000000/min",  # the throttle runs, never bites
            "PORT": str(port), "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", "3"), "LOG_LEVEL": "WARNING",
        })
        if redis_url:
            env["REDIS_URL"] = env["CELERY_BROKER_URL"] = redis_url
        return env

    def _manage(self, *args: str, eager: bool = False) -> str:
        env = dict(self.env, CELERY_TASK_ALWAYS_EAGER="1" if eager else "0")
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def _setup(self) -> None:
        t0 = time.monotonic()
        self._manage("migrate", "--noinput", "-v", "0")
        self._manage("seed_demo", eager=True)  # the plan is computed before the run
        self.token = self._manage("create_api_token", API_USER, "--name", "bench_mix", "--expires", "1").strip()
        self.stderr.write(f"database {self.dbname}: migrated and seeded in {time.monotonic() - t0:.0f} s")

    def _start(self, port: int, workers: int) -> None:
        log = open(self.tmp / "gunicorn.log", "w")  # noqa: SIM115 (closed with the process)
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mergeplan.wsgi",
             "--bind", f"{HOST}:{port}", "--workers", str(workers)],
            cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        worker_log = open(self.tmp / "celery.log", "w")  # noqa: SIM115
        celery = str(Path(sys.executable).with_name("celery"))
        self.procs.append(subprocess.Popen(
            [celery, "-A", "mergeplan", "worker", "--beat", "--concurrency", "1", "--loglevel", "WARNING",
             "--schedule", str(self.tmp / "beat-schedule")],
            cwd=settings.BASE_DIR, env=self.env, stdout=worker_log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.procs[0].poll() is not None:
                raise CommandError(f"gunicorn stopped:\n{(self.tmp / 'gunicorn.log').read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=2)
                conn.request("GET", "/api/v1/ping/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 30 s.")

    def _stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.server_log = (self.tmp / "gunicorn.log").read_text() if (self.tmp / "gunicorn.log").exists() else ""

    # --- the load -------------------------------------------------------------------------------------

    def _drive(self, port: int, clients: int, seconds: float) -> Stats:
        probe = Client(port, self.token)
        status, _, body = probe.request("GET", "/api/v1/mergers/", api=True)
        mergers = [m["id"] for m in json.loads(body)["results"]] if status == 200 else []
        if not mergers:
            raise CommandError(f"no merger visible to {API_USER}'s token ({status}).")
        merger = mergers[0]
        steps = []
        page = f"/api/v1/steps/?merger={merger}&kind=task&status=not_started&status=in_progress&page_size=500"
        status, _, body = probe.request("GET", page, api=True)
        steps = [s["id"] for s in json.loads(body)["results"]] if status == 200 else []
        if len(steps) < clients:
            raise CommandError(f"too few open steps ({len(steps)}) for {clients} clients.")
        self.rng.shuffle(steps)
        people = [Client(port, self.token) for _ in range(clients)]
        for i, person in enumerate(people):
            person.login(PEOPLE[i % len(PEOPLE)])
        stats = Stats()
        kinds, weights = zip(*MIX, strict=True)
        stop_at = time.monotonic() + seconds
        self.stderr.write(f"driving {clients} clients for {seconds:g} s against merger {merger} …")

        def run(i: int, person: Client) -> None:
            rng = random.Random(self.rng.random())
            own = steps[i::clients]
            pages = {"dashboard": f"/m/{merger}/", "timeline": f"/m/{merger}/timeline/"}
            while time.monotonic() < stop_at:
                kind = rng.choices(kinds, weights)[0]
                try:
                    if kind in pages:
                        t = time.perf_counter()
                        status, _, _ = person.request("GET", pages[kind])
                        stats.add(kind, time.perf_counter() - t)
                        if status != 200:
                            stats.error(f"{kind}: {status}")
                    elif kind == "milestones API":
                        t = time.perf_counter()
                        status, _, _ = person.request(
                            "GET", f"/api/v1/milestones/?merger={merger}&page_size=100", api=True)
                        stats.add(kind, time.perf_counter() - t)
                        if status != 200:
                            stats.error(f"{kind}: {status}")
                    else:
                        self._status_change(person, rng.choice(own), stats)
                except (OSError, http.client.HTTPException) as exc:
                    stats.error(f"{kind}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=run, args=(i, p), daemon=True) for i, p in enumerate(people)]
        self.started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)
        self.elapsed = time.monotonic() - self.started
        return stats

    def _status_change(self, person: Client, step: int, stats: Stats) -> None:
        url = f"/api/v1/steps/{step}/"
        for attempt in range(4):
            t = time.perf_counter()
            status, headers, body = person.request("GET", url, api=True)
            stats.add("step GET (ETag)", time.perf_counter() - t)
            if status != 200:
                stats.error(f"step GET: {status}")
                return
            current = json.loads(body)["status"]
            target = "in_progress" if current == "not_started" else "not_started"
            payload = json.dumps({"status": target}).encode()
            t = time.perf_counter()
            status, _, answer = person.request("POST", f"{url}transition/", body=payload, api=True, headers={
                "Content-Type": "application/json", "If-Match": headers.get("etag", "")})
            stats.add("status change", time.perf_counter() - t)
            if status == 200:
                return
            if status == 412 and attempt < 3:
                with stats.lock:
                    stats.retried += 1
                continue
            stats.error(f"status change: {status} {answer[:200]!r}")
            return

    # --- the report -----------------------------------------------------------------------------------

    def _report(self, stats: Stats, *, seconds: float, clients: int, workers: int, redis: bool) -> None:
        total = sum(len(v) for v in stats.latencies.values())
        elapsed = getattr(self, "elapsed", seconds)
        w = self.stdout.write
        w(f"bench_mix: {elapsed:.1f} s, {clients} clients; gunicorn {workers} sync workers (gunicorn.conf.py); "
          f"PostgreSQL; Celery worker on {'Redis' if redis else 'the filesystem broker'}; "
          f"load average {os.getloadavg()[0]:.1f}")
        w(f"{'kind':<18}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
        order = ["dashboard", "timeline", "milestones API", "step GET (ETag)", "status change"]
        for kind in order:
            values = stats.latencies.get(kind, [])
            if values:
                w(f"{kind:<18}{len(values):>9}{len(values) / elapsed:>9.1f}{_pct(values, 50):>9.1f}"
                  f"{_pct(values, 99):>9.1f}")
        every = [x for v in stats.latencies.values() for x in v]
        if every:
            w(f"{'all':<18}{total:>9}{total / elapsed:>9.1f}{_pct(every, 50):>9.1f}{_pct(every, 99):>9.1f}")
        w(f"412 retried (a replan moved the step between read and write): {stats.retried}")
        w(f"errors: {len(stats.errors)}")
        for text in sorted(set(stats.errors))[:10]:
            w(f"  {text}")
        if "Traceback" in getattr(self, "server_log", ""):
            w("the server logged tracebacks:")
            w(self.server_log[self.server_log.index("Traceback"):][:3000])
