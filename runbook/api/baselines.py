"""API of baselines: list, capture (``POST /api/v1/baselines/``, the IT chief) and compare.

``GET /api/v1/baselines/?merger=1`` lists a merger's baselines, latest first (name, when, who, number of
steps); ``GET /api/v1/baselines/{id}/comparison/?against={id}`` compares one with another baseline of the
same runbook, or with the plan as it is now when ``against`` is left out: per step the start and finish
variance in Danish working days, slipped go-lives first. Capturing creates an object, so it needs no
``If-Match`` (a POST to a list, as comments and dependencies).
"""
from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.etags import ETagMixin
from core.api.filters import IdFilter, StrictFilterSet
from core.api.serializers import StrictSerializer
from municipalities.api.permissions import PolicyMixin
from municipalities.permissions import Action
from runbook.baselines import LATEST_ORDER, NAME_MAX, baseline_capture, baseline_compare
from runbook.models import Baseline, Runbook


def baselines_in_scope(user):
    """Baselines of the user's mergers with who captured them and ``step_count``."""
    qs = Baseline.objects.select_related("captured_by", "runbook").annotate(step_count=Count("entries"))
    return qs.restrict(user)


class BaselineFilter(StrictFilterSet):
    merger = IdFilter(field_name="runbook__merger")
    runbook = IdFilter(field_name="runbook")

    class Meta:
        model = Baseline
        fields = ["merger", "runbook"]


class BaselineSerializer(serializers.ModelSerializer):
    """A named, frozen copy of a runbook's planned dates."""

    merger = serializers.IntegerField(source="runbook.merger_id", read_only=True)
    captured_by = serializers.CharField(source="captured_by.get_username", read_only=True, allow_null=True,
                                        default=None)
    step_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Baseline
        fields = ["id", "runbook", "merger", "name", "captured_at", "captured_by", "step_count"]
        read_only_fields = fields


class BaselineCreateInput(StrictSerializer):
    runbook = serializers.PrimaryKeyRelatedField(queryset=Runbook.objects.none())
    name = serializers.CharField(max_length=NAME_MAX)

    def __init__(self, *args, runbooks=None, **kwargs):
        super().__init__(*args, **kwargs)
        if runbooks is not None:
            self.fields["runbook"].queryset = runbooks


class _BaselineRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VarianceRowSerializer(serializers.Serializer):
    step = serializers.IntegerField(source="step_id")
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    phase = serializers.IntegerField(allow_null=True)
    domain = serializers.CharField(allow_null=True)
    binding = serializers.CharField(allow_null=True)
    is_go_live = serializers.BooleanField()
    base_start = serializers.DateField(allow_null=True)
    base_finish = serializers.DateField(allow_null=True)
    to_start = serializers.DateField(allow_null=True)
    to_finish = serializers.DateField(allow_null=True)
    start_variance = serializers.IntegerField(allow_null=True, help_text="Working days, positive = later.")
    finish_variance = serializers.IntegerField(allow_null=True, help_text="Working days, positive = later.")
    in_base = serializers.BooleanField()
    in_to = serializers.BooleanField()


class ComparisonSummarySerializer(serializers.Serializer):
    steps = serializers.IntegerField()
    slipped = serializers.IntegerField()
    slipped_go_lives = serializers.IntegerField()
    earlier = serializers.IntegerField()
    added = serializers.IntegerField()
    most_slipped_go_live = VarianceRowSerializer(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    base = _BaselineRef()
    against = _BaselineRef(allow_null=True, help_text="null: the plan as it is now.")
    summary = ComparisonSummarySerializer()
    rows = VarianceRowSerializer(many=True)


def comparison_data(comparison) -> dict:
    """A comparison as the API shows it (also the shape the tests compare the exports with)."""
    return ComparisonSerializer({
        "base": comparison.base,
        "against": comparison.to,
        "summary": {
            "steps": len(comparison.rows),
            "slipped": len(comparison.slipped),
            "slipped_go_lives": len(comparison.slipped_go_lives),
            "earlier": len(comparison.earlier),
            "added": len(comparison.added),
            "most_slipped_go_live": comparison.most_slipped_go_live,
        },
        "rows": comparison.rows,
    }).data


class BaselineViewSet(ETagMixin, PolicyMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Baselines of the user's mergers, latest first. POST captures one (IT chief)."""

    serializer_class = BaselineSerializer
    filterset_class = BaselineFilter
    ordering_fields = ["captured_at", "name", "id"]
    ordering = list(LATEST_ORDER)

    def get_queryset(self):
        return baselines_in_scope(self.request.user)

    @extend_schema(request=BaselineCreateInput, responses={201: BaselineSerializer})
    def create(self, request, *args, **kwargs):
        runbooks = Runbook.objects.restrict(request.user)
        data = BaselineCreateInput(data=request.data, runbooks=runbooks)
        data.is_valid(raise_exception=True)
        runbook = data.validated_data["runbook"]
        self.require(Action.EDIT_PLAN, merger_id=runbook.merger_id)
        baseline = baseline_capture(runbook=runbook, name=data.validated_data["name"], actor=request.user)
        return self.object_response(baseline, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter(
            "against", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY, required=False,
            description="Another baseline of the same runbook (404 when it names none); left out: the plan as it "
                        "is now.",
        )],
        responses=ComparisonSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def comparison(self, request, pk=None):
        """Per step the start and finish variance in working days against another baseline or the plan now;
        slipped go-lives first, then by slip."""
        base = self.get_object()
        raw = request.query_params.get("against")
        against = None
        if raw is not None:
            if not raw.isdigit() or int(raw) < 1:
                raise serializers.ValidationError({"against": [_("Give the id of a baseline.")]})
            against = self.get_queryset().filter(pk=int(raw), runbook_id=base.runbook_id).first()
            if against is None:  # as an unknown id in the path: not found within what the user may see
                raise exceptions.NotFound(_("The runbook has no baseline with the id given in against."))
        return Response(comparison_data(baseline_compare(base=base, to=against)))
