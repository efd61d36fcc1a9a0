"""Personal API tokens and calendar feed tokens: create, revoke, and the feed's URL.

Only a token's SHA-256 (``hash_token``) and a short prefix are stored; the raw value is returned once by
the create functions and never again. Creating and revoking a token leaves a log line and an audit Event
(``api_token_created`` … ``feed_token_revoked``); tokens belong to no merger, so the Event has none.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from audit.events import (
    api_token_created_event,
    api_token_revoked_event,
    feed_token_created_event,
    feed_token_revoked_event,
)
from core.exceptions import ApplicationError, PermissionDeniedError

from .models import ApiToken, FeedToken, hash_token
from .permissions import may_manage_token

logger = logging.getLogger(__name__)

PREFIX_LENGTH = 8


def _new_raw(kind: str) -> str:
    return f"mp{kind}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_token_create(
    *, user, name: str, read_only: bool = False, expires_days: int | None = None, actor=None
) -> tuple[ApiToken, str]:
    """Issue a personal API token for ``user``. Returns the token and its raw value (shown once).
    ``actor``: who issued it, when not the owner themself (an administrator)."""
    if not may_manage_token(user if actor is None else actor, ApiToken(user=user)):
        raise PermissionDeniedError(_("You do not have permission to do this."))
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the token a name."), field="name")
    if len(name) > 100:
        raise ApplicationError(_("The name is too long (at most 100 characters)."), field="name")
    if expires_days is not None and not (1 <= expires_days <= 3650):
        raise ApplicationError(_("Expiry must be between 1 and 3650 days."), field="expires_days")
    raw = _new_raw("a")
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:PREFIX_LENGTH + 4],
        key_hash=hash_token(raw),
        read_only=read_only,
        expires_at=timezone.now() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    api_token_created_event(token=token, actor=user if actor is None else actor)
    logger.info("API token %s (%s) created for user %s, read_only=%s", token.pk, token.prefix, user.pk, read_only)
    return token, raw


def _revoke(token, actor, label: str, record):
    """Revoke an API or feed token (its owner or a superuser) and ``record`` it. Revoking twice changes
    nothing."""
    if not may_manage_token(actor, token):
        raise PermissionDeniedError(_("You may only revoke your own tokens."))
    token = type(token).objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(token=token, actor=actor)
        logger.info("%s %s (%s) revoked by user %s", label, token.pk, token.prefix, getattr(actor, "pk", None))
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke an API token: clients using it get 401 from now on."""
    return _revoke(token, actor, "API token", api_token_revoked_event)


@transaction.atomic
def feed_token_create(*, user) -> tuple[FeedToken, str]:
    """Issue a calendar feed token for ``user``, revoking the user's earlier feed tokens."""
    now = timezone.now()
    earlier = list(FeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    FeedToken.objects.filter(pk__in=[t.pk for t in earlier]).update(revoked_at=now)
    for old in earlier:
        old.revoked_at = now
        feed_token_revoked_event(token=old, actor=user)
    raw = _new_raw("f")
    token = FeedToken.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:PREFIX_LENGTH + 4])
    feed_token_created_event(token=token, actor=user)
    logger.info("Feed token %s created for user %s", token.pk, user.pk)
    return token, raw


@transaction.atomic
def feed_token_revoke(*, token: FeedToken, actor) -> FeedToken:
    """Revoke a feed token: every calendar subscribed with it stops updating."""
    return _revoke(token, actor, "Feed token", feed_token_revoked_event)


def feed_url(request, merger_id: int, raw: str) -> str:
    """The subscription URL of a merger's milestone calendar with a feed token; absolute when a request
    is given."""
    path = reverse("api-merger-milestones-ics", kwargs={"pk": merger_id}) + "?" + urlencode({"token": raw})
    return request.build_absolute_uri(path) if request is not None else path
