"""Forms of plan editing: a step's plan fields, a new step, a dependency. They check the shape of the input;
the rules (windows, cycles, who may) live in ``runbook.services`` and ``runbook.services.plan``."""
from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.validation import PLANNING_DATE_MAX, PLANNING_DATE_MIN, planning_date_validator
from municipalities.models import Municipality
from runbook.forms.steps import ApplicationErrorFormMixin
from runbook.models import DependencyType, Direction, Phase, PlanTag, StepKind, Wave
from runbook.services import PLAN_FIELDS
from systems.models import Domain, Vendor

#: The plan fields the runbook list edits in a row (the rest on the step's page).
ROW_FIELDS = ("duration_days", "assignee_municipality", "assignee_vendor", "deadline")


def _date_field(label, help_text=""):
    return forms.DateField(
        label=label, required=False, help_text=help_text, validators=[planning_date_validator],
        widget=forms.DateInput(
            attrs={"type": "date", "min": PLANNING_DATE_MIN.isoformat(), "max": PLANNING_DATE_MAX.isoformat()},
            format="%Y-%m-%d",
        ),
    )


class _UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class _StepFieldsForm(ApplicationErrorFormMixin, forms.Form):
    """The plan fields of a step, with choices from its merger and runbook."""

    name = forms.CharField(label=_("Name (Danish)"), max_length=250,
                           help_text=_("In the imperative, e.g. “Konvertér lønsystemet”."))
    name_en = forms.CharField(label=_("Name (English)"), max_length=250, required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=10_000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    duration_days = forms.IntegerField(label=_("Duration (working days)"), min_value=0, max_value=1000)
    owner = _UserChoiceField(label=_("Owner"), required=False, queryset=get_user_model().objects.none())
    assignee_municipality = forms.ModelChoiceField(
        label=_("Municipality"), required=False, queryset=Municipality.objects.none(),
    )
    assignee_vendor = forms.ModelChoiceField(label=_("Vendor"), required=False, queryset=Vendor.objects.none())
    deadline = _date_field(_("Deadline"), _("Finished at the latest on this day."))
    not_before = _date_field(_("Not before"), _("Starts at the earliest on this day."))
    target_date = _date_field(
        _("Target go-live"), _("Cutovers only; it must lie in the go-live window of the area's binding."),
    )
    direction = forms.ChoiceField(label=_("Scheduling"), choices=Direction.choices)
    wave = forms.ModelChoiceField(label=_("Wave"), required=False, queryset=Wave.objects.none())
    post_merger = forms.BooleanField(label=_("After the legal date"), required=False)
    needs_users = forms.BooleanField(label=_("Needs the users (not in holidays)"), required=False)
    plan_tag = forms.ChoiceField(label=_("Plan tag"), required=False, choices=PlanTag.choices)

    def __init__(self, *args, merger, runbook_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__merger=merger).distinct().order_by("first_name", "username")
        )
        self.fields["assignee_municipality"].queryset = merger.members.order_by("name")
        self.fields["assignee_vendor"].queryset = Vendor.objects.order_by("name")
        self.fields["wave"].queryset = Wave.objects.filter(runbook_id=runbook_id).order_by("number")

    def first_error_field(self) -> str | None:
        """The name of the first field with an error, in the order of the form; it gets ``autofocus`` (the
        browser, and htmx after a swap, move the focus there) and every field in error ``aria-invalid``.
        Without a field in error (a conflict, a refusal of the whole) the page focuses the form's errors."""
        first = None
        for name, field in self.fields.items():
            if name in self.errors:
                field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}_error"})
                if first is None:
                    field.widget.attrs["autofocus"] = True
                    first = name
        return first


class StepPlanForm(_StepFieldsForm):
    """Change a step's plan fields. ``version`` is the version the user read: an older one is a conflict.
    ``only`` keeps a few fields (the runbook row)."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1,
        error_messages={"required": _("The form lacks the step's version: reload the page and try again.")},
    )

    def __init__(self, *args, step, merger, only: tuple[str, ...] | None = None, **kwargs):
        kwargs.setdefault("initial", {**{name: getattr(step, name) for name in PLAN_FIELDS}, "version": step.version})
        super().__init__(*args, merger=merger, runbook_id=step.runbook_id, **kwargs)
        self.step = step
        if step.kind != StepKind.CUTOVER and not step.target_date:
            del self.fields["target_date"]
        if step.kind == StepKind.MILESTONE:
            self.fields["duration_days"].disabled = True
        if only is not None:
            for name in list(self.fields):
                if name not in only and name != "version":
                    del self.fields[name]

    def changes(self) -> dict:
        """The plan fields the user changed (what ``step_update`` is given)."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in PLAN_FIELDS}


class StepCreateForm(_StepFieldsForm):
    """A new step: where it goes (phase, area, municipality), what it is, and its plan fields."""

    phase = forms.ModelChoiceField(label=_("Phase"), queryset=Phase.objects.none())
    kind = forms.ChoiceField(label=pgettext_lazy("step", "Kind"), choices=StepKind.choices, initial=StepKind.TASK)
    domain = forms.ModelChoiceField(label=_("Area"), required=False, queryset=Domain.objects.none())

    field_order = ["name", "name_en", "phase", "kind", "domain", "assignee_municipality", "duration_days"]

    def __init__(self, *args, merger, runbook, **kwargs):
        kwargs.setdefault("initial", {"duration_days": 1, "direction": Direction.ASAP})
        super().__init__(*args, merger=merger, runbook_id=runbook.pk, **kwargs)
        self.fields["phase"].queryset = Phase.objects.filter(template_id=runbook.template_id).order_by("number")
        self.fields["phase"].label_from_instance = lambda p: f"{p.number}. {p.display_name()}"
        self.fields["domain"].queryset = (
            Domain.objects.filter(harmonisations__merger=merger).distinct().order_by("position", "code")
        )
        self.fields["domain"].label_from_instance = lambda d: d.display_name()
        self.fields["duration_days"].help_text = _("A milestone takes 0 days.")

    def values(self) -> dict:
        """What ``step_create`` is given: every field with a value."""
        data = dict(self.cleaned_data)
        data["plan_tag"] = data.get("plan_tag") or ""
        return {k: v for k, v in data.items() if v not in (None, "") or k in ("plan_tag", "name_en", "description")}


class DependencyAddForm(ApplicationErrorFormMixin, forms.Form):
    """Link this step with another of its runbook: which side it is on, the type and the lag."""

    SIDES = (
        ("predecessor", _("The chosen step comes before this one (a predecessor)")),
        ("successor", _("The chosen step comes after this one (a successor)")),
    )
    other = forms.IntegerField(
        label=_("Step"), error_messages={"required": _("Choose a step: search by key, name or municipality.")},
    )
    side = forms.ChoiceField(label=_("Order"), choices=SIDES, initial="predecessor")
    type = forms.ChoiceField(label=_("Type"), choices=DependencyType.choices, initial=DependencyType.FINISH_TO_START)
    lag_days = forms.IntegerField(
        label=_("Lag (working days)"), initial=0, min_value=-250, max_value=250,
        help_text=_("Negative: the successor may start that many working days early."),
    )
    q = forms.CharField(required=False, widget=forms.HiddenInput)
