"""Office exports of the runbook, the milestones and a vendor's go-lives (CSV for Excel, XLSX).

The rows are the API's: the same scoped queryset (``runbook.api.querysets.steps_in_scope`` /
``milestones_in_scope``), the same annotations and the same order as ``/api/v1/steps/`` and
``/api/v1/milestones/``. The milestone and vendor exports take the API's filters (``MilestoneFilter``, same
parameter names); the runbook export takes the runbook page's filters (``StepFilterForm``: what the page
shows is what is exported). A bad parameter is a 400 naming it. Only the columns are for people (labels in
the user's language, names beside codes). The writers are ``core.exports``.
"""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.clock import today
from core.exports import Column, export_response
from core.i18n import bilingual
from municipalities.views import merger_or_404
from runbook.api.filters import MilestoneFilter
from runbook.api.querysets import (
    _values_map,
    annotate_milestones,
    annotate_steps,
    milestones_in_scope,
    steps_in_scope,
)
from runbook.api.serializers import MilestoneSerializer, StepSerializer
from runbook.api.views import MilestoneViewSet, StepViewSet
from runbook.forms.steps import StepFilterForm
from runbook.models import StepKind, StepStatus
from runbook.selectors.step_pages import step_filter_choices, steps_filtered
from runbook.selectors.vendor_load import vendor_codes
from systems.models import LegalBinding

#: What the office columns read besides the API's own values (names beside the codes).
_NAMES = ("name", "name_en", "runbook__merger__name", "assignee_municipality__name", "assignee_vendor__name",
          "domain__name", "domain__name_en", "domain__binding")


