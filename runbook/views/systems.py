"""The systems matrix of a merger: which system each member municipality runs in each area, the
harmonisation's target per area, and each conversion with its state and how far its steps have come."""
from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from municipalities.views import merger_or_404
from runbook.selectors.systems import matrix_inputs
from systems.models import Domain


@login_required
def systems_matrix(request: HttpRequest, merger_id: int) -> HttpResponse:
    """Municipalities × domains: each cell the system a municipality runs (vendor, hosting), each column
    the harmonisation's target, each conversion with its state and a link to its steps (six queries)."""
    merger, access = merger_or_404(request, merger_id)
    found = matrix_inputs(merger)
    members, instances, harmonisations = found.members, found.instances, found.harmonisations
    conversions, progress = found.conversions, found.progress
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
