from django.db import migrations


class Migration(migrations.Migration):
    """The audit trail's Event is the audit app's now (audit 0001 took over its table): the runbook app
    forgets the model, the table stays."""

    dependencies = [
        ("audit", "0001_initial"),
        ("runbook", "0009_checkpointsignoff_override_reason"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Event")],
            database_operations=[],
        ),
    ]
