"""The OpenAPI schema's view of what the API enforces beyond drf-spectacular's reading: ``If-Match`` on
writes (:mod:`core.api.etags`) and no unknown fields in a body (:mod:`core.api.serializers`).

Kept apart from the classes the REST framework settings name: drf-spectacular's schema module reads those
settings on import, so none of their modules may import this one."""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from core.api.etags import ETagMixin
from core.api.serializers import StrictSerializer


class ErrorDetailSerializer(serializers.Serializer):
    """An error answer: what went wrong, in words."""

    detail = serializers.CharField()


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus what :class:`ETagMixin` enforces: every write to an existing
    object (PATCH, PUT, DELETE, a POST command on it) requires ``If-Match`` and may answer 428 (missing)
    or 412 (stale)."""

    def _requires_if_match(self) -> bool:
        return (
            isinstance(self.view, ETagMixin)
            and self.method in ("PUT", "PATCH", "DELETE", "POST")
            and bool(getattr(self.view, "detail", False))
        )

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._requires_if_match():
            parameters = [*parameters, OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                description="The ETag of your last read of this object (428 without it, 412 when stale).",
            )]
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        """A :class:`StrictSerializer` refuses fields it does not know (400): the schema says so."""
        schema = super()._map_basic_serializer(serializer, direction)
        if isinstance(serializer, StrictSerializer) or (
            isinstance(serializer, type) and issubclass(serializer, StrictSerializer)
        ):
            schema["additionalProperties"] = False
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._requires_if_match():
            for code, description in (
                ("412", "Precondition Failed: the object changed since the ETag sent in If-Match."),
                ("428", "Precondition Required: If-Match is missing."),
            ):
                responses.setdefault(code, self._get_response_for_code(
                    OpenApiResponse(ErrorDetailSerializer, description=description), code, direction=direction,
                ))
        return responses
