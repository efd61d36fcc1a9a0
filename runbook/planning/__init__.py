"""Planning a merger's runbook: load its graph, run the pure engine, write the schedule back, and replan
after every change without losing or repeating work.

Modules, in import order (each imports only those above it; none imports this package)
    ``fetch``     loads a component's scheduling problem into the engine's dataclasses, and the calendar;
    ``shapes``    the JSON shapes of findings and summaries for the pages and the API;
    ``counters``  the recompute request counters and the locks of schedule runs;
    ``apply``     runs the engine and writes the results (``schedule_apply``, ``schedule_apply_all``);
    ``enqueue``   asks for a replan after commit (``recompute_enqueue``, ``recompute_deferred``);
    ``runs``      what the tasks run (``recompute_run``, ``recompute_all``, ``recompute_sweep``).

Shape
    ``graph_load`` reads everything the engine needs in seven queries whatever the size (``values()`` into
    the engine's frozen dataclasses); ``engine.schedule`` computes; ``schedule_apply`` writes only the
    rows whose results changed, with bulk updates, and records an Event only for a step whose planned
    dates moved. Vendor capacity binds across mergers, so a merger is always scheduled together with every
    merger it shares a capacity-bound vendor with, directly or through others (its *component*); the
    results of the whole component are written, because a change in one merger can move another's
    cutovers to another week.

Burst collapsing (``recompute_enqueue`` → task ``runbook.merger_recompute`` → ``recompute_run``)
    1. Per transaction: code may call ``plan_changed`` many times in one atomic block; only the first call
       per merger bumps the counter and registers an on-commit hook (the hooks already registered on the
       connection are inspected, so a rolled-back savepoint or transaction takes its bump and its
       registration with it and a rolled back change enqueues nothing). This only saves enqueues;
       correctness rests on 2–4.
    2. The outbox: that first call bumps ``ScheduleRequest.requested`` (and ``requested_at``) for the
       merger *inside* the writing transaction (a counter in the database, shared by web processes and
       workers), so the change and the intent to replan commit together or not at all. On commit, the
       hook enqueues the task with a short countdown (``MERGEPLAN_RECOMPUTE_COUNTDOWN`` seconds, default
       2), passing the new counter value. An enqueue that fails (broker down) is logged and swallowed:
       the write has succeeded and the sweep (6) catches up. Outside a transaction (autocommit) the bump
       is its own statement right after the write.
    3. The task reads the counters first. If ``completed`` has already reached the value the task was
       enqueued for, a run that started later has covered the change: the task exits at once. A burst
       of N committed changes within the countdown therefore costs one schedule computation, and the
       other N − 1 tasks are no-ops. A task run twice (redelivered, swept) is therefore harmless.
    4. A run notes every merger's ``requested`` *before* it loads the graph and, after writing, raises
       ``completed`` to those noted values (never lowers it) for every merger of the component. A change
       committed after the note has a higher ``requested`` and its own queued task, which then runs; a
       change committed before the note is visible to the load (the counter is bumped in the change's
       own transaction, so a counter value is visible only with its change). So no change is ever lost,
       and no change is computed twice without need.
    5. Two workers: the write phase serialises the runs of overlapping components (on PostgreSQL with
       transaction-scoped advisory locks per merger, in merger-id order, which writing transactions never
       take; elsewhere by locking the ``ScheduleRequest`` rows) and first checks whether a run has
       written since this run's note and covered at least what this run noted (``completed`` now above
       the noted ``completed`` and at least the noted ``requested``). If one has, it loaded no earlier
       and its results are at least as fresh: this run writes nothing (stale results never overwrite
       fresh ones, and two runs of one request never record the same Events twice). The ``completed``
       rows are locked only at the very end, without waiting (``NOWAIT``, a few short retries): a writing
       transaction that has bumped ``requested`` holds that row, and waiting for it while holding the
       steps it may need would deadlock; the run rolls back instead, and that transaction's own task
       (or the sweep) recomputes.
    6. The sweep (task ``runbook.recompute_sweep``, every minute from beat, and once when a worker
       starts): every merger with ``requested`` > ``completed`` whose last request or re-enqueue is older
       than ``MERGEPLAN_RECOMPUTE_SWEEP_AFTER`` seconds (default 30) is enqueued again with its current
       counter, and ``requested_at`` is moved to now. A broker that was down, a worker killed mid-run
       (``acks_late``; the broker redelivers only after its visibility timeout) or a failed run delays a
       replan by about a minute after recovery, never to the nightly run.
    The nightly ``recompute_all`` bumps every merger and computes the whole country once.

The names below are re-exported as the package's entry points; code inside the package imports the
module that defines a name.
"""
from runbook.planning.apply import UNPLANNABLE_ERRORS, ApplyResult, schedule_apply, schedule_apply_all
from runbook.planning.enqueue import recompute_deferred, recompute_enqueue, recompute_task_enqueue
from runbook.planning.fetch import (
    RESULT_FIELDS,
    Graph,
    calendar_build,
    calendar_windows,
    graph_load,
    rule_rows_expand,
)
from runbook.planning.runs import recompute_all, recompute_request, recompute_run, recompute_sweep
from runbook.planning.shapes import check_dict, finding_dict, scenarios_compare

__all__ = [
    "RESULT_FIELDS",
    "UNPLANNABLE_ERRORS",
    "ApplyResult",
    "Graph",
    "calendar_build",
    "calendar_windows",
    "check_dict",
    "finding_dict",
    "graph_load",
    "recompute_all",
    "recompute_deferred",
    "recompute_enqueue",
    "recompute_request",
    "recompute_run",
    "recompute_sweep",
    "recompute_task_enqueue",
    "rule_rows_expand",
    "scenarios_compare",
    "schedule_apply",
    "schedule_apply_all",
]
