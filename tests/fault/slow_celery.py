"""``python -m tests.fault.slow_celery <celery arguments>``: the celery command, with the write phase of
every schedule run delayed by ``FAULT_SLOW_APPLY`` seconds (after the run noted the counters and loaded
the graph) and a ``FAULT_MARKER`` file touched when one starts waiting — so a test can SIGKILL the worker
mid-replan. Test-only: production code has no such hook."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from celery.signals import task_prerun


def _slow_down(**kwargs) -> None:
    from runbook.planning import apply as planning_apply

    original = planning_apply._apply
    if getattr(original, "_fault_slow", False):
        return
    delay = float(os.environ.get("FAULT_SLOW_APPLY", "0"))

    def slow_apply(*args, **kw):
        Path(os.environ["FAULT_MARKER"]).touch()
        time.sleep(delay)
        return original(*args, **kw)

    slow_apply._fault_slow = True
    planning_apply._apply = slow_apply


task_prerun.connect(_slow_down, weak=False)  # Django is set up by then

if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
