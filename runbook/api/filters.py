"""Filters of steps and milestones (also used by their CSV export), waves, dependencies, comments, events."""
from __future__ import annotations

import django_filters

from audit.models import Event
from core.api.filters import IdFilter, IntegerFilter, StrictBooleanFilter, StrictFilterSet
from core.validation import planning_date_validator
from runbook.models import Comment, Dependency, Step, StepKind, StepStatus, Wave


class StepFilter(StrictFilterSet):
    merger = IdFilter(field_name="runbook__merger")
    municipality = django_filters.CharFilter(field_name="assignee_municipality__code", max_length=4)
    vendor = django_filters.CharFilter(field_name="assignee_vendor__code", max_length=30)
    domain = django_filters.CharFilter(field_name="domain__code", max_length=30)
    status = django_filters.MultipleChoiceFilter(choices=StepStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=StepKind.choices)
    due_after = django_filters.DateFilter(field_name="planned_finish", lookup_expr="gte", validators=[planning_date_validator])
    due_before = django_filters.DateFilter(field_name="planned_finish", lookup_expr="lte", validators=[planning_date_validator])
    critical = StrictBooleanFilter(field_name="is_critical")
    at_risk = StrictBooleanFilter()
    wave = IdFilter(field_name="wave")
    phase = IntegerFilter(field_name="phase__number", min_value=0)

    class Meta:
        model = Step
        fields = ["merger", "runbook", "municipality", "vendor", "domain", "status", "kind", "due_after",
                  "due_before", "critical", "at_risk", "wave", "phase"]


class MilestoneFilter(StepFilter):
    kind = django_filters.MultipleChoiceFilter(
        choices=[(k, label) for k, label in StepKind.choices if k != StepKind.TASK]
    )


class WaveFilter(StrictFilterSet):
    merger = IdFilter(field_name="runbook__merger")

    class Meta:
        model = Wave
        fields = ["merger", "runbook"]


class DependencyFilter(StrictFilterSet):
    merger = IdFilter(field_name="runbook__merger")

    class Meta:
        model = Dependency
        fields = ["merger", "runbook", "predecessor", "successor", "type"]


class CommentFilter(StrictFilterSet):
    merger = IdFilter(field_name="step__runbook__merger")

    class Meta:
        model = Comment
        fields = ["merger", "step"]


class EventFilter(StrictFilterSet):
    verb = django_filters.CharFilter(max_length=50)
    object_type = django_filters.CharFilter(field_name="content_type__model", max_length=100)
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", validators=[planning_date_validator])

    class Meta:
        model = Event
        fields = ["merger", "verb", "object_type", "object_id", "since"]
