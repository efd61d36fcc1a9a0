"""Pages about systems: the municipalities × domains matrix of a merger and the vendor load chart."""
from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mergeplan.svg import vendor_load as vendor_load_svg
from municipalities.permissions import accesses_for
from municipalities.views import merger_or_404

from .models import Conversion, Domain, Harmonisation, SystemInstance, Vendor


@login_required
def systems_matrix(request: HttpRequest, merger_id: int) -> HttpResponse:
    """Municipalities × domains: each cell the system a municipality runs (vendor, hosting), each column
    the harmonisation's target, each conversion with its state and a link to its steps (six queries)."""
    from runbook.models import Step

    merger, access = merger_or_404(request, merger_id)
    members = list(merger.members.order_by("name"))
    instances = list(
        SystemInstance.objects.filter(municipality__mergers=merger)
        .select_related("system__vendor", "system__domain")
        .order_by("system__domain__position", "pk")
    )
    harmonisations = {
        h.domain_id: h
        for h in Harmonisation.objects.filter(merger=merger).select_related("domain", "target_system__vendor")
    }
    conversions = {
        c.source_instance_id: c for c in Conversion.objects.filter(harmonisation__merger=merger).order_by("pk")
    }
    progress = {
        r["conversion_id"]: r
        for r in Step.objects.filter(runbook__merger=merger, conversion__isnull=False)
        .values("conversion_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status__in=("done", "skipped"))))
        .order_by()
    }
    domains: dict[int, Domain] = {}
    for h in harmonisations.values():
        domains[h.domain_id] = h.domain
    for i in instances:
        domains.setdefault(i.system.domain_id, i.system.domain)
    ordered_domains = sorted(domains.values(), key=lambda d: (d.position, d.code))
    cells: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for i in instances:
        h = harmonisations.get(i.system.domain_id)
        conv = conversions.get(i.pk)
        survives = h is not None and (h.surviving_instance_id == i.pk or (conv is None and h.target_system_id == i.system_id))
        cells[(i.municipality_id, i.system.domain_id)].append({
            "instance": i,
            "conversion": conv,
            "progress": progress.get(conv.pk) if conv else None,
            "survives": survives,
        })
    rows = [
        {"municipality": m, "cells": [{"domain": d, "items": cells.get((m.pk, d.pk), [])} for d in ordered_domains]}
        for m in members
    ]
    targets = [{"domain": d, "harmonisation": harmonisations.get(d.pk)} for d in ordered_domains]
    return render(request, "systems/matrix.html", {
        "merger": merger, "access": access, "rows": rows, "domains": ordered_domains, "targets": targets,
    })


def _merge_load(loads: list[dict], vendor: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for load in loads:
        for week, n in ((load or {}).get(vendor) or {}).items():
            out[week] += int(n)
    return dict(out)


@login_required
def vendor_load(request: HttpRequest) -> HttpResponse:
    """Cutovers per week for a vendor across the user's mergers against its capacity: big bang beside
    rolling (three queries whatever the number of mergers)."""
    from runbook.models import Runbook

    accesses = accesses_for(request.user)
    vendors = list(Vendor.objects.order_by("name"))
    code = request.GET.get("vendor") or ""
    vendor = next((v for v in vendors if v.code == code), None)
    if vendor is None:
        vendor = next((v for v in vendors if v.code == "kmd"), vendors[0] if vendors else None)
    summaries = list(
        Runbook.objects.filter(merger_id__in=list(accesses)).values_list("merger__name", "schedule_summary")
    )
    scenario_names = {"big_bang": _("Big bang"), "rolling": _("Rolling")}
    series: dict[str, dict[str, int]] = {}
    national: dict[str, dict[str, int]] = {}  # the legal-date batch: not counted against the capacity
    peaks = {}
    if vendor is not None:
        for key, label in scenario_names.items():
            scenarios = [((s or {}).get("scenarios") or {}).get(key, {}) for _, s in summaries]
            series[label] = _merge_load([sc.get("vendor_load") for sc in scenarios], vendor.code)
            national[label] = _merge_load([sc.get("national_run") for sc in scenarios], vendor.code)
            peaks[key] = max((n - national[label].get(w, 0) for w, n in series[label].items()), default=0)
    weeks = sorted({w for s in series.values() for w in s})
    capacity = vendor.weekly_cutover_capacity if vendor else None
    table = [
        {"week": w, "values": [
            {"n": series[label].get(w, 0), "national": national[label].get(w, 0),
             "over": capacity is not None and series[label].get(w, 0) - national[label].get(w, 0) > capacity}
            for label in series
        ]}
        for w in weeks
    ]
    svg = vendor_load_svg(
        weeks, series, capacity=capacity,
        title=_("Cutovers per week for %(vendor)s") % {"vendor": vendor.name if vendor else "—"},
        desc=_("Go-lives per ISO week across %(n)d mergers, big bang beside rolling, against the weekly capacity.")
        % {"n": len(summaries)},
        capacity_label=_("Capacity"), over_label=_("over capacity"), uncounted=national,
    )
    return render(request, "systems/vendor_load.html", {
        "vendors": vendors, "vendor": vendor, "svg": mark_safe(svg),  # noqa: S308 - escaped in mergeplan.svg
        "table": table, "series_names": list(series), "capacity": capacity, "merger_count": len(summaries),
        "capacity_inferred": vendor is not None and vendor.capacity_inferred,
        "peaks": [{"label": scenario_names[k], "peak": v, "over": capacity is not None and v > capacity}
                  for k, v in peaks.items()],
    })
