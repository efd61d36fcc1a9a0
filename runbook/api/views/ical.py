"""The milestone calendar feed: ``/api/v1/mergers/{id}/milestones.ics``, a merger's milestones,
checkpoints and cutovers as an RFC 5545 calendar that calendar apps subscribe to (session, Bearer token,
or a read-only feed token in the URL). A polling client's ``If-None-Match`` is answered 304 from a version
stamp, before the rows are read.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from icalendar import Calendar
from icalendar import Event as ICalEvent
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import Event
from core.api.etags import not_modified
from core.api.renderers import ICalRenderer
from municipalities.api.authentication import BearerTokenAuthentication, FeedTokenAuthentication
from municipalities.api.permissions import ReadOnlyTokenPermission
from municipalities.models import Merger
from runbook.api.list_etags import early_not_modified, list_etag, scoped_stamp
from runbook.api.querysets import mergers_in_scope, milestones_in_scope, runbooks_in_scope
from runbook.models import Step

#: Fields whose change moves a step in the calendar (counted into the iCal SEQUENCE).
DATE_FIELDS = ("planned_start", "planned_finish", "go_live")


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
        merger = mergers_in_scope(request.user).filter(pk=pk).first()
        if merger is None:
            raise Http404
        steps = milestones_in_scope(request.user).filter(runbook__merger=merger).order_by("sequence", "id")
        body = milestone_calendar(merger, steps)
        response = Response(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="milestones-{merger.code}.ics"'
        response["Cache-Control"] = "private, max-age=300"
        response["ETag"] = etag
        return response
