"""API views of a merger's plan structure: its runbook, its waves, and the dependencies between steps
(create and delete are the IT chief's; a cycle is refused).

Every queryset goes through ``Model.objects.restrict(user)`` (outside the user's mergers: 404);
every write asks the policy (403) and then calls a service inside one transaction with the If-Match check.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.etags import ETagMixin, atomic_write
from municipalities.api.permissions import PolicyMixin
from municipalities.permissions import Action
from runbook.api.filters import DependencyFilter, WaveFilter
from runbook.api.querysets import steps_in_scope
from runbook.api.serializers import (
    DependencyCreateInput,
    DependencySerializer,
    RunbookSerializer,
    WaveSerializer,
)
from runbook.models import Dependency, Runbook, Wave
from runbook.services import dependency_add, dependency_remove


class RunbookViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RunbookSerializer
    filterset_fields = ["merger"]
    ordering_fields = ["id", "created_at"]
    ordering = ["merger__name"]

    def get_queryset(self):
        return Runbook.objects.select_related("template").restrict(self.request.user)


class WaveViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = WaveSerializer
    filterset_class = WaveFilter
    ordering_fields = ["number", "target_date", "milestone_date"]
    ordering = ["runbook", "number"]

    def get_queryset(self):
        return Wave.objects.select_related("runbook").restrict(self.request.user)


class DependencyViewSet(
    ETagMixin, PolicyMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Successor waits for predecessor. Create and delete are the IT chief's (cycles are refused)."""

    serializer_class = DependencySerializer
    filterset_class = DependencyFilter
    ordering_fields = ["id"]
    ordering = ["runbook", "id"]

    def get_queryset(self):
        return Dependency.objects.select_related("runbook").restrict(self.request.user)

    @extend_schema(request=DependencyCreateInput, responses={201: DependencySerializer})
    def create(self, request, *args, **kwargs):
        data = DependencyCreateInput(data=request.data, steps=steps_in_scope(request.user))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        self.require(Action.EDIT_PLAN, merger_id=values["successor"].merger_id)
        dependency = dependency_add(
            predecessor=values["predecessor"], successor=values["successor"], type=values["type"],
            lag_days=values["lag_days"], actor=request.user,
        )
        return self.object_response(dependency, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        dependency = self.get_object()
        self.require(Action.EDIT_PLAN, merger_id=dependency.runbook.merger_id)
        with atomic_write():
            locked = self.locked(dependency)
            dependency_remove(dependency=locked, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
