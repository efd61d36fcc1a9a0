from django.db import migrations


class Migration(migrations.Migration):
    """The table takes the audit app's name: ``runbook_event`` → ``audit_event`` (rows, indexes and
    constraints go with it)."""

    dependencies = [
        ("audit", "0001_initial"),
        ("runbook", "0010_event_moved_to_audit"),
    ]

    operations = [
        migrations.AlterModelTable(name="event", table=None),
    ]
