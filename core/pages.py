"""Small helpers every server-rendered page uses: a safe "next" URL, a form submitted to a service (its
refusal shown on the form with its status code), and whether the request came from htmx."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError

T = TypeVar("T")


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL of the request when it points at this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return fallback


def form_refusal(form, exc: ApplicationError) -> int:
    """Show a service's refusal on the form (on its field where it names one) and return the status:
    403 not allowed, 409 changed by someone else meanwhile, 422 a rule of the domain said no."""
    if isinstance(exc, PermissionDeniedError | ConflictError):
        form.add_error(None, exc.message)
        return 403 if isinstance(exc, PermissionDeniedError) else 409
    form.add_application_error(exc)
    return 422


def form_submit(form, act: Callable[[dict], T]) -> tuple[T | None, int | None]:
    """Validate ``form`` and run ``act(cleaned_data)`` (a service call): ``(its result, None)`` when it went
    through; else ``(None, the status to answer with)``, the refusal shown on the form — 422 invalid input, or
    :func:`form_refusal`'s."""
    if not form.is_valid():
        return None, 422
    try:
        return act(form.cleaned_data), None
    except ApplicationError as exc:
        return None, form_refusal(form, exc)


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))
