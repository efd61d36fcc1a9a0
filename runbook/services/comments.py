"""Commenting on a step."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import comment_added_event
from core.exceptions import ApplicationError, PermissionDeniedError
from municipalities.permissions import Action, merger_access
from runbook.models import Comment, Step


@transaction.atomic
def comment_add(*, step: Step, author, body: str) -> Comment:
    """Add ``author``'s comment to ``step`` (a member who may comment in the merger); recorded."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write a comment."), field="body")
    if len(body) > 10_000:
        raise ApplicationError(_("The comment is too long (at most 10,000 characters)."), field="body")
    merger_id = step.runbook.merger_id
    if not merger_access(author, merger_id).allows(Action.COMMENT):
        raise PermissionDeniedError(_("You may not comment in this merger."))
    comment = Comment.objects.create(step=step, author=author, body=body)
    comment_added_event(step=step, actor=author, merger_id=merger_id, body=body)
    return comment

