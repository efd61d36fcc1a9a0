"""The systems matrix of a merger: which system each member municipality runs in each area, the
harmonisation's target per area, and each conversion with its state and how far its steps have come."""
from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from municipalities.views import merger_or_404
from runbook.models import FINISHED_STATUSES, Step
from systems.models import Conversion, Domain, Harmonisation, SystemInstance


@login_required
def systems_matrix(request: HttpRequest, merger_id: int) -> HttpResponse:
    """Municipalities × domains: each cell the system a municipality runs (vendor, hosting), each column
    the harmonisation's target, each conversion with its state and a link to its steps (six queries)."""
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
        .annotate(total=Count("id"), done=Count("id", filter=Q(status__in=FINISHED_STATUSES)))
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
    # one row per area, one column per municipality: areas outnumber municipalities, so the table fits a
    # laptop's width without scrolling sideways (and stacks into one card per area on a narrow screen)
    rows = [
        {"domain": d, "harmonisation": harmonisations.get(d.pk),
         "cells": [{"municipality": m, "items": cells.get((m.pk, d.pk), [])} for m in members]}
        for d in ordered_domains
    ]
    return render(request, "systems/matrix.html", {
        "merger": merger, "access": access, "rows": rows, "domains": ordered_domains, "members": members,
    })
