"""The audit trail of logins and API token use: :class:`audit.models.Event` rows without a merger.

Verbs (:class:`audit.events.Verb`): ``login_succeeded`` (actor: the user), ``login_failed`` (no actor; the
target is the account tried, or for a username that does not exist the user model with ``object_id`` 0 and
the name tried as ``object_repr``), ``login_locked_out`` (once per account within the cool-off),
``token_used`` (actor: the token's owner; at most once per token per ``TOKEN_USE_EVENT_INTERVAL``).
"""
from __future__ import annotations

import datetime as dt
import logging

from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.dispatch import receiver
from django.utils import timezone

from audit.events import (
    Target,
    Verb,
    login_failed_event,
    login_locked_out_event,
    login_succeeded_event,
    target_of,
    token_used_event,
)
from audit.models import Event

logger = logging.getLogger(__name__)


def _address(request) -> str:
    if request is None:
        return "?"
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or "?"


def _path(request) -> str:
    return getattr(request, "path", "") or "?"


def _account(username: str | None) -> Target:
    """The account ``username`` names as an event's target; id 0 when there is none."""
    User = get_user_model()
    content_type = ContentType.objects.get_for_model(User)
    username = (username or "").strip()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    return Target(content_type, (user.pk if user else 0), (username or "?")[:250])


@receiver(user_logged_in, dispatch_uid="logins_record_login_succeeded")
def record_login_succeeded(sender, request, user, **kwargs) -> None:
    login_succeeded_event(user=user, address=_address(request), path=_path(request))


@receiver(user_login_failed, dispatch_uid="logins_record_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Every failed attempt, also those refused because the account or address is locked out."""
    login_failed_event(
        account=_account(credentials.get(get_user_model().USERNAME_FIELD)),
        address=_address(request),
        path=_path(request),
        locked_out=request is not None and getattr(request, "axes_locked_out", False),
    )


@receiver(user_locked_out, dispatch_uid="logins_record_locked_out")
def record_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """Once per account and cool-off: Axes signals every attempt made while locked out."""
    account = _account(username)
    cool_off = lockout_duration()
    recent = Event.objects.filter(
        verb=Verb.LOGIN_LOCKED_OUT, content_type=account.content_type, object_id=account.object_id,
        object_repr=account.object_repr, created_at__gte=timezone.now() - cool_off,
    )
    if recent.exists():
        return
    login_locked_out_event(
        account=account,
        minutes=lockout_minutes(),
        failures=getattr(request, "axes_failures_since_start", None) or settings.AXES_FAILURE_LIMIT,
        address=ip_address or _address(request),
    )


def record_token_used(token) -> Event | None:
    """One ``token_used`` event per token per ``TOKEN_USE_EVENT_INTERVAL``. Called by the bearer-token
    authentication only when it wins the (conditional) ``last_used_at`` update, so at most once per token
    per few minutes; the check for a recent event keeps it to one row per interval."""
    interval = getattr(settings, "TOKEN_USE_EVENT_INTERVAL", dt.timedelta(hours=1))
    recent = Event.objects.filter(
        verb=Verb.TOKEN_USED, content_type=target_of(token).content_type, object_id=token.pk,
        created_at__gte=timezone.now() - interval,
    )
    if recent.exists():
        return None
    return token_used_event(token=token)


def lockout_duration() -> dt.timedelta:
    return get_cool_off() or dt.timedelta(0)


def lockout_minutes() -> int:
    return max(1, -(-int(lockout_duration().total_seconds()) // 60))
