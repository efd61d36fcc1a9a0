"""The one rule for dates a plan may hold: within 1990-01-01 … 2100-12-31.

Every date field of the models (so the admin and ``full_clean``), the pages' forms, the API's input
serializers and its date filters use :data:`planning_date_validator`; services that write without
``full_clean`` check :func:`planning_date_ok`. A date far outside the range (9999-12-31, 0001-01-01) makes
the engine and its calendar overflow, and no municipal merger is planned outside it. Data stored before
the rule (or written around it) is caught by the planner: ``runbook.planning`` records an "unplannable"
finding on that merger and plans the others.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

PLANNING_DATE_MIN = dt.date(1990, 1, 1)
PLANNING_DATE_MAX = dt.date(2100, 12, 31)


def planning_date_ok(value: dt.date | None) -> bool:
    """True for None and for a date within the planning range."""
    if value is None:
        return True
    if isinstance(value, dt.datetime):
        value = value.date()
    return PLANNING_DATE_MIN <= value <= PLANNING_DATE_MAX


def _range_params() -> dict[str, str]:
    return {"min": date_format(PLANNING_DATE_MIN), "max": date_format(PLANNING_DATE_MAX)}


def planning_date_message() -> str:
    """The refusal in words, in the active language (for services that raise ``ApplicationError``)."""
    return str(PlanningDateValidator.message) % _range_params()


@deconstructible(path="core.validation.PlanningDateValidator")
class PlanningDateValidator:
    """Refuses a date before :data:`PLANNING_DATE_MIN` or after :data:`PLANNING_DATE_MAX`."""

    code = "date_out_of_range"
    message = _("Give a date between %(min)s and %(max)s.")

    def __call__(self, value) -> None:
        if not planning_date_ok(value):
            raise ValidationError(self.message, code=self.code, params=_range_params())

    def __eq__(self, other) -> bool:
        return isinstance(other, PlanningDateValidator)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


planning_date_validator = PlanningDateValidator()
