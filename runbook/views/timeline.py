"""The timeline page: a Gantt chart of the merger's runbook drawn on the server (``core.charts.gantt``),
with zoom (?zoom=week|month|quarter), a selected step (?step=<id>: its dependency arrows and, for the IT
chief, a form that pins its start), and a table of the same steps. The pin is also set by dragging a
bar (static/js/gantt.js fills in and sends the same form)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.charts.gantt import (
    DEFAULT_ZOOM,
    ZOOMS,
    DateLine,
    GanttLabels,
    GanttRow,
    Link,
    Shade,
    gantt,
    legend_swatch,
)
from core.clock import today
from core.exceptions import ApplicationError, ConflictError
from core.pages import form_refusal, safe_next
from municipalities.models import Merger
from municipalities.permissions import Action, MergerAccess
from municipalities.views import merger_or_404
from runbook import planning
from runbook.baselines import baseline_dates, baseline_pick, baselines_for_merger
from runbook.forms.steps import StepFilterForm, StepPinForm
from runbook.models import Step, StepStatus
from runbook.selectors.step_pages import step_filter_choices
from runbook.selectors.steps import step_change_message
from runbook.selectors.timeline import (
    dependencies,
    freeze_windows,
    merger_timeline_steps,
    merger_waves,
    plan_state,
)
from runbook.services.pins import can_pin, step_pin
from runbook.views.steps import _step_or_404

LEGEND_KEYS = ("step", "in_progress", "done", "blocked", "critical", "at_risk", "milestone", "checkpoint",
               "cutover", "pinned", "arrow", "arrow_critical", "baseline")


def timeline_windows(merger: Merger, start: dt.date, end: dt.date) -> list[dict]:
    """The dated windows that close days for the merger: freeze windows and the calendar rules
    (fællesferie, payroll runs, year-end) expanded over the chart's years, national and the merger's own.
    Dicts with name, start, end, vendor__code, domain__code, merger_id, blocks (two queries)."""
    expand = getattr(planning, "calendar_windows", None)
    if expand is not None:
        return expand(years=range(start.year, end.year + 1), merger_id=merger.pk)
    return freeze_windows(merger)  # pragma: no cover - before the rules were expanded


def window_label(window: dict) -> str:
    """A window in words: its name, what it applies to, and what it blocks."""
    scope = ", ".join(x for x in (window.get("domain__code"), window.get("vendor__code")) if x)
    blocks = (_("no go-live and no user work") if window.get("blocks") == "work" else _("no go-live"))
    name = f"{window['name']} ({scope})" if scope else window["name"]
    return f"{name}: {date_format(window['start'])} – {date_format(window['end'])} · {blocks}"


@lru_cache(maxsize=4096)
def _day_in(d: dt.date, language: str) -> str:
    return date_format(d)


def _day(d: dt.date | None) -> str:
    """A date in words ("2. jan. 2007"); memoised per language (a page formats a few hundred)."""
    return _day_in(d, get_language() or "") if d else "–"


def _query(request: HttpRequest, **changes) -> str:
    """The page's query string with ``changes`` (a value None drops the key)."""
    q: QueryDict = request.GET.copy()
    for key, value in changes.items():
        q.pop(key, None)
        if value is not None:
            q[key] = str(value)
    return "?" + q.urlencode() if q else "?"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _words() -> dict:
    """The words of the steps' descriptions, translated once per page."""
    return {"status": dict(StepStatus.choices), "slack": _("slack %(n)d"), "critical": _("critical path"),
            "at_risk": _("at risk"), "pinned": _("starts no earlier than %(date)s")}


def _describe(s: Step, words: dict) -> str:
    """The step in words for its tooltip and its bar's label."""
    parts = [f"{s.key} {s.display_name()}: {_day(s.planned_start)} – {_day(s.planned_finish)}",
             str(words["status"].get(s.status, s.status))]
    if s.total_slack is not None:
        parts.append(words["slack"] % {"n": s.total_slack})
    if s.is_critical:
        parts.append(words["critical"])
    if s.at_risk:
        parts.append(words["at_risk"])
    if s.not_before:
        parts.append(words["pinned"] % {"date": _day(s.not_before)})
    return " · ".join(parts)


