"""The fault tests' own stack: a private redis-server on a free port (never the shared one on 6379) and
Celery worker/beat subprocesses on the test database, each started and stopped (or SIGKILLed) by the test.

Reuses the integration test's helpers (the worker's database URL, resetting this process's producers).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from mergeplan.celery import app
from tests.worker import BASE_DIR, _reset_producers
from tests.worker import database_url as _database_url

FIRST_PORT = 6390


def _free_port() -> int:
    for port in range(FIRST_PORT, FIRST_PORT + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a private redis-server")


def _stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a process group this test started (only that one)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


class RedisServer:
    """A private, disposable redis-server; stop() and start() again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server is not installed")
        self.port = _free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.folder / f"redis-{self.port}.log").open("a")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the private redis-server on {self.port} did not start")

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None


class Stack:
    """Workers and a beat on one private Redis, for one test."""

    def __init__(self, folder: Path, redis: RedisServer) -> None:
        self.folder = folder
        self.redis = redis
        # the default queue: the Redis is private, and tasks the worker itself sends (the sweep's) go there
        self.queue = "celery"
        self.tag = uuid.uuid4().hex[:8]
        self.procs: list[subprocess.Popen] = []
        self.mail_dir = folder / "mail"
        self._keys = ("task_always_eager", "task_default_queue", "broker_url", "broker_transport_options")
        self._saved = {k: app.conf.changes[k] for k in self._keys if k in app.conf.changes}  # restored exactly

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MERGEPLAN_TODAY": "2006-03-15",
            "MERGEPLAN_VAR_DIR": str(self.folder),
            "EMAIL_BACKEND": "tests.fault.mailbox.EmailBackend",
            "FAULT_MAIL_DIR": str(self.mail_dir),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        env.update(extra)
        return env

    def use_from_this_process(self) -> None:
        """Send this process's tasks to the private Redis and queue (as the web processes would)."""
        app.conf.update(task_always_eager=False, task_default_queue=self.queue, broker_url=self.redis.url,
                        broker_transport_options={"visibility_timeout": 300})
        _reset_producers()

    def restore(self) -> None:
        for proc in self.procs:
            _stop(proc)
        for key in self._keys:
            app.conf.changes.pop(key, None)
        app.conf.update(self._saved)
        _reset_producers()

    def _spawn(self, args: list[str], name: str, env: dict[str, str], module: str | None = None):
        log_path = self.folder / f"{name}.log"
        log = log_path.open("w")
        command = [sys.executable, "-m", module] if module else [str(Path(sys.executable).with_name("celery"))]
        proc = subprocess.Popen(command + ["-A", "mergeplan", *args], cwd=BASE_DIR, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        proc.log_path = log_path  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def worker(self, name: str, *, slow_apply: float = 0, **env: str) -> subprocess.Popen:
        """A solo worker on the private queue (``slow_apply``: its schedule runs wait that long before
        writing, after touching ``<folder>/<name>.in-replan``)."""
        module = None
        if slow_apply:
            module = "tests.fault.slow_celery"
            env = {**env, "FAULT_SLOW_APPLY": str(slow_apply),
                   "FAULT_MARKER": str(self.folder / f"{name}.in-replan")}
        return self._spawn(
            ["worker", "--pool=solo", "-Q", self.queue, "--loglevel=INFO", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"{name}-{self.tag}@%h"],
            name, self.env(**env), module,
        )

    def beat(self) -> subprocess.Popen:
        """Exactly one beat (django-celery-beat's database scheduler), sending to the private queue."""
        return self._spawn(["beat", "--loglevel=INFO", "-s", str(self.folder / "beat-schedule")], "beat",
                           self.env())

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        _stop(proc, signal.SIGKILL)

    @staticmethod
    def log(proc: subprocess.Popen) -> str:
        return Path(proc.log_path).read_text(errors="replace")  # type: ignore[attr-defined]

    def mails(self) -> list[str]:
        if not self.mail_dir.exists():
            return []
        return [p.read_text(errors="replace") for p in sorted(self.mail_dir.glob("*.eml"))]


def wait_for(predicate, seconds: float, what: str, *procs: subprocess.Popen) -> float:
    """Poll ``predicate`` until true; the seconds it took. Fails with the processes' logs."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.25)
    logs = "\n".join(f"--- {p.args[-1]}:\n{Stack.log(p)[-3000:]}" for p in procs)
    pytest.fail(f"{what} within {seconds} s\n{logs}")
