"""Forms of the runbook pages. They only check the shape of the input; the rules live in the services."""
from __future__ import annotations

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from runbook.models import SignoffDecision, StepStatus


class ApplicationErrorFormMixin:
    """Puts a service's ApplicationError on the field it names (or on the form), keeping the input."""

    def add_application_error(self, exc: ApplicationError) -> None:
        field = exc.field if exc.field in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, exc.message)  # type: ignore[attr-defined]


class StepFilterForm(forms.Form):
    """The filters of the runbook and the timeline (GET). Choices are filled in from the merger."""

    phase = forms.TypedChoiceField(label=_("Phase"), required=False, coerce=int, empty_value=None)
    municipality = forms.TypedChoiceField(label=_("Municipality"), required=False, coerce=int, empty_value=None)
    domain = forms.TypedChoiceField(label=_("Domain"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    critical = forms.BooleanField(label=_("Critical only"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)
    conversion = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, phases, municipalities, domains, with_status: bool = True, **kwargs):
        super().__init__(data, **kwargs)
        every = [("", _("All"))]
        self.fields["phase"].choices = every + [(p["id"], p["label"]) for p in phases]
        self.fields["municipality"].choices = every + [(m["id"], m["label"]) for m in municipalities]
        self.fields["domain"].choices = every + [(d["id"], d["label"]) for d in domains]
        self.fields["status"].choices = every + list(StepStatus.choices)
        if not with_status:
            del self.fields["status"]
            del self.fields["mine"]

    def filters(self) -> dict:
        """The cleaned filters; invalid values are ignored (a filter never fails a page)."""
        if not self.is_valid():
            return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return self.cleaned_data


class StepTransitionForm(ApplicationErrorFormMixin, forms.Form):
    """Change a step's status. The override reason lets a step finish before its predecessors."""

    status = forms.ChoiceField(
        label=_("New status"), choices=StepStatus.choices,
        error_messages={"required": _("Choose the new status.")},
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        help_text=_("Needed when blocking a step or reopening a done one."),
    )
    override_reason = forms.CharField(
        label=_("Override reason"), required=False, max_length=2000,
        help_text=_("Finish anyway although predecessors or sign-offs are missing: say why."),
    )
    confirm = forms.BooleanField(
        label=_("Yes, the step is finished"), required=False,
        help_text=_("Needed when the new status is Done."),
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1,
        error_messages={"required": _("The form lacks the step's version: reload the page and try again.")},
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            # no status is chosen for the user: one careless click must not finish a step
            self.fields["status"].choices = [("", _("Choose…"))] + [(s, StepStatus(s).label) for s in allowed]
        self.fields["status"].widget.attrs["data-confirm-done"] = _("Is the step finished? It will be marked done.")

    def is_stale(self, current_version: int) -> bool:
        """True when the form was filled in on an older version of the step than ``current_version``
        (checked before the status choices, which follow the step's current status)."""
        try:
            posted = self.fields["version"].clean(self.data.get("version"))
        except forms.ValidationError:
            return False
        return posted != current_version

    def refuse_as_stale(self, message: str) -> None:
        """Show only ``message``: the other field errors came from the choices of the newer version."""
        self.cleaned_data = {}
        self._errors = ErrorDict()
        self.add_error(None, message)


class CommentForm(ApplicationErrorFormMixin, forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class SignoffForm(ApplicationErrorFormMixin, forms.Form):
    """Go or no go on a checkpoint, with a comment (required for no go)."""

    decision = forms.ChoiceField(label=_("Decision"), choices=SignoffDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label=_("Override reason"), required=False, max_length=2000,
        help_text=_("Decide before the predecessors are done: say why."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    next = forms.CharField(widget=forms.HiddenInput, required=False)


class StepPinForm(ApplicationErrorFormMixin, forms.Form):
    """Pin a step's start on the timeline ("start no earlier than"), or clear the pin (``clear``)."""

    step = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1,
        error_messages={"required": _("The form lacks the step's version: reload the page and try again.")},
    )
    not_before = forms.DateField(
        label=_("Start no earlier than"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
    )
    clear = forms.BooleanField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("clear") and not data.get("not_before") and "not_before" not in self.errors:
            self.add_error("not_before", _("Give the date the step may start at the earliest."))
        return data
