"""API views of a runbook's steps: the step list and its writes (plan fields, status transitions, add and
delete), the milestones list, and the go/no-go checkpoints with their sign-offs.

Every queryset is the user's scope (:mod:`runbook.api.querysets`: outside the user's mergers is a 404);
every write asks the policy (403), then calls a service inside one transaction with the If-Match check.
The step and milestone lists are read as ``values()`` rows, answer ``If-None-Match`` from a version stamp,
and export as CSV (``?format=csv``).
"""
from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api.etags import ETagMixin, atomic_write
from core.api.renderers import CSVRenderer
from core.api.values_list import ValuesListMixin
from municipalities.api.permissions import PolicyMixin
from municipalities.permissions import Action
from runbook.api.filters import MilestoneFilter, StepFilter
from runbook.api.list_etags import ListETagMixin
from runbook.api.querysets import (
    _values_map,
    annotate_milestones,
    annotate_steps,
    milestones_in_scope,
    runbooks_in_scope,
    steps_in_scope,
)
from runbook.api.serializers import (
    CheckpointSerializer,
    CheckpointSignInput,
    MilestoneSerializer,
    StepCreateInput,
    StepSerializer,
    StepTransitionInput,
    StepUpdateInput,
)
from runbook.models import CheckpointSignoff, StepKind
from runbook.services import checkpoint_sign, step_transition, step_update
from runbook.services.plan import step_create, step_delete

CSV_RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]


class StepViewSet(
    ETagMixin, PolicyMixin, ListETagMixin, ValuesListMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Steps of the user's mergers. PATCH changes plan fields (IT chief); ``transition`` changes status.
    ``?format=csv`` (or ``.csv``) exports every step the filters select."""

    serializer_class = StepSerializer
    list_values = _values_map(StepSerializer)
    list_datetimes = ("updated_at",)
    filterset_class = StepFilter
    renderer_classes = CSV_RENDERERS
    csv_filename = "steps"
    search_fields = ["name", "name_en", "key"]
    ordering_fields = ["sequence", "planned_start", "planned_finish", "total_slack", "status", "id"]
    ordering = ["runbook__merger_id", "sequence", "id"]
    http_method_names = ["get", "patch", "post", "delete", "head", "options"]

    def get_queryset(self):
        return steps_in_scope(self.request.user)

    def get_list_queryset(self):
        return steps_in_scope(self.request.user, annotated=False)

    @staticmethod
    def list_stamp_querysets(user, merger_id=None):
        return steps_in_scope(user, annotated=False), runbooks_in_scope(user)

    def annotate_list(self, queryset):
        return annotate_steps(queryset)

    @extend_schema(request=StepUpdateInput, responses=StepSerializer)
    def partial_update(self, request, *args, **kwargs):
        step = self.get_object()
        self.require(Action.EDIT_PLAN, merger_id=step.merger_id)
        data = StepUpdateInput(data=request.data, merger_id=step.merger_id, runbook_id=step.runbook_id)
        data.is_valid(raise_exception=True)
        with atomic_write():
            locked = self.locked(step)
            step = step_update(
                step=locked, actor=request.user, data=dict(data.validated_data), expected_version=locked.version
            )
        return self.object_response(step)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(request=StepCreateInput, responses={201: StepSerializer})
    def create(self, request, *args, **kwargs):
        """Add a step to a runbook (IT chief): at the end of its phase, with a key of its own (``ny-N``)."""
        runbooks = runbooks_in_scope(request.user)
        ref = request.data.get("runbook") if isinstance(request.data, dict) else None
        runbook = runbooks.filter(pk=ref).first() if isinstance(ref, int) and not isinstance(ref, bool) else None
        data = StepCreateInput(data=request.data, runbooks=runbooks, merger_id=getattr(runbook, "merger_id", None),
                               runbook_id=getattr(runbook, "pk", None))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        runbook = values.pop("runbook")
        self.require(Action.EDIT_PLAN, merger_id=runbook.merger_id)
        step = step_create(runbook=runbook, actor=request.user, data=values)
        return self.object_response(step, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        """Delete a step that has not begun, with its dependencies (IT chief; ``If-Match`` required)."""
        step = self.get_object()
        self.require(Action.EDIT_PLAN, merger_id=step.merger_id)
        with atomic_write():
            locked = self.locked(step)
            step_delete(step=locked, actor=request.user, expected_version=locked.version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StepTransitionInput, responses=StepSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        """Change the step's status (with ``override_reason`` to finish before predecessors, ``reason``
        to block or reopen)."""
        step = self.get_object()
        self.require(Action.TRANSITION_STEP, merger_id=step.merger_id, obj=step)
        data = StepTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with atomic_write():
            locked = self.locked(step)
            step = step_transition(
                step=locked,
                status=values["status"],
                actor=request.user,
                override_reason=values["override_reason"],
                reason=values["reason"],
                expected_version=locked.version,
            )
        return self.object_response(step)


class MilestoneViewSet(ETagMixin, ListETagMixin, ValuesListMixin, viewsets.ReadOnlyModelViewSet):
    """Milestones, checkpoints and cutovers with planned date, baseline date, slack, critical flag and
    wave. ``?format=csv`` (or ``.csv``) exports them."""

    serializer_class = MilestoneSerializer
    list_values = _values_map(MilestoneSerializer)
    filterset_class = MilestoneFilter
    renderer_classes = CSV_RENDERERS
    csv_filename = "milestones"
    search_fields = ["name", "name_en", "key"]
    ordering_fields = ["planned_finish", "go_live", "sequence", "total_slack", "id"]
    ordering = ["runbook__merger_id", "planned_finish", "sequence", "id"]

    def get_queryset(self):
        return milestones_in_scope(self.request.user)

    def get_list_queryset(self):
        return milestones_in_scope(self.request.user, annotated=False)

    @staticmethod
    def list_stamp_querysets(user, merger_id=None):
        return milestones_in_scope(user, annotated=False), runbooks_in_scope(user)

    def annotate_list(self, queryset):
        return annotate_milestones(queryset)


class CheckpointViewSet(ETagMixin, PolicyMixin, viewsets.ReadOnlyModelViewSet):
    """Go/no-go checkpoints with their sign-offs; ``sign`` records a decision (IT chief, vendor advisor)."""

    serializer_class = CheckpointSerializer
    filterset_class = StepFilter
    ordering_fields = ["planned_finish", "sequence", "id"]
    ordering = ["runbook__merger_id", "sequence", "id"]

    def get_queryset(self):
        signoffs = CheckpointSignoff.objects.select_related("user").order_by("signed_at", "id")
        return (
            milestones_in_scope(self.request.user)
            .filter(kind=StepKind.CHECKPOINT)
            .prefetch_related(Prefetch("signoffs", queryset=signoffs))
        )

    @extend_schema(request=CheckpointSignInput, responses=CheckpointSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Give go or no go in your role (IT chief or vendor advisor); giving it again replaces it. Only once
        the checkpoint's predecessors are done, else with ``override_reason``; both roles' go passes it (done).
        The answer says who is still missing (``missing_signoffs``, ``missing_text``)."""
        step = self.get_object()
        self.require(Action.SIGN_CHECKPOINT, merger_id=step.merger_id, obj=step)
        data = CheckpointSignInput(data=request.data)
        data.is_valid(raise_exception=True)
        with atomic_write():
            locked = self.locked(step)
            checkpoint_sign(
                step=locked, actor=request.user, decision=data.validated_data["decision"],
                comment=data.validated_data["comment"], override_reason=data.validated_data["override_reason"],
            )
        return self.object_response(step)
