"""Install the every-minute recompute sweep (django-celery-beat), editable in the admin afterwards.

The sweep enqueues again every replan requested but not done (see runbook/planning.py, module docstring
6). get_or_create by name, like 0004: an admin's later edits survive, a deleted task is not deleted again.
"""
import json

from django.db import migrations

NAME = "Recompute sweep"
TASK = "runbook.recompute_sweep"
DESCRIPTION = ("Every minute: enqueue again the replans requested but not done (broker down, worker killed), "
               "so a replan is delayed by about a minute after recovery, never to the nightly run.")


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
            "description": DESCRIPTION,
        },
    )
    # tell a running beat that the schedule changed
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("runbook", "0006_planning_date_range"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
