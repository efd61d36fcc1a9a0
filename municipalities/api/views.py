"""API views of municipalities and mergers. Thin: scope through the policy, writes through services."""
from __future__ import annotations

from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.support import ETagMixin, PolicyMixin, atomic_write
from municipalities.models import Merger, Municipality
from municipalities.permissions import Action, restrict
from municipalities.services import merger_dispensation_set
from runbook.api.serializers import PlanCheckSerializer

from .filters import MergerFilter, MunicipalityFilter
from .serializers import (
    MergerDispensationInput,
    MergerSerializer,
    MunicipalitySerializer,
    ProgressSerializer,
    RecomputeAcceptedSerializer,
    ScheduleSerializer,
)


def _planning_selector(name: str):
    """The planning selectors live in ``runbook.selectors`` (falling back to ``runbook.planning``)."""
    from runbook import selectors

    func = getattr(selectors, name, None)
    if func is None:  # pragma: no cover - depends on where the planning work put it
        from runbook import planning

        func = getattr(planning, name)
    return func


class MunicipalityViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    """Municipalities that are members of the user's mergers."""

    serializer_class = MunicipalitySerializer
    filterset_class = MunicipalityFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name", "population"]
    ordering = ["name"]

    def get_queryset(self):
        in_scope = restrict(Merger.members.through.objects.all(), self.request.user, merger_path="merger")
        return Municipality.objects.filter(pk__in=in_scope.values("municipality_id"))


class MergerViewSet(ETagMixin, PolicyMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The user's mergers. PATCH changes the dispensation (IT chief); commands recompute the schedule."""

    serializer_class = MergerSerializer
    filterset_class = MergerFilter
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code", "legal_date"]
    ordering = ["name"]
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        qs = Merger.objects.annotate(runbook_pk=F("runbook__id")).prefetch_related(
            Prefetch("members", queryset=Municipality.objects.only("id", "code").order_by("code"))
        )
        return restrict(qs, self.request.user, merger_path="id")

    @extend_schema(request=MergerDispensationInput, responses=MergerSerializer)
    def partial_update(self, request, *args, **kwargs):
        merger = self.get_object()
        self.require(Action.EDIT_MERGER, merger_id=merger.pk)
        data = MergerDispensationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with atomic_write():
            locked = self.locked(merger)
            merger = merger_dispensation_set(
                merger=locked,
                actor=request.user,
                status=values.get("dispensation_status", locked.dispensation_status),
                date=values.get("dispensation_date", locked.dispensation_date),
                reference=values.get("dispensation_reference", locked.dispensation_reference),
                expected_version=locked.version,
            )
        return self.object_response(merger)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(request=None, responses={202: RecomputeAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Ask for the schedule to be recomputed in the background (202 Accepted)."""
        from runbook.planning import recompute_enqueue

        merger = self.get_object()
        self.require(Action.EDIT_PLAN, merger_id=merger.pk)
        with atomic_write():
            self.locked(merger)
            recompute_enqueue(merger.pk)
        return Response(
            {"detail": _("The schedule will be recomputed."), "merger": merger.pk}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(responses=ScheduleSerializer)
    @action(detail=True, methods=["get"])
    def schedule(self, request, pk=None):
        """The merger's schedule: findings, critical path, waves and scenarios."""
        merger = self.get_object()
        return Response(_planning_selector("schedule_for_merger")(merger))

    @extend_schema(responses=PlanCheckSerializer)
    @action(detail=True, methods=["get"], url_path="plan-check")
    def plan_check(self, request, pk=None):
        """The domain findings of the merger's last schedule run (go-live on a closed day, preparation not
        just in time, binding broken, vendor overload …), each with a message and links to its steps."""
        from runbook.selectors import plan_check_for_merger

        merger = self.get_object()
        return Response(plan_check_for_merger(merger.pk))

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """The merger's progress: overall, by phase, by municipality and by domain."""
        merger = self.get_object()
        return Response(_planning_selector("progress_for_merger")(merger))
