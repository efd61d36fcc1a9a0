"""API views of runbooks, steps, milestones and what hangs on them.

Every queryset goes through ``municipalities.permissions.restrict`` (outside the user's mergers: 404);
every write asks the policy (403) and then calls a service inside one transaction with the If-Match check.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from icalendar import Calendar
from icalendar import Event as ICalEvent
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api.support import (
    BearerTokenAuthentication,
    CSVRenderer,
    ETagMixin,
    FeedTokenAuthentication,
    ICalRenderer,
    PolicyMixin,
    ReadOnlyTokenPermission,
    ValuesListMixin,
    atomic_write,
)
from runbook.api.list_etags import ListETagMixin, early_not_modified, list_etag, not_modified, scoped_stamp
from municipalities.models import Merger, Municipality
from municipalities.permissions import Action, restrict
from runbook.baselines import LATEST_ENTRY_ORDER
from runbook.models import (
    BaselineEntry,
    CalendarRule,
    CheckpointSignoff,
    Comment,
    Dependency,
    Event,
    FreezeWindow,
    Phase,
    Runbook,
    Step,
    StepKind,
    Wave,
)
from runbook.plan_services import step_create, step_delete
from runbook.services import (
    calendar_entry_delete,
    calendar_entry_save,
    calendar_may_change,
    checkpoint_sign,
    comment_add,
    dependency_add,
    dependency_remove,
    step_transition,
    step_update,
)
from systems.models import Domain, Vendor

from .filters import CommentFilter, DependencyFilter, EventFilter, MilestoneFilter, StepFilter, WaveFilter
from .serializers import (
    CalendarRuleInput,
    CalendarRuleSerializer,
    CheckpointSerializer,
    CheckpointSignInput,
    CommentCreateInput,
    CommentSerializer,
    DependencyCreateInput,
    DependencySerializer,
    EventSerializer,
    FreezeWindowInput,
    FreezeWindowSerializer,
    MilestoneSerializer,
    RunbookSerializer,
    StepCreateInput,
    StepSerializer,
    StepTransitionInput,
    StepUpdateInput,
    WaveSerializer,
)

MILESTONE_KINDS = (StepKind.MILESTONE, StepKind.CHECKPOINT, StepKind.CUTOVER)
#: Fields whose change moves a step in the calendar (counted into the iCal SEQUENCE).
DATE_FIELDS = ("planned_start", "planned_finish", "go_live")


def _column(model, fk: str, column: str) -> Subquery:
    return Subquery(model.objects.filter(pk=OuterRef(fk)).order_by().values(column)[:1])


def annotate_steps(qs):
    """The flat annotations the step serializers read (codes and names of related rows).

    Scalar subqueries rather than joins: each LEFT JOIN roughly doubled PostgreSQL's planning time
    (five of them made planning 25 ms of a 30 ms query); a subquery per column plans in microseconds.
    """
    return qs.annotate(
        merger_id=F("runbook__merger"),
        phase_number=_column(Phase, "phase_id", "number"),
        municipality_code=_column(Municipality, "assignee_municipality_id", "code"),
        vendor_code=_column(Vendor, "assignee_vendor_id", "code"),
        domain_code=_column(Domain, "domain_id", "code"),
        wave_name=_column(Wave, "wave_id", "name"),
    )


def annotate_milestones(qs):
    """Step annotations plus the planned date and the latest baseline's date."""
    latest_baseline = BaselineEntry.objects.filter(step=OuterRef("pk")).order_by(*LATEST_ENTRY_ORDER)
    return annotate_steps(qs).annotate(
        planned_date=Coalesce("go_live", "planned_finish", "planned_start"),
        baseline_date=Subquery(latest_baseline.values("planned_finish")[:1]),
    )


def steps_in_scope(user, *, annotated: bool = True):
    """Steps of the user's mergers (with the serializers' annotations unless ``annotated`` is False)."""
    qs = restrict(Step.objects.all(), user, merger_path="runbook__merger")
    return annotate_steps(qs) if annotated else qs


def milestones_in_scope(user, *, annotated: bool = True):
    """Milestones, checkpoints and cutovers of the user's mergers, with planned and baseline date."""
    qs = steps_in_scope(user, annotated=False).filter(kind__in=MILESTONE_KINDS)
    return annotate_milestones(qs) if annotated else qs


def runbooks_in_scope(user):
    """Runbooks of the user's mergers (the scope of the lists' ETag stamp)."""
    return restrict(Runbook.objects.all(), user, merger_path="merger")


def _values_map(serializer_class) -> dict[str, str]:
    """Output key → ``values()`` name, from a step serializer's fields (sources as the serializer reads)."""
    mapping = {}
    for name, field in serializer_class().fields.items():
        source = field.source if field.source not in (None, "*") else name
        mapping[name] = source
    return mapping


