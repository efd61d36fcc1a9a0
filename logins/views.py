"""The answer to a login attempt while the account or address is locked out (``AXES_LOCKOUT_CALLABLE``)."""
from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from .audit import lockout_duration, lockout_minutes


def lockout_response(request, original_response=None, credentials=None):
    """429 Too Many Requests, ``Retry-After`` the cool-off, and the login card with a clear message.

    429 rather than 403: nothing is wrong with the account's rights; the client should wait and retry.
    """
    login_url = request.path  # the login page that was posted to: the site's or the admin's
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": lockout_minutes(), "login_url": login_url},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    seconds = int(lockout_duration().total_seconds())
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
