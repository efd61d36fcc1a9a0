"""Input serializers that take JSON as the schema documents it: an unknown field is a 400 naming it, and a
value of the wrong JSON type is refused rather than coerced (DRF would turn ``0`` into ``"0"`` or ``false``)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers


def _json_type_error(field, value) -> str | None:
    """The JSON type the schema documents for ``field``, if ``value`` is not of it (DRF would coerce: ``0``
    to ``"0"`` for text, ``0`` to ``false``, ``"5"`` to ``5``)."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Must be true or false.")
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else _("Must be a whole number.")
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else _("Must be a number.")
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField
                  | serializers.SlugRelatedField):
        return None if isinstance(value, str) else _("Must be text.")
    return None


class StrictSerializer(serializers.Serializer):
    """Input serializer that rejects fields it does not know (a typo must not be silently ignored), and
    values not of the JSON type its schema documents (no silent coercion of ``0`` to ``"0"`` or ``false``)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - {name for name, f in self.fields.items() if not f.read_only})
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
            wrong = {name: [error] for name, field in self.fields.items()
                     if name in data and (error := _json_type_error(field, data[name]))}
            if wrong and not hasattr(data, "getlist"):  # a JSON body (a form's values are all text)
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)
