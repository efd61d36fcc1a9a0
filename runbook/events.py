"""The audit trail. Services call these inside their transaction, so a change and its Event commit together.

One function per kind of change keeps the verbs consistent for the pages and the API.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Event


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields that changed."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(after.get(name))]
        for name in after
        if before.get(name) != after.get(name)
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def event_record(
    *,
    actor,
    verb: str,
    obj: models.Model,
    merger_id: int | None,
    changes: Mapping[str, list[Any]] | None = None,
    message: str = "",
) -> Event:
    """Write one audit event. ``actor`` None means the system (a background task)."""
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=str(obj)[:250],
        merger_id=merger_id,
        changes=dict(changes or {}),
        message=message,
    )


def events_bulk_record(events: Iterable[Event]) -> list[Event]:
    """Write many prepared events at once (the scheduler's date moves)."""
    return Event.objects.bulk_create(list(events), batch_size=1000)