class ExportRefused(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def api_rows(queryset, annotate, ordering, serializer_class) -> list[dict]:
    """``queryset``'s rows as the API lists them (every page, in ``ordering``): dicts of the serializer's
    keys plus the names in ``_NAMES``."""
    pairs = list(_values_map(serializer_class).items())
    sources = list(dict.fromkeys([s for _, s in pairs] + list(_NAMES)))
    rows = annotate(queryset).order_by(*ordering).values(*sources)
    return [{**{key: row[source] for key, source in pairs}, **{n: row[n] for n in _NAMES}} for row in rows]


def api_filtered(request: HttpRequest, filterset_class, queryset, params=None):
    """``queryset`` through the API's filterset with the request's (or ``params``) query parameters;
    ``ExportRefused`` with the errors per parameter when one is bad."""
    filterset = filterset_class(data=request.GET if params is None else params, queryset=queryset,
                                request=request)
    if not filterset.is_valid():
        raise ExportRefused({k: [str(e) for e in v] for k, v in filterset.errors.items()})
    return filterset.qs


def _refused(exc: ExportRefused) -> HttpResponse:
    lines = [f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items()]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def _localized(row: dict, field: str) -> str:
    return bilingual(row.get(field), row.get(f"{field}_en"))


def _domain(row: dict) -> str:
    return _localized({"name": row.get("domain__name"), "name_en": row.get("domain__name_en")}, "name")


def step_columns(*, milestones: bool = False, with_merger: bool = False) -> list[Column]:
    """The columns of a step export in the user's language (one list: runbook, milestones, vendor load)."""
    status_labels, kind_labels = dict(StepStatus.choices), dict(StepKind.choices)
    binding_labels = dict(LegalBinding.choices)
    columns = []
    if with_merger:
        columns.append(Column("runbook__merger__name", _("Merger"), width=24))
    columns += [
        Column("key", _("Key"), width=12),
        Column("name", _("Step"), width=44, value=lambda r: _localized(r, "name")),
        Column("phase", _("Phase"), kind="int", width=7),
        Column("kind", _("Kind"), width=16, labels=kind_labels),
        Column("status", _("Status"), width=14, labels=status_labels),
        Column("assignee_municipality__name", _("Municipality"), width=18),
        Column("assignee_vendor__name", _("Vendor"), width=16),
        Column("domain", _("Area"), width=24, value=_domain),
        Column("domain__binding", _("Legal binding"), width=26, labels=binding_labels),
    ]
    if milestones:
        columns += [
            Column("planned_date", _("Planned date"), kind="date", width=13),
            Column("baseline_date", _("Baseline date"), kind="date", width=13),
        ]
    else:
        columns += [
            Column("planned_start", _("Planned start"), kind="date", width=13),
            Column("planned_finish", _("Planned finish"), kind="date", width=13),
            Column("go_live", _("Go-live"), kind="date", width=13),
            Column("deadline", _("Deadline"), kind="date", width=13),
        ]
    columns += [
        Column("total_slack", _("Slack (working days)"), kind="int", width=10),
        Column("is_critical", _("Critical"), kind="bool", width=9),
        Column("at_risk", _("At risk"), kind="bool", width=9),
        Column("wave_name", _("Wave"), width=16),
    ]
    return columns


def _stamp() -> str:
    return today().isoformat()


@login_required
@require_GET
def runbook_export(request: HttpRequest, merger_id: int, fmt: str) -> HttpResponse:
    """The merger's steps as ``/api/v1/steps/?merger=<id>`` lists them, filtered as the runbook page is."""
    merger, access = merger_or_404(request, merger_id)
    form = StepFilterForm(request.GET or None, **step_filter_choices(merger))
    if request.GET and not form.is_valid():
        return _refused(ExportRefused({k: list(v) for k, v in form.errors.items()}))
    filters = {**(form.cleaned_data if request.GET else {}), "_access": access}
    queryset = steps_in_scope(request.user, annotated=False).filter(runbook__merger=merger)
    rows = api_rows(steps_filtered(queryset, filters, request.user), annotate_steps, StepViewSet.ordering,
                    StepSerializer)
    title = _("Runbook of %(merger)s") % {"merger": merger.name}
    return export_response(fmt, step_columns(), rows, filename=f"drejebog-{merger.code}-{_stamp()}", title=title)


@login_required
@require_GET
def milestones_export(request: HttpRequest, merger_id: int, fmt: str) -> HttpResponse:
    """The merger's milestones, checkpoints and cutovers as ``/api/v1/milestones/?merger=<id>&…``."""
    merger, _access = merger_or_404(request, merger_id)
    queryset = milestones_in_scope(request.user, annotated=False).filter(runbook__merger=merger)
    try:
        queryset = api_filtered(request, MilestoneFilter, queryset)
    except ExportRefused as exc:
        return _refused(exc)
    rows = api_rows(queryset, annotate_milestones, MilestoneViewSet.ordering, MilestoneSerializer)
    title = _("Milestones of %(merger)s") % {"merger": merger.name}
    return export_response(fmt, step_columns(milestones=True), rows,
                           filename=f"milepaele-{merger.code}-{_stamp()}", title=title)


def vendor_code(request: HttpRequest) -> str | None:
    """The vendor the vendor-load page shows: ``?vendor=``, else KMD, else the first (one query)."""
    codes = vendor_codes()
    wanted = request.GET.get("vendor") or ""
    if wanted in codes:
        return wanted
    return "kmd" if "kmd" in codes else (codes[0] if codes else None)


@login_required
@require_GET
def vendor_load_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """A vendor's go-lives (cutovers) across the user's mergers with their ISO week, as
    ``/api/v1/milestones/?vendor=<code>&kind=cutover`` lists them."""
    code = vendor_code(request)
    params = request.GET.copy()
    params["vendor"] = code or ""
    params.setlist("kind", [StepKind.CUTOVER])
    queryset = milestones_in_scope(request.user, annotated=False)
    if code is None:
        queryset = queryset.none()
        params.pop("vendor")
    try:
        queryset = api_filtered(request, MilestoneFilter, queryset, params)
    except ExportRefused as exc:
        return _refused(exc)
    rows = api_rows(queryset, annotate_milestones, MilestoneViewSet.ordering, MilestoneSerializer)
    rows.sort(key=lambda r: (r["planned_date"] is None, r["planned_date"] or today(), r["runbook__merger__name"],
                             r["key"]))

    def week(row):
        day = row.get("planned_date")
        return f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}" if day else None

    columns = [Column("week", _("ISO week"), width=10, value=week), *step_columns(milestones=True, with_merger=True)]
    title = _("Go-lives of %(vendor)s") % {"vendor": code or "—"}
    return export_response(fmt, columns, rows, filename=f"leverandoerbelastning-{code or 'ingen'}-{_stamp()}",
                           title=title)
