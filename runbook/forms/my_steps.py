"""Forms of "my steps": the filters (GET) and the bulk status change (POST). Shape only; the rules are the
services'."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from runbook.models import StepKind, StepStatus

#: The status filter's own values besides the statuses: open (the default) and everything.
OPEN, EVERY = "open", "all"
#: Due windows: overdue, or due within so many days from today.
DUE_CHOICES = [
    ("", _("Any time")),
    ("overdue", _("Overdue")),
    ("7", _("Due within 7 days")),
    ("14", _("Due within 14 days")),
    ("30", _("Due within 30 days")),
]
#: The most steps one bulk change may name (a page holds 50).
BULK_MAX = 200


class MyStepsFilterForm(forms.Form):
    """The filters of "my steps". Choices come from the user's mergers and their drejebog's phases."""

    merger = forms.TypedChoiceField(label=_("Merger"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    phase = forms.TypedChoiceField(label=_("Phase"), required=False, coerce=int, empty_value=None)
    due = forms.ChoiceField(label=_("Due"), required=False, choices=DUE_CHOICES)
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, data, *, mergers: list[tuple[int, str]], phases: list[tuple[int, str]], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["merger"].choices = [("", _("All"))] + mergers
        self.fields["status"].choices = [("", pgettext_lazy("steps", "Open")), (EVERY, _("All"))] + list(
            StepStatus.choices)
        self.fields["phase"].choices = [("", _("All"))] + phases
        self.fields["kind"].choices = [("", _("All"))] + list(StepKind.choices)

    def filters(self) -> dict:
        """The cleaned filters; a value that is not a choice is ignored (a filter never fails the page)."""
        if not self.is_valid():
            return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return self.cleaned_data


class BulkTransitionForm(forms.Form):
    """Move several steps to one status. Each chosen step travels with the version the user read
    (``v-<id>``), so a step changed meanwhile is refused, never overwritten."""

    status = forms.ChoiceField(label=_("New status"), choices=StepStatus.choices)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        help_text=_("Needed when blocking steps or reopening done ones."),
    )
    override_reason = forms.CharField(
        label=_("Override reason"), required=False, max_length=2000,
        help_text=_("Finish anyway although predecessors or sign-offs are missing: say why."),
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.chosen: list[tuple[int, int | None]] = []

    def clean(self):
        cleaned = super().clean()
        raw = self.data.getlist("step") if hasattr(self.data, "getlist") else []
        chosen: list[tuple[int, int | None]] = []
        for value in raw:
            try:
                pk = int(value)
            except (TypeError, ValueError):
                raise forms.ValidationError(_("“%(value)s” is not a step."), params={"value": value[:20]}) from None
            version = self.data.get(f"v-{pk}")
            try:
                version = int(version)
            except (TypeError, ValueError):
                raise forms.ValidationError(
                    _("The version of step %(id)d is missing: reload the page and try again."), params={"id": pk}
                ) from None
            if pk not in dict(chosen):
                chosen.append((pk, version))
        if not chosen:
            raise forms.ValidationError(_("Choose at least one step."), code="step")
        if len(chosen) > BULK_MAX:
            raise forms.ValidationError(_("Choose at most %(n)d steps at a time."), params={"n": BULK_MAX})
        self.chosen = chosen
        return cleaned
