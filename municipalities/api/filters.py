"""Filters of municipalities and mergers."""
from __future__ import annotations

import django_filters

from municipalities.models import DispensationStatus, Merger, Municipality


class MunicipalityFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(max_length=4)
    merger = django_filters.NumberFilter(field_name="mergers", min_value=1)

    class Meta:
        model = Municipality
        fields = ["code", "merger"]


class MergerFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(max_length=4)
    dispensation_status = django_filters.ChoiceFilter(choices=DispensationStatus.choices)
    municipality = django_filters.CharFilter(field_name="members__code", max_length=4, distinct=True)

    class Meta:
        model = Merger
        fields = ["code", "dispensation_status", "municipality", "is_synthetic"]
