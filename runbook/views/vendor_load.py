"""The vendor's pages across mergers: the load chart — a vendor's go-lives per ISO week in the user's
mergers, stacked by merger on a week axis to scale, against its capacity week by week (lower in the
summer period), with a drill-down to the go-lives of one week and why each sits there. It lives in
``runbook`` because it reads the scheduled steps (``systems`` must not import ``runbook``)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.charts.vendor_load import LoadLabels, vendor_load_chart
from core.clock import today
from municipalities.permissions import accesses_for
from runbook.selectors.my_steps import go_lives_in_week, vendor_weeks, week_monday
from runbook.selectors.steps import placement_messages
from runbook.selectors.vendor_load import merger_names, scenario_peaks, vendors_by_name

#: mergers drawn in their own colour; the rest share one ("other mergers")
NAMED_MERGERS = 8
OTHERS = NAMED_MERGERS


def _week_words(week: str) -> str:
    monday = week_monday(week)
    year, number, _weekday = monday.isocalendar()
    return _("week %(week)d (%(year)d)") % {"week": number, "year": year}


def _bad(request, message: str, field: str, vendors) -> HttpResponse:
    return render(request, "runbook/vendor_load.html",
                  {"vendors": vendors, "vendor": None, "error": message, "error_field": field}, status=400)


@login_required
def vendor_load(request: HttpRequest) -> HttpResponse:
    """Go-lives per ISO week for a vendor across the user's mergers, stacked by merger, against its
    capacity; ``?week=2006-W35`` lists that week's go-lives (six queries of its own, seven with a week)."""
    accesses = accesses_for(request.user)
    merger_ids = sorted(accesses)
    vendors = vendors_by_name()
    code = request.GET.get("vendor") or ""
    vendor = next((v for v in vendors if v.code == code), None)
    if code and vendor is None:
        return _bad(request, _("Unknown vendor “%(code)s”.") % {"code": code[:40]}, "vendor", vendors)
    if vendor is None:
        vendor = next((v for v in vendors if v.code == "kmd"), vendors[0] if vendors else None)
    if vendor is None:
        return render(request, "runbook/vendor_load.html", {"vendors": vendors, "vendor": None})
    week = request.GET.get("week") or ""
    if week:
        try:
            week_monday(week)
        except ValueError:
            return _bad(request, _("“%(week)s” is not an ISO week like 2006-W35.") % {"week": week[:20]}, "week",
                        vendors)
    on = today()
    data = vendor_weeks(vendor, merger_ids, on=on)
    names = merger_names(data.merger_totals)
    ranked = sorted(data.merger_totals, key=lambda m: (-data.merger_totals[m], names.get(m, ""), m))
    colour = {m: i for i, m in enumerate(ranked[:NAMED_MERGERS])}
    others = ranked[NAMED_MERGERS:]
    stacks: dict[str, list[tuple[int, int]]] = {}
    for w, per in data.counted.items():
        by_idx: dict[int, int] = {}
        for m, n in per.items():
            idx = colour.get(m, OTHERS)
            by_idx[idx] = by_idx.get(idx, 0) + n
        stacks[w] = sorted(by_idx.items())
    legend = [{"idx": colour[m], "name": names.get(m, str(m)), "n": data.merger_totals[m]} for m in ranked[:NAMED_MERGERS]]
    if others:
        legend.append({"idx": OTHERS, "n": sum(data.merger_totals[m] for m in others),
                       "name": ngettext("%(n)d other merger", "%(n)d other mergers", len(others)) % {"n": len(others)}})
    hrefs = {w: "?" + urlencode({"vendor": vendor.code, "week": w}) + "#week-detail" for w in data.weeks}
    svg = vendor_load_chart(
        data.weeks, stacks, national=data.national, capacity=data.capacity, hrefs=hrefs, selected=week or None,
        labels=LoadLabels(
            title=_("Go-lives per week for %(vendor)s") % {"vendor": vendor.name},
            desc=ngettext(
                "Go-lives per ISO week in %(n)d merger, stacked by merger, every week from %(first)s to %(last)s, "
                "against the vendor's capacity each week.",
                "Go-lives per ISO week in %(n)d mergers, stacked by merger, every week from %(first)s to %(last)s, "
                "against the vendor's capacity each week.", len(merger_ids),
            ) % {"n": len(merger_ids), "first": data.weeks[0], "last": data.weeks[-1]},
            capacity=_("Capacity"), national=_("National run"), over=_("over capacity"),
            tooltip=_("%(week)s: %(n)d go-lives, capacity %(capacity)s, %(national)d in the national run"),
            week=_("week %(week)d (%(year)d)"),
            axis_week=pgettext("the vendor-load chart's week axis", "wk %(week)d"),
        ),
    )
    table = [
        {"week": w, "words": _week_words(w), "n": data.counted_in(w), "national": data.national.get(w, 0),
         "capacity": data.capacity.get(w), "href": hrefs[w],
         "over": data.capacity.get(w) is not None and data.counted_in(w) > data.capacity[w]}
        for w in data.weeks if data.counted_in(w) or data.national.get(w)
    ]
    detail = None
    if week:
        steps = list(go_lives_in_week(vendor, merger_ids, week))
        detail = {
            "week": week, "words": _week_words(week),
            "monday": week_monday(week), "sunday": week_monday(week) + dt.timedelta(days=6),
            "capacity": data.capacity.get(week) if week in data.capacity else None,
            "items": [{"step": s, "why": placement_messages(s.placement, vendor=vendor.name),
                       "national": "national_run" in (s.placement or [])} for s in steps],
        }
        detail["counted"] = sum(1 for i in detail["items"] if not i["national"])
    peak_week, peak = data.peak
    return render(request, "runbook/vendor_load.html", {
        "vendors": vendors, "vendor": vendor, "svg": mark_safe(svg),  # noqa: S308 - escaped in vendor_chart
        "legend": legend, "table": table, "detail": detail, "merger_count": len(merger_ids),
        "capacity": vendor.weekly_cutover_capacity, "capacity_inferred": vendor.capacity_inferred,
        "weeks": data.weeks, "peak": peak, "peak_week": _week_words(peak_week) if peak_week and peak else "",
        "over_weeks": [_week_words(w) for w in data.over], "scenarios": scenario_peaks(vendor, merger_ids),
        "national_total": sum(data.national.values()),
    })
