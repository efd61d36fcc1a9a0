from django.db import migrations, models


class Migration(migrations.Migration):
    """A go/no-go decision given before the checkpoint's predecessors were done says why (override)."""

    dependencies = [
        ("runbook", "0008_step_stamp_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkpointsignoff",
            name="override_reason",
            field=models.TextField(
                blank=True,
                help_text="Why the decision was given before the checkpoint's predecessors were done.",
                verbose_name="override reason",
            ),
        ),
    ]
