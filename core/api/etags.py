"""Optimistic concurrency for single objects: weak ETags of what the client was shown, ``If-None-Match``
→ 304 on a read, and ``If-Match`` required on every write (428 without it), compared under
``select_for_update`` (412 when stale).

:class:`ETagMixin` is the viewset half; :func:`etag_matches` and :func:`not_modified` are shared with the
conditional GETs of the polled lists."""
from __future__ import annotations

import hashlib
import json

from django.db import models, transaction
from rest_framework import status
from rest_framework.response import Response

from core.api.exceptions import PreconditionFailed, PreconditionRequired


def etag_for(obj: models.Model, data) -> str:
    """A weak ETag of an object's representation ``data`` (what the client was shown).

    A hash of the representation rather than pk + version: the scheduler moves dates in bulk without
    touching ``version`` or ``updated_at``, and related rows (sign-offs, members, codes) show in the
    representation too; a hash changes whenever anything the client sees changes.
    """
    payload = json.dumps(data, sort_keys=True, default=str).encode()
    return f'W/"{obj._meta.model_name}-{obj.pk}-{hashlib.sha256(payload).hexdigest()[:20]}"'


def _etag_values(header: str) -> list[str]:
    return [v.strip().removeprefix("W/") for v in header.split(",") if v.strip()]


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of ``etag`` against an ``If-Match``/``If-None-Match`` header (``*`` matches)."""
    values = _etag_values(header)
    return "*" in values or etag.removeprefix("W/") in values


def not_modified(request, etag: str) -> Response | None:
    """A 304 (empty, with the ETag) when ``If-None-Match`` names ``etag``; else None."""
    header = request.headers.get("If-None-Match")
    if header and etag_matches(header, etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return None


class ETagMixin:
    """ETag on every object; ``If-None-Match`` → 304 on GET; ``If-Match`` required on writes (428 when
    missing, 412 when stale).

    ``locked(obj)`` must be called inside ``transaction.atomic()``: it re-reads the row with
    ``select_for_update`` and compares ``If-Match`` with the *locked* state, so of two clients holding
    the same ETag only the first wins; the second waits for the lock, then sees the new version.
    """

    def object_etag(self, obj, data=None) -> str:
        return etag_for(obj, self.get_serializer(obj).data if data is None else data)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.get_serializer(obj).data
        etag = self.object_etag(obj, data)
        cached = not_modified(request, etag)
        if cached is not None:
            return cached
        return Response(data, headers={"ETag": etag})

    def locked(self, obj):
        """The object re-read under ``select_for_update``; 428 without ``If-Match``, 412 if it does not match.

        Every write to an existing object goes through here, so none is blind (no silent lost update).
        The representation is read again after the lock is held (under READ COMMITTED a new statement
        sees what the previous lock holder committed), so a second writer with the same ETag fails."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header:
            raise PreconditionRequired()
        fresh = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        if not etag_matches(header, self.object_etag(self.get_queryset().get(pk=obj.pk))):
            raise PreconditionFailed()
        return fresh

    def object_response(self, obj, *, status_code: int = 200, serializer_class=None) -> Response:
        """Re-read ``obj`` through the view's queryset (annotations included) and answer with its ETag."""
        fresh = self.get_queryset().get(pk=obj.pk)
        serializer = (serializer_class or self.get_serializer_class())(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code, headers={"ETag": self.object_etag(fresh, serializer.data)})


def atomic_write():
    """The transaction every API write runs in (the If-Match check and the service share it)."""
    return transaction.atomic()
