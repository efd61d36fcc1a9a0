"""The audit trail moves from the runbook app to its own app: the model's state only, on the existing table
(``runbook_event``, renamed in 0002), and its content type with it, so permissions and generic relations
keep pointing at it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import IntegrityError, migrations, models, transaction


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    """Relabel the Event content type (as Django's own RenameContentType does); nothing when there is none
    yet (a fresh database) or the target exists already."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    content_type = ContentType.objects.db_manager(db).filter(app_label=source, model="event").first()
    if content_type is None:
        return
    content_type.app_label = target
    try:
        with transaction.atomic(using=db):
            content_type.save(using=db, update_fields={"app_label"})
    except IntegrityError:
        return
    ContentType.objects.clear_cache()


def content_type_to_audit(apps, schema_editor):
    _move_content_type(apps, schema_editor, "runbook", "audit")


def content_type_to_runbook(apps, schema_editor):
    _move_content_type(apps, schema_editor, "audit", "runbook")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("municipalities", "0001_initial"),
        ("runbook", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="when")),
                        ("verb", models.CharField(max_length=50, verbose_name="what")),
                        ("object_id", models.PositiveBigIntegerField()),
                        ("object_repr", models.CharField(max_length=250, verbose_name="object")),
                        ("changes", models.JSONField(blank=True, default=dict, help_text="field: [before, after]", verbose_name="changes")),
                        ("message", models.TextField(blank=True, verbose_name="message")),
                        ("actor", models.ForeignKey(blank=True, help_text="Empty when the system (a background task) made the change.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="who")),
                        ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="contenttypes.contenttype")),
                        ("merger", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="events", to="municipalities.merger")),
                    ],
                    options={
                        "verbose_name": "event",
                        "verbose_name_plural": "events",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "runbook_event",
                        "indexes": [
                            models.Index(fields=["merger", "-created_at"], name="event_merger_created"),
                            models.Index(fields=["content_type", "object_id"], name="event_object"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_audit, content_type_to_runbook),
    ]
