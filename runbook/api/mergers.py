"""The merger endpoint of the API with its planning commands: recompute the schedule, and read the schedule,
the plan check and the progress. Registered on ``mergers/`` in place of the plain merger viewset it extends
(under the same class name: the API's OPTIONS answer and browsable pages name the view after its class)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.etags import atomic_write
from municipalities.api import views as merger_api
from municipalities.api.serializers import ProgressSerializer, RecomputeAcceptedSerializer, ScheduleSerializer
from municipalities.permissions import Action
from runbook.api.serializers import PlanCheckSerializer
from runbook.planning import recompute_enqueue
from runbook.selectors.steps import plan_check_for_merger, progress_for_merger, schedule_for_merger


class MergerViewSet(merger_api.MergerViewSet):
    """The user's mergers. PATCH changes the dispensation (IT chief); commands recompute the schedule."""

    @extend_schema(request=None, responses={202: RecomputeAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Ask for the schedule to be recomputed in the background (202 Accepted)."""
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
        return Response(schedule_for_merger(merger))

    @extend_schema(responses=PlanCheckSerializer)
    @action(detail=True, methods=["get"], url_path="plan-check")
    def plan_check(self, request, pk=None):
        """The domain findings of the merger's last schedule run (go-live on a closed day, preparation not
        just in time, binding broken, vendor overload …), each with a message and links to its steps."""
        merger = self.get_object()
        return Response(plan_check_for_merger(merger.pk))

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """The merger's progress: overall, by phase, by municipality and by domain."""
        merger = self.get_object()
        return Response(progress_for_merger(merger))