CSV_RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]


class RunbookViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RunbookSerializer
    filterset_fields = ["merger"]
    ordering_fields = ["id", "created_at"]
    ordering = ["merger__name"]

    def get_queryset(self):
        return restrict(Runbook.objects.select_related("template"), self.request.user, merger_path="merger")


class WaveViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = WaveSerializer
    filterset_class = WaveFilter
    ordering_fields = ["number", "target_date", "milestone_date"]
    ordering = ["runbook", "number"]

    def get_queryset(self):
        return restrict(Wave.objects.select_related("runbook"), self.request.user, merger_path="runbook__merger")


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


class DependencyViewSet(
    ETagMixin, PolicyMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Successor waits for predecessor. Create and delete are the IT chief's (cycles are refused)."""

    serializer_class = DependencySerializer
    filterset_class = DependencyFilter
    ordering_fields = ["id"]
    ordering = ["runbook", "id"]

    def get_queryset(self):
        return restrict(Dependency.objects.select_related("runbook"), self.request.user, merger_path="runbook__merger")

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


class CommentViewSet(ETagMixin, PolicyMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    search_fields = ["body"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        qs = Comment.objects.select_related("author", "step__runbook")
        return restrict(qs, self.request.user, merger_path="step__runbook__merger")

    @extend_schema(request=CommentCreateInput, responses={201: CommentSerializer})
    def create(self, request, *args, **kwargs):
        data = CommentCreateInput(data=request.data, steps=steps_in_scope(request.user))
        data.is_valid(raise_exception=True)
        step = data.validated_data["step"]
        self.require(Action.COMMENT, merger_id=step.merger_id)
        comment = comment_add(step=step, author=request.user, body=data.validated_data["body"])
        return self.object_response(comment, status_code=status.HTTP_201_CREATED)


class EventViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    """The audit trail of the user's mergers (read-only)."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    search_fields = ["object_repr", "message"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return restrict(Event.objects.select_related("actor", "content_type"), self.request.user, merger_path="merger")


# --- Calendar: freeze windows and recurring rules -------------------------------------------------------


def calendar_in_scope(model, user):
    """National windows or rules (no merger) for everyone signed in; a merger's own within the user's scope."""
    if not getattr(user, "is_authenticated", False):
        return model.objects.none()
    qs = model.objects.select_related("vendor", "domain")
    if user.is_superuser:
        return qs
    return qs.filter(Q(merger__isnull=True) | Q(merger__in=restrict(Merger.objects.all(), user, merger_path="id")))


class _CalendarViewSet(
    ETagMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Shared by freeze windows and calendar rules: read by everyone who reads a merger (national ones by
    all); written by the merger's IT chief (its own) or staff (national), through the calendar services."""

    model = None
    input_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return calendar_in_scope(self.model, self.request.user)

    def _input(self, *, partial: bool):
        mergers = restrict(Merger.objects.all(), self.request.user, merger_path="id")
        return self.input_class(data=self.request.data, mergers=mergers, partial_input=partial)

    def _require(self, merger_id):
        if not calendar_may_change(self.request.user, merger_id):
            from rest_framework import exceptions

            raise exceptions.PermissionDenied(_("You do not have permission to do this."))

    def create(self, request, *args, **kwargs):
        data = self._input(partial=False)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        self._require(getattr(values.get("merger"), "pk", None))
        obj = calendar_entry_save(model=self.model, actor=request.user, data=values)
        return self.object_response(obj, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        self._require(obj.merger_id)
        data = self._input(partial=True)
        data.is_valid(raise_exception=True)
        with atomic_write():
            locked = self.locked(obj)
            obj = calendar_entry_save(model=self.model, obj=locked, actor=request.user,
                                      data=dict(data.validated_data))
        return self.object_response(obj)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        self._require(obj.merger_id)
        with atomic_write():
            locked = self.locked(obj)
            calendar_entry_delete(obj=locked, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=FreezeWindowInput, responses={201: FreezeWindowSerializer}),
    partial_update=extend_schema(request=FreezeWindowInput, responses=FreezeWindowSerializer),
)
class FreezeWindowViewSet(_CalendarViewSet):
    """Dated freeze windows (e.g. KMD's national closure 22.12.2006–1.1.2007); ``blocks`` says whether only
    go-lives or also the users' work are kept out."""

    model = FreezeWindow
    input_class = FreezeWindowInput
    serializer_class = FreezeWindowSerializer
    filterset_fields = ["merger", "blocks"]
    ordering_fields = ["start", "id"]
    ordering = ["start", "name", "id"]


@extend_schema_view(
    create=extend_schema(request=CalendarRuleInput, responses={201: CalendarRuleSerializer}),
    partial_update=extend_schema(request=CalendarRuleInput, responses=CalendarRuleSerializer),
)
class CalendarRuleViewSet(_CalendarViewSet):
    """Recurring calendar rules (fællesferie, payroll and payout runs, year-end closing), expanded into
    windows for every year a plan spans."""

    model = CalendarRule
    input_class = CalendarRuleInput
    serializer_class = CalendarRuleSerializer
    filterset_fields = ["merger", "kind", "blocks", "is_active"]
    ordering_fields = ["kind", "name", "id"]
    ordering = ["kind", "name", "id"]


# --- iCalendar ----------------------------------------------------------------------------------------


class _FirstRenderer(BaseContentNegotiation):
    """A calendar feed answers text/calendar whatever the client's Accept says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def milestone_calendar(merger: Merger, steps) -> bytes:
    """The merger's milestones, checkpoints and cutovers as an RFC 5545 calendar of all-day events.

    UIDs are stable (``step-<id>@mergeplan``); SEQUENCE grows whenever the step changes (its version)
    or its dates move (events recorded with planned-date changes), so subscribers replace the event.
    """
    steps = list(steps)
    step_type = ContentType.objects.get_for_model(Step)
    date_moved = Q()
    for name in DATE_FIELDS:
        date_moved |= Q(changes__has_key=name)
    moves = dict(
        Event.objects.filter(merger=merger, content_type=step_type, object_id__in=[s.pk for s in steps])
        .filter(date_moved)
        .values("object_id")
        .annotate(n=Count("id"))
        .values_list("object_id", "n")
    )
    cal = Calendar()
    cal.add("prodid", "-//mergeplan//milestones//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("%(merger)s: milestones") % {"merger": merger.name})
    cal.add("x-wr-timezone", "Europe/Copenhagen")
    for step in steps:
        day = step.planned_date or step.deadline
        if day is None:
            continue
        event = ICalEvent()
        event.add("uid", f"step-{step.pk}@mergeplan")
        event.add("dtstamp", (step.updated_at or timezone.now()).astimezone(dt.UTC))
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", f"{step.get_kind_display()}: {step.display_name()}")
        description = [_("Status: %(status)s") % {"status": step.get_status_display()}]
        if step.total_slack is not None:
            description.append(_("Slack: %(n)s working days") % {"n": step.total_slack})
        if step.is_critical:
            description.append(_("On the critical path"))
        if step.wave_name:
            description.append(_("Wave: %(wave)s") % {"wave": step.wave_name})
        event.add("description", "\n".join(description))
        event.add("categories", [step.kind])
        event.add("sequence", (step.version - 1) + moves.get(step.pk, 0))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def _feed_stamp(user, merger_id):
    """The feed's stamp scope: the merger's milestones and runbook, within the user's mergers."""
    return (
        milestones_in_scope(user, annotated=False).filter(runbook__merger_id=merger_id),
        runbooks_in_scope(user).filter(merger_id=merger_id),
    )


class MilestoneCalendarView(APIView):
    """``/api/v1/mergers/{id}/milestones.ics`` — a calendar subscription of the merger's milestones.

    Works with the session, a Bearer token, or a feed token in the URL (``?token=``: read-only,
    revocable, no session needed).
    """

    authentication_classes = [FeedTokenAuthentication, BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, ReadOnlyTokenPermission]
    renderer_classes = [ICalRenderer]
    content_negotiation_class = _FirstRenderer

    def dispatch(self, request, *args, **kwargs):
        early = early_not_modified(request, self, "milestones-ics", _feed_stamp, merger_id=kwargs.get("pk"),
                                   accepted=None)
        if early is not None:
            early["Cache-Control"] = "private, max-age=300"
            return early
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                                     description="Calendar feed token")],
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.BINARY, description="iCalendar feed")},
    )
    def get(self, request, pk: int):
        # If-None-Match: one query (the stamp of this merger's milestones within the user's scope), no rows
        etag = list_etag(request, "milestones-ics", scoped_stamp("milestones-ics", _feed_stamp, request.user, pk))
        cached = not_modified(request, etag)
        if cached is not None:
            cached["Cache-Control"] = "private, max-age=300"
            return cached
        merger = restrict(Merger.objects.all(), request.user, merger_path="id").filter(pk=pk).first()
        if merger is None:
            raise Http404
        steps = milestones_in_scope(request.user).filter(runbook__merger=merger).order_by("sequence", "id")
        body = milestone_calendar(merger, steps)
        response = Response(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="milestones-{merger.code}.ics"'
        response["Cache-Control"] = "private, max-age=300"
        response["ETag"] = etag
        return response
