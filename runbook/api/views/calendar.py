"""API views of the working calendar: dated freeze windows and recurring calendar rules. National ones
(no merger) are read by everyone signed in; a merger's own by whoever reads the merger. They are written
by the merger's IT chief (its own) or staff (national), through the calendar services, which replan.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from core.api.etags import ETagMixin, atomic_write
from runbook.api.querysets import mergers_in_scope
from runbook.api.serializers import (
    CalendarRuleInput,
    CalendarRuleSerializer,
    FreezeWindowInput,
    FreezeWindowSerializer,
)
from runbook.models import CalendarRule, FreezeWindow
from runbook.services import calendar_entry_delete, calendar_entry_save, calendar_may_change


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
        return self.model.objects.select_related("vendor", "domain").restrict(self.request.user)

    def _input(self, *, partial: bool):
        mergers = mergers_in_scope(self.request.user)
        return self.input_class(data=self.request.data, mergers=mergers, partial_input=partial)

    def _require(self, merger_id):
        if not calendar_may_change(self.request.user, merger_id):
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
