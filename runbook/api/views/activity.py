"""API views of what people say and do about a plan: comments on steps (anyone who may comment) and the
merger's audit trail (read-only).

Every queryset goes through ``Model.objects.restrict(user)`` (outside the user's mergers: 404).
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets

from audit.models import Event
from core.api.etags import ETagMixin
from municipalities.api.permissions import PolicyMixin
from municipalities.permissions import Action
from runbook.api.filters import CommentFilter, EventFilter
from runbook.api.querysets import steps_in_scope
from runbook.api.serializers import CommentCreateInput, CommentSerializer, EventSerializer
from runbook.models import Comment
from runbook.services import comment_add


class CommentViewSet(ETagMixin, PolicyMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    search_fields = ["body"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return Comment.objects.select_related("author", "step__runbook").restrict(self.request.user)

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
        return Event.objects.select_related("actor", "content_type").restrict(self.request.user)
