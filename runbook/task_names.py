"""The registered names of the runbook's Celery tasks, defined once: ``runbook.tasks`` registers its tasks
under them, and code that enqueues a task looks it up by name in Celery's registry instead of importing
the task module (which imports that code). Beat schedules and settings refer to the same strings."""

MERGER_RECOMPUTE = "runbook.merger_recompute"
RECOMPUTE_SWEEP = "runbook.recompute_sweep"
RECOMPUTE_ALL = "runbook.recompute_all"
DETECT_RISKS = "runbook.detect_risks"
SEND_DIGESTS = "runbook.send_digests"
TAKE_SNAPSHOTS = "runbook.take_snapshots"