def _links(deps, critical_path, selected, shown: set[int]) -> list[Link]:
    """Every dependency between shown steps: along the critical path marked ``critical``, those of the
    selected step ``selected``, the others unmarked (the page shows them while their step has focus)."""
    on_path = set(zip(critical_path, critical_path[1:], strict=False))
    out = []
    for pred, succ, kind in deps:
        if pred not in shown or succ not in shown:
            continue
        css = "selected" if selected in (pred, succ) else "critical" if (pred, succ) in on_path else ""
        out.append(Link(pred, succ, kind, css))
    return out


def timeline_context(request: HttpRequest, merger: Merger, access: MergerAccess, *,
                     pin_form: StepPinForm | None = None, selected: int | None = None) -> dict:
    """Everything the timeline page shows (a fixed number of queries)."""
    zoom = request.GET.get("zoom") if request.GET.get("zoom") in ZOOMS else DEFAULT_ZOOM
    if selected is None:
        selected = _int(request.GET.get("step"))
    choices = step_filter_choices(merger)
    filter_data = request.GET.copy()
    for key in ("zoom", "step", "baseline"):
        filter_data.pop(key, None)
    form = StepFilterForm(filter_data or None, with_status=False, **choices)
    filters = form.filters() if filter_data else {}
    steps = merger_timeline_steps(merger, filters, request.user)
    baselines = baselines_for_merger(merger.pk, counted=False)  # ?baseline=<id>; latest by default; 0: none
    baseline = baseline_pick(baselines, request.GET.get("baseline"))
    ghosts = baseline_dates(baseline)
    waves = merger_waves(merger)
    state = plan_state(merger)
    deps = dependencies(state.runbook_id)
    on = today()
    dated = [s for s in steps if s.planned_start and s.planned_finish]
    start = min([s.planned_start for s in dated] + [on]) - dt.timedelta(days=7)
    end = max([s.planned_finish for s in dated] + [merger.legal_date]) + dt.timedelta(days=14)
    freezes = [{**f, "label": window_label(f)} for f in timeline_windows(merger, start, end)
               if f["end"] >= start and f["start"] <= end]
    editable = access.allows(Action.EDIT_PLAN)
    base = reverse("merger-timeline", kwargs={"merger_id": merger.pk})
    rows = []
    table = []
    selected_step = None
    words = _words()
    detail = reverse("step-detail", kwargs={"merger_id": merger.pk, "step_id": 999999999})
    select = base + _query(request, step=999999999)
    for s in steps:
        if s.pk == selected:
            selected_step = s
        g = ghosts.get(s.pk, (None, None))
        text = _describe(s, words)
        label = f"{s.key} {s.display_name()}"
        href = detail.replace("999999999", str(s.pk))
        rows.append(GanttRow(
            id=s.pk, label=label, group=f"{s.phase.number}. {s.phase.display_name()}",
            start=s.planned_start, finish=s.planned_finish, status=s.status, kind=s.kind,
            critical=s.is_critical, at_risk=s.at_risk, href=href,
            baseline_start=g[0], baseline_finish=g[1], tooltip=text, aria_label=text,
            pinned=s.not_before, select_href=select.replace("999999999", str(s.pk)),
            draggable=editable and can_pin(s) and s.planned_start is not None, version=s.version,
        ))
        table.append((href, label, _day(s.planned_start), _day(s.planned_finish),
                      words["status"].get(s.status, s.status), s.is_critical,
                      _day(s.not_before) if s.not_before else ""))
    if selected_step is None:
        selected = None
    lines = [DateLine(on, _("Today"), "today"), DateLine(merger.legal_date, _("Legal date"), "legal")]
    if merger.dispensation_date:
        lines.append(DateLine(merger.dispensation_date,
                              _("Dispensation (%(state)s)") % {"state": merger.get_dispensation_status_display()},
                              "dispensation"))
    lines += [DateLine(w.milestone_date, _("Wave %(n)d") % {"n": w.number}, "wave") for w in waves if w.milestone_date]
    shades = [Shade(f["start"], f["end"], f["label"], css=f"blocks-{f.get('blocks') or 'go_live'}") for f in freezes]
    months = [pgettext("month", "jan"), pgettext("month", "feb"), pgettext("month", "mar"), pgettext("month", "apr"),
              pgettext("month", "may"), pgettext("month", "jun"), pgettext("month", "jul"), pgettext("month", "aug"),
              pgettext("month", "sep"), pgettext("month", "oct"), pgettext("month", "nov"), pgettext("month", "dec")]
    chart = gantt(
        rows, start=start, end=end, zoom=zoom, lines=lines, shades=shades, selected=selected,
        links=_links(deps, state.critical_path, selected, {r.id for r in rows if r.start}),
        labels=GanttLabels(
            title=_("Timeline of %(merger)s") % {"merger": merger.name},
            desc=_("%(n)d steps by phase from %(start)s to %(end)s. Critical steps are hatched and flagged, "
                   "blocked ones cross-hatched, done ones checked; arrows show dependencies.")
            % {"n": len(rows), "start": _day(start), "end": _day(end)},
            critical=_("critical"), baseline=_("Baseline"), not_scheduled=_("not scheduled yet"),
            pinned=_("Start no earlier than %(date)s"), quarter=_("Q%(n)d"), month_names=months,
        ),
    )
    if pin_form is None and editable and selected_step is not None:
        pin_form = StepPinForm(initial={
            "step": selected_step.pk, "version": selected_step.version,
            "not_before": selected_step.not_before or selected_step.planned_start, "next": request.get_full_path(),
        })
    zooms = [{"key": "week", "label": _("Week"), "url": base + _query(request, zoom="week")},
             {"key": "month", "label": _("Month"), "url": base + _query(request, zoom="month")},
             {"key": "quarter", "label": _("Quarter"), "url": base + _query(request, zoom="quarter")}]
    return {
        "merger": merger, "access": access, "form": form, "chart": chart, "zoom": zoom, "zooms": zooms,
        "head_svg": mark_safe(chart.head), "names_svg": mark_safe(chart.names),  # noqa: S308 - escaped in gantt
        "svg": mark_safe(chart.body),  # noqa: S308 - escaped in core.charts.gantt
        "legend": {k: mark_safe(legend_swatch(k)) for k in LEGEND_KEYS},  # noqa: S308 - constant markup
        "table": table, "count": len(rows), "undated": len(steps) - len(dated), "baseline": baseline,
        "baselines": baselines,
        "freezes": freezes, "waves": waves, "critical_count": sum(1 for s in steps if s.is_critical), "today": on,
        "selected": selected_step, "selected_pinnable": selected_step is not None and can_pin(selected_step),
        "editable": editable, "pin_form": pin_form if editable else None, "pending": state.pending,
        "pinned_count": sum(1 for s in steps if s.not_before),
        "clear_url": base + _query(request, step=None), "next_url": request.get_full_path(),
    }


