"""Pages of baselines: the list with a capture form, the comparison of two baselines (or one against the
plan now) and its export. Reads through ``runbook.baselines``; capturing through its service."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.clock import today
from core.exports import Column, export_response
from core.formats import stamp
from core.pages import form_submit
from municipalities.permissions import Action
from municipalities.views import merger_or_404
from runbook.baselines import (
    NAME_MAX,
    Comparison,
    baseline_capture,
    baseline_compare,
    baseline_latest,
    baselines_for_merger,
)
from runbook.forms.steps import ApplicationErrorFormMixin
from runbook.models import StepKind, StepStatus
from runbook.selectors.plan import merger_runbook
from systems.models import LegalBinding


class BaselineCaptureForm(ApplicationErrorFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_MAX,
                           help_text=gettext_lazy("For example »Approved plan« or the date of the decision."))


class BaselineCompareForm(forms.Form):
    baseline = forms.TypedChoiceField(label=gettext_lazy("Baseline"), coerce=int)
    against = forms.TypedChoiceField(label=gettext_lazy("Compare with"), coerce=int, required=False,
                                     empty_value=None)

    def __init__(self, data, *, baselines, **kwargs):
        super().__init__(data, **kwargs)
        choices = [(b.pk, f"{b.name} ({stamp(b.captured_at)})") for b in baselines]
        self.fields["baseline"].choices = choices
        self.fields["against"].choices = [("", _("The plan now")), *choices]


def _suggested_name() -> str:
    return _("Plan of %(date)s") % {"date": date_format(today())}


@login_required
@require_http_methods(["GET", "POST"])
def baselines(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The merger's baselines (name, when, who, number of steps), a form to capture one (IT chief) and a
    form to compare two."""
    merger, access = merger_or_404(request, merger_id)
    can_capture = access.allows(Action.EDIT_PLAN)
    form = BaselineCaptureForm(initial={"name": _suggested_name()})
    status = 200
    if request.method == "POST":
        form = BaselineCaptureForm(request.POST)
        runbook = merger_runbook(merger)
        if runbook is None:
            form.is_valid()
            form.add_error(None, _("The merger has no runbook yet."))
            status = 422
        else:
            baseline, status = form_submit(
                form, lambda data: baseline_capture(runbook=runbook, name=data["name"], actor=request.user)
            )
            if status is None:
                messages.success(request, _("Baseline »%(name)s« captured.") % {"name": baseline.name})
                return redirect(reverse("merger-baselines", kwargs={"merger_id": merger.pk}))
    rows = baselines_for_merger(merger.pk)
    latest = baseline_latest(rows)
    return render(request, "runbook/baselines.html", {
        "merger": merger, "access": access, "baselines": rows, "form": form, "can_capture": can_capture,
        "compare_form": BaselineCompareForm(None, baselines=rows,
                                            initial={"baseline": latest.pk if latest else None}),
    }, status=status)


def _comparison(request: HttpRequest, merger) -> tuple[BaselineCompareForm, list, Comparison | None]:
    """The compare form (the request's choice, else the latest baseline against now) and its comparison."""
    rows = baselines_for_merger(merger.pk, counted=False)
    latest = baseline_latest(rows)
    data = request.GET if "baseline" in request.GET else ({"baseline": latest.pk, "against": ""} if latest else None)
    form = BaselineCompareForm(data, baselines=rows)
    if data is None or not form.is_valid():
        return form, rows, None
    by_id = {b.pk: b for b in rows}
    against = form.cleaned_data["against"]
    return form, rows, baseline_compare(base=by_id[form.cleaned_data["baseline"]],
                                        to=by_id[against] if against else None)


def comparison_summary(comparison: Comparison) -> str:
    """The summary line: how many steps slipped, how many go-lives, and the most slipped go-live."""
    n = len(comparison.slipped)
    line = ngettext("%(n)d step has slipped.", "%(n)d steps have slipped.", n) % {"n": n}
    go_lives = len(comparison.slipped_go_lives)
    if go_lives:
        line += " " + ngettext("%(n)d of them is a go-live.", "%(n)d of them are go-lives.", go_lives) % {
            "n": go_lives}
        worst = comparison.most_slipped_go_live
        line += " " + ngettext(
            "The most slipped go-live is %(key)s %(name)s: %(days)d working day later.",
            "The most slipped go-live is %(key)s %(name)s: %(days)d working days later.",
            worst.finish_variance,
        ) % {"key": worst.key, "name": worst.name, "days": worst.finish_variance}
    else:
        line += " " + _("No go-live has slipped.")
    return line


@login_required
@require_GET
def baseline_comparison(request: HttpRequest, merger_id: int) -> HttpResponse:
    """A baseline against another or against the plan now: per step the start and finish variance in
    working days, slipped go-lives first; a bad choice is a 400 on the form."""
    merger, access = merger_or_404(request, merger_id)
    form, rows, comparison = _comparison(request, merger)
    status = 400 if form.is_bound and comparison is None else 200
    return render(request, "runbook/baselines_compare.html", {
        "merger": merger, "access": access, "form": form, "baselines": rows, "comparison": comparison,
        "summary": comparison_summary(comparison) if comparison else "",
        "query": request.GET.urlencode() if "baseline" in request.GET else "",
        "show_all": request.GET.get("all") == "1",
        "all_url": f"?{request.GET.urlencode()}&all=1" if "baseline" in request.GET else "?all=1",
    }, status=status)


def comparison_columns() -> list[Column]:
    kinds, statuses, bindings = dict(StepKind.choices), dict(StepStatus.choices), dict(LegalBinding.choices)
    return [
        Column("key", _("Key"), width=12),
        Column("name", _("Step"), width=44),
        Column("kind", _("Kind"), width=16, labels=kinds),
        Column("status", _("Status"), width=14, labels=statuses),
        Column("binding", _("Legal binding"), width=26, labels=bindings),
        Column("base_start", _("Baseline start"), kind="date", width=13),
        Column("base_finish", _("Baseline finish"), kind="date", width=13),
        Column("to_start", _("Compared start"), kind="date", width=13),
        Column("to_finish", _("Compared finish"), kind="date", width=13),
        Column("start_variance", _("Start variance (working days)"), kind="int", width=12),
        Column("finish_variance", _("Finish variance (working days)"), kind="int", width=12),
    ]


@login_required
@require_GET
def baseline_comparison_export(request: HttpRequest, merger_id: int, fmt: str) -> HttpResponse:
    """The comparison the page shows, with its variance columns, as CSV or XLSX."""
    merger, _access = merger_or_404(request, merger_id)
    form, _rows, comparison = _comparison(request, merger)
    if comparison is None:
        errors = "\n".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()) or _("There is no baseline yet.")
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    against = comparison.to.name if comparison.to else _("the plan now")
    title = _("%(base)s against %(against)s") % {"base": comparison.base.name, "against": against}
    return export_response(fmt, comparison_columns(), comparison.rows,
                           filename=f"basisplan-{merger.code}-{today().isoformat()}", title=title)
