"""The API's own error answers besides DRF's: 412/428 for a write's ``If-Match`` precondition, and the JSON
404 for a path under ``/api/`` that no URL pattern matches (``handler404``)."""
from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy
from django.views.defaults import page_not_found
from rest_framework import exceptions, status


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The object was changed by someone else. Reload and try again.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    """A write to a versioned object without ``If-Match``: it could silently overwrite someone's change."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = gettext_lazy(
        "Send If-Match with the ETag from your last read; GET the object, then send its ETag header back, "
        "so that nobody's change is overwritten unnoticed."
    )
    default_code = "precondition_required"


def not_found(request, exception=None):
    """``handler404``: under ``/api/`` a JSON 404 like the API's own (a path no URL pattern matches, such as
    ``/api/v1/steps/1.5/``); the feed's path answers in the feed's content type; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        body = json.dumps({"detail": force_str(exceptions.NotFound.default_detail)})
        content_type = "text/calendar" if request.path.endswith(".ics") else "application/json"
        return HttpResponse(body, status=404, content_type=content_type)
    return page_not_found(request, exception)
