"""Reads of the vendor-load page and its export: the vendors, the names of the mergers drawn, and each
stored scenario's peak week of one vendor."""
from __future__ import annotations

from django.utils.translation import gettext as _

from municipalities.models import Merger
from runbook.models import Runbook
from systems.models import Vendor


def vendors_by_name() -> list[Vendor]:
    """Every vendor by name (one query)."""
    return list(Vendor.objects.order_by("name"))


def vendor_codes() -> list[str]:
    """Every vendor's code, by vendor name (one query)."""
    return list(Vendor.objects.order_by("name").values_list("code", flat=True))


def merger_names(merger_ids) -> dict[int, str]:
    """The names of the mergers ``merger_ids`` by id (one query)."""
    return dict(Merger.objects.filter(pk__in=list(merger_ids)).values_list("pk", "name"))


def scenario_peaks(vendor: Vendor, merger_ids: list[int]) -> list[dict]:
    """The highest counted week of the vendor in the stored big-bang and rolling plans, as ``{label, peak}``
    (one query: only the vendor's part of each stored summary is read)."""
    base = "schedule_summary__scenarios__{}__{}__" + vendor.code
    keys = [(s, kind) for s in ("big_bang", "rolling") for kind in ("vendor_load", "national_run")]
    rows = Runbook.objects.filter(merger_id__in=merger_ids).values_list(*[base.format(s, k) for s, k in keys])
    totals: dict[tuple[str, str], dict[str, int]] = {k: {} for k in keys}
    for row in rows:
        for key, value in zip(keys, row, strict=True):
            for week, n in (value or {}).items():
                totals[key][week] = totals[key].get(week, 0) + int(n)
    names = {"big_bang": _("Big bang"), "rolling": _("Rolling")}
    out = []
    for s in ("big_bang", "rolling"):
        load, national = totals[(s, "vendor_load")], totals[(s, "national_run")]
        peak = max((n - national.get(w, 0) for w, n in load.items()), default=0)
        out.append({"label": names[s], "peak": peak})
    return out
