"""Install the default periodic tasks (django-celery-beat), editable in the admin afterwards.

get_or_create by name: an admin's later edits (times, enabled) survive re-running migrations, and a task
deleted by an admin is not deleted again on reverse.
"""
import json

from django.db import migrations

TZ = "Europe/Copenhagen"

#: name -> (task, hour, minute, description)
DEFAULTS = {
    "Nightly recompute and capacity levelling": ("runbook.recompute_all", "2", "0",
                                                  "Every night at 02:00: schedule every merger at once."),
    "Daily risk detection": ("runbook.detect_risks", "6", "0",
                             "Every morning at 06:00: overdue, slipping and unsigned checkpoints."),
    "Daily digest e-mails": ("runbook.send_digests", "7", "0",
                             "Every morning at 07:00: one digest per user of what is due, overdue and at risk."),
    "Daily progress snapshots": ("runbook.take_snapshots", "23", "30",
                                 "Every evening at 23:30: one progress snapshot per runbook for burn-up charts."),
}


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, (task, hour, minute, description) in DEFAULTS.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone=TZ
        )
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": crontab,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
                "description": description,
            },
        )
    # tell a running beat that the schedule changed
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(DEFAULTS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("runbook", "0003_schedule_request"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
