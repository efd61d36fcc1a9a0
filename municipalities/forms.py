"""Forms of the merger and settings pages."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from core.formats import day
from core.validation import PLANNING_DATE_MAX, PLANNING_DATE_MIN, planning_date_validator

from .models import DispensationStatus


class ApiTokenForm(forms.Form):
    """A new personal API token."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “reporting”."))
    read_only = forms.BooleanField(label=_("Read-only"), required=False)
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"), required=False, min_value=1, max_value=3650,
        help_text=_("Leave empty for a token that does not expire."),
    )

    def add_application_error(self, exc: ApplicationError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class DispensationForm(forms.Form):
    """The Interior Ministry's answer on an early (rolling) merger, as the IT chief records it."""

    dispensation_status = forms.ChoiceField(label=_("Dispensation status"), choices=DispensationStatus.choices)
    dispensation_date = forms.DateField(
        label=_("Dispensation date"), required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "min": PLANNING_DATE_MIN.isoformat(), "max": PLANNING_DATE_MAX.isoformat()},
            format="%Y-%m-%d",
        ),
        help_text=_("Earliest allowed cutover: requested while applied for, granted when granted."),
        validators=[planning_date_validator],
    )
    dispensation_reference = forms.CharField(
        label=_("Decision reference"), required=False, max_length=200,
        help_text=_("E.g. the ministry's letter and journal number."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, window: tuple[dt.date, dt.date] | None = None, **kwargs):
        """``window``: the merger's dispensation window (first, last day), offered by the date picker and
        named in the help text; the service enforces it."""
        super().__init__(*args, **kwargs)
        if window is not None:
            first, last = window
            field = self.fields["dispensation_date"]
            field.widget.attrs.update({"min": first.isoformat(), "max": last.isoformat()})
            field.help_text = _(
                "Earliest allowed cutover: requested while applied for, granted when granted. From %(first)s "
                "to %(last)s."
            ) % {"first": day(first), "last": day(last)}

    def add_application_error(self, exc: ApplicationError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)
