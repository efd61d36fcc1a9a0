"""Query parameters of the API's lists: validated as the OpenAPI schema documents them, one rule for all.

- Ids (a foreign key, ``?merger=``, ``?runbook=``, ``?step=`` …) are whole numbers from 1. ``0``, ``-3``,
  ``1.5`` or ``abc`` is a 400 naming the parameter; an id that is well formed but unknown (or outside
  your mergers) selects nothing: 200 with an empty list — the same answer for every id filter, and the
  one a client cannot tell from "exists but not yours".
- Other whole-number filters (``?phase=``, ``?object_id=``) refuse fractions and words the same way.
- Yes/no filters take ``true``/``false`` (or ``1``/``0``); anything else is a 400.
- A typed parameter that is present must have a value: ``?blocks=``, ``?status=``, ``?merger=``,
  ``?critical=``, ``?due_after=`` (empty) are a 400 naming the parameter, not silently ignored.
  Free-text filters (``?code=``, ``?search=``) take an empty value as "no filter".
- ``?search=`` with a NUL character is a 400 naming ``search`` (an object, as every 400 body).

The schema says so (``minimum``, ``enum``): :mod:`drf_spectacular` reads the ``_spectacular_annotation``
each filter carries. Views with ``filterset_fields`` get :class:`StrictFilterSet` through
:class:`FilterBackend`; hand-written filter sets inherit from it.

:class:`FilterBackend`, :class:`SearchFilter` and :class:`ContentNegotiation` are named in the REST framework
settings, so this module must not import ``rest_framework.views`` (or anything that does): that import reads
the settings, which name this module.
"""
from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters as drf_filters
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation

from core.validation import planning_date_validator

BOOLEAN_VALUES = ("true", "false", "1", "0")
#: The largest whole number a filter takes (a 64-bit id); larger is a 400, never an overflow in the database.
MAX_INTEGER = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (never a decimal), ``minimum`` in the schema when ``min_value`` is given."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int | None = None, **kwargs):
        if min_value is not None:
            kwargs["min_value"] = min_value
        kwargs.setdefault("max_value", MAX_INTEGER)
        super().__init__(*args, **kwargs)
        schema = {"type": "integer", "maximum": MAX_INTEGER}
        if min_value is not None:
            schema["minimum"] = min_value
        self._spectacular_annotation = {"field": schema}


class IdFilter(IntegerFilter):
    """The id of a related object: a whole number from 1; an unknown one selects nothing."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true``/``false`` (or ``1``/``0``); anything else is a 400 rather than silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(v, v) for v in BOOLEAN_VALUES])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        super().__init__(*args, **kwargs)
        self._spectacular_annotation = {"field": {"type": "string", "enum": list(BOOLEAN_VALUES)}}


def _int_filter(min_value: int | None):
    return {"filter_class": IntegerFilter, "extra": lambda field: {"min_value": min_value}}


#: text without NUL characters (refused with a 400: no database stores them)
NO_NUL_PATTERN = "^[^\\u0000]*$"
#: a date or date-time within the planning range 1990–2100 (``core.validation``), as a pattern on the year
PLANNING_YEAR_PATTERN = "^(199[0-9]|20[0-9][0-9]|2100)-"


def _annotate(filter_) -> None:
    """The schema of a text or date filter as it is validated: length, no NUL, the planning range."""
    if "field" in getattr(filter_, "_spectacular_annotation", {}):
        return
    if isinstance(filter_, django_filters.CharFilter):
        schema = {"type": "string", "pattern": NO_NUL_PATTERN}
        if filter_.extra.get("max_length"):
            schema["maxLength"] = filter_.extra["max_length"]
        filter_._spectacular_annotation = {"field": schema}
    elif isinstance(filter_, django_filters.DateFilter | django_filters.IsoDateTimeFilter):
        schema = {"type": "string", "format": "date" if isinstance(filter_, django_filters.DateFilter) else "date-time"}
        if planning_date_validator in filter_.extra.get("validators", ()):
            schema["pattern"] = PLANNING_YEAR_PATTERN
        filter_._spectacular_annotation = {"field": schema}


class StrictFilterSet(django_filters.rest_framework.FilterSet):
    """django-filter's FilterSet with the rules above for the filters it makes from model fields."""

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        for filter_ in filters.values():
            _annotate(filter_)
        return filters

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.AutoField: _int_filter(1),
        models.BigAutoField: _int_filter(1),
        models.IntegerField: _int_filter(None),
        models.BigIntegerField: _int_filter(None),
        models.SmallIntegerField: _int_filter(None),
        models.PositiveIntegerField: _int_filter(0),
        models.PositiveBigIntegerField: _int_filter(0),
        models.PositiveSmallIntegerField: _int_filter(0),
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
        models.ManyToManyField: {"filter_class": IdFilter, "extra": lambda field: {"distinct": True}},
    }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        data = self.data
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in data:
                continue
            values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
            if any(value is None or str(value).strip() == "" for value in values):
                if name not in self.form.errors:
                    self.form.add_error(name, _("Give a value, or leave the parameter out."))
                valid = False
        return valid


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the query string names none of the view's filters (building the
    filter form is a fifth of a hot list's time, and without parameters it filters nothing).
    ``filterset_fields`` get :class:`StrictFilterSet` (ids from 1, no empty values)."""

    filterset_base = StrictFilterSet

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class SearchFilter(drf_filters.SearchFilter):
    """DRF's search, with its 400 (a NUL character) as an object naming ``search``."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.search_param: exc.detail}) from exc


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation; an empty ``?format=`` is a 400 naming ``format`` (like every typed parameter)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if not format_suffix and request.query_params.get(self.settings.URL_FORMAT_OVERRIDE, None) == "":
            raise serializers.ValidationError(
                {self.settings.URL_FORMAT_OVERRIDE: [_("Give a value, or leave the parameter out.")]}
            )
        return super().select_renderer(request, renderers, format_suffix)