@login_required
def timeline(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The Gantt chart of the merger's runbook."""
    merger, access = merger_or_404(request, merger_id)
    return render(request, "runbook/timeline.html", timeline_context(request, merger, access))


@login_required
@require_POST
def timeline_pin(request: HttpRequest, merger_id: int) -> HttpResponse:
    """Pin a step's start ("start no earlier than") or clear the pin (the IT chief). Back to the page it
    came from with the replanned dates; a refusal shows the page again with the reason on the form (403,
    409 when someone changed the step meanwhile, 422 a rule of the domain or a bad date)."""
    merger, access = merger_or_404(request, merger_id)
    form = StepPinForm(request.POST)
    step_id = _int(request.POST.get("step"))
    step = _step_or_404(merger, step_id) if step_id else None
    status = 200
    if not access.allows(Action.EDIT_PLAN):
        form.is_valid()
        form.add_error(None, _("Only the IT chief may change the plan."))
        status = 403
    elif step is None or not form.is_valid():
        status = 400 if form.has_error("version") or form.has_error("step") or step is None else 422
    else:
        data = form.cleaned_data
        value = None if data["clear"] else data["not_before"]
        try:
            step_pin(step=step, actor=request.user, not_before=value, expected_version=data["version"])
        except ConflictError:
            form.add_error(None, step_change_message(step))
            status = 409
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            name = f"{step.key} {step.display_name()}"
            if value is None:
                messages.success(request, _("The pin on %(step)s is removed; the plan is recomputed.") % {"step": name})
            else:
                messages.success(request, _("%(step)s starts no earlier than %(date)s; the plan is recomputed.")
                                 % {"step": name, "date": _day(value)})
            fallback = reverse("merger-timeline", kwargs={"merger_id": merger.pk}) + f"?step={step.pk}"
            return redirect(safe_next(request, fallback))
    if status == 400 and not form.non_field_errors():
        form.add_error(None, _("The form lacks the step or its version: reload the page and try again."))
    context = timeline_context(request, merger, access, pin_form=form, selected=step.pk if step else None)
    return render(request, "runbook/timeline.html", context, status=status)
