"""The API's exception handler: the domain's exceptions as HTTP answers (``EXCEPTION_HANDLER`` in the
settings). Its own module: it builds on ``rest_framework.views``, whose import reads the REST framework
settings and imports the classes they name (authentication, permissions, throttle, pagination, filters),
so none of their modules may import this one."""
from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError


def exception_handler(exc, context):
    """Map the domain's exceptions to HTTP: field messages on 400, 403, 409/412, 413; never a 500
    for bad input."""
    request = context.get("request")
    if isinstance(exc, ConflictError):
        code = 412 if request is not None and request.headers.get("If-Match") else 409
        return Response({"detail": exc.message, **exc.as_dict()}, status=code)
    if isinstance(exc, PermissionDeniedError):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ApplicationError):
        body = exc.as_dict()
        if exc.extra:
            body["extra"] = exc.extra
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _("The request is too large.")}, status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": _("Bad request.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, UnicodeDecodeError):
        return Response({"detail": _("The request is not valid UTF-8.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
