"""Filters of the inventory and the decisions."""
from __future__ import annotations

import django_filters

from core.api.filters import IdFilter, StrictFilterSet
from systems.models import Conversion, ConversionStatus, Harmonisation, Strategy, System, SystemInstance


class SystemFilter(StrictFilterSet):
    vendor = django_filters.CharFilter(field_name="vendor__code", max_length=30)
    domain = django_filters.CharFilter(field_name="domain__code", max_length=30)

    class Meta:
        model = System
        fields = ["vendor", "domain"]


class SystemInstanceFilter(StrictFilterSet):
    municipality = django_filters.CharFilter(field_name="municipality__code", max_length=4)
    vendor = django_filters.CharFilter(field_name="system__vendor__code", max_length=30)
    domain = django_filters.CharFilter(field_name="system__domain__code", max_length=30)
    merger = IdFilter(field_name="municipality__mergers", distinct=True)

    class Meta:
        model = SystemInstance
        fields = ["municipality", "vendor", "domain", "merger", "system"]


class HarmonisationFilter(StrictFilterSet):
    domain = django_filters.CharFilter(field_name="domain__code", max_length=30)
    strategy = django_filters.ChoiceFilter(choices=Strategy.choices)
    vendor = django_filters.CharFilter(field_name="target_system__vendor__code", max_length=30)

    class Meta:
        model = Harmonisation
        fields = ["merger", "domain", "strategy", "vendor"]


class ConversionFilter(StrictFilterSet):
    merger = IdFilter(field_name="harmonisation__merger")
    domain = django_filters.CharFilter(field_name="harmonisation__domain__code", max_length=30)
    municipality = django_filters.CharFilter(field_name="source_instance__municipality__code", max_length=4)
    status = django_filters.ChoiceFilter(choices=ConversionStatus.choices)

    class Meta:
        model = Conversion
        fields = ["merger", "domain", "municipality", "status", "harmonisation"]
