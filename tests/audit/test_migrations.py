"""Moving the audit trail to its own app keeps every Event row and the content type (with its permissions):
migrate back to before the move, write an event the old way, migrate forward and find it again."""
from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import Event

BEFORE = [("audit", None), ("runbook", "0009_checkpointsignoff_override_reason")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_migrating_forward_keeps_the_events_and_their_content_type():
    try:
        # given: the database before the move (the table is runbook_event, the content type runbook.event)
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE[1:]).apps
        OldContentType = old.get_model("contenttypes", "ContentType")
        event_type = OldContentType.objects.get(app_label="runbook", model="event")
        step_type, _created = OldContentType.objects.get_or_create(app_label="runbook", model="step")
        permissions = old.get_model("auth", "Permission").objects.filter(content_type=event_type).count()
        row = old.get_model("runbook", "Event").objects.create(
            verb="status_changed", content_type_id=step_type.pk, object_id=7, object_repr="Omlæg lønsystemet",
            changes={"status": ["not_started", "in_progress"]}, message="Venter på KMD",
        )
        # when
        executor = _migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()
        # then: the row is there under the new model and table, the content type moved with its permissions
        assert Event._meta.db_table == "audit_event"
        event = Event.objects.get(pk=row.pk)
        assert (event.verb, event.content_type_id, event.object_id, event.changes, event.message) == (
            "status_changed", step_type.pk, 7, {"status": ["not_started", "in_progress"]}, "Venter på KMD")
        moved = ContentType.objects.get_for_model(Event)
        assert (moved.pk, moved.app_label) == (event_type.pk, "audit")
        assert moved.permission_set.count() == permissions > 0
        assert not ContentType.objects.filter(app_label="runbook", model="event").exists()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()
