"""Axes' database handler plus a limit per address across all accounts."""
from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes counts failures per account (``AXES_LOCKOUT_PARAMETERS``) against ``AXES_FAILURE_LIMIT``.

    One address trying many accounts (password spraying) is stopped too, at the higher
    ``LOGIN_ADDRESS_FAILURE_LIMIT`` (0 turns it off): a town hall behind one NAT address should not be locked
    out by a few colleagues' typos.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        address_limit = getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", 0)
        ip_address = getattr(request, "axes_ip_address", None)
        if not address_limit or not ip_address:
            return failures
        attempts = AccessAttempt.objects.filter(ip_address=ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        from_address = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        if from_address >= address_limit:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def client_ip_address(request) -> str | None:
    """``REMOTE_ADDR``, or behind ``LOGIN_TRUSTED_PROXY_COUNT`` reverse proxies the address the outermost
    of them saw (counted from the right of ``X-Forwarded-For``, so a client cannot forge it)."""
    proxies = getattr(settings, "LOGIN_TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
