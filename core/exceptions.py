"""The domain's refusals: ``ApplicationError`` (a rule said no: 400, naming the field) and its two kinds,
``PermissionDeniedError`` (403) and ``ConflictError`` (412/409). Services raise them; the API's exception
handler (core.api.errors) answers them, and the pages show them on the form (core.pages.form_refusal)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class ApplicationError(Exception):
    """A rule of the domain said no. ``field`` names the input that caused it, when there is one."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid", extra=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        key = self.field or "non_field_errors"
        return {key: [self.message]}


def clean_or_refuse(obj, **kwargs) -> None:
    """``obj.full_clean(**kwargs)`` (``validate_unique`` off unless given), its first field error raised as
    an ``ApplicationError`` naming that field: the services' one way from model validation to a 400."""
    kwargs.setdefault("validate_unique", False)
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        first_field, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(messages[0], field=first_field) from exc



def refuse_unknown_fields(data: Mapping, allowed: Iterable[str]) -> None:
    """A service's input may name only the fields it changes: the first unknown one is refused by name."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])


class PermissionDeniedError(ApplicationError):
    """The user may see the object but not do this to it (403)."""

    def __init__(self, message: str = "", **kwargs):
        super().__init__(message or "You do not have permission to do this.", code="permission_denied", **kwargs)


class ConflictError(ApplicationError):
    """Someone else changed the object since it was read (412 / 409)."""

    def __init__(self, message: str = "", **kwargs):
        super().__init__(message or "The object was changed by someone else.", code="conflict", **kwargs)
