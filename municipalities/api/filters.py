"""Filters of municipalities and mergers."""
from __future__ import annotations

import django_filters

from core.api.filters import IdFilter, StrictFilterSet
from municipalities.models import DispensationStatus, Merger, Municipality


class MunicipalityFilter(StrictFilterSet):
    code = django_filters.CharFilter(max_length=4)
    merger = IdFilter(field_name="mergers")

    class Meta:
        model = Municipality
        fields = ["code", "merger"]


class MergerFilter(StrictFilterSet):
    code = django_filters.CharFilter(max_length=4)
    dispensation_status = django_filters.ChoiceFilter(choices=DispensationStatus.choices)
    municipality = django_filters.CharFilter(field_name="members__code", max_length=4, distinct=True)

    class Meta:
        model = Merger
        fields = ["code", "dispensation_status", "municipality", "is_synthetic"]
