"""The demo's second merger and the demo's baselines (``seed_demo`` seeds both after the Tønder merger).

Aabenraa Kommune (580) comes from the real reform, generated as ``load_reform`` generates every merger,
so the KMD advisor has more than one merger to serve in the demo: a cross-merger "my steps" list, and
a vendor load stacked by merger. Each demo merger also gets the baseline »Udgangspunkt« — its plan as
scheduled when the demo starts — so plan-versus-baseline has something to compare with.
"""
from __future__ import annotations

from typing import TextIO

from django.contrib.auth import get_user_model

from demo.inventory import MERGER_CODE
from demo.reform_loader import reform_load
from demo.support import DEMO_DATE, at, say
from municipalities.models import Merger
from runbook.baselines import baseline_capture
from runbook.models import Baseline, Runbook

#: Aabenraa Kommune (580): Bov, Lundtoft, Rødekro, Tinglev and Aabenraa, Tønder's neighbour in
#: Sønderjyllands Amt (V: the reform's map, ``demo/data/reform-2007-municipalities.csv``). No member is
#: split with Tønder. Its inventory, harmonisations and runbook are generated as ``load_reform`` does (the
#: typical KMD inventory, the seat's systems kept, the demo's progress of 15 March 2006): all inferred (I).
SECOND_MERGER = "580"
#: the name of the baseline each demo merger gets when the demo starts (captured at 8:00 on the demo's date)
BASELINE_NAME = "Udgangspunkt"


def second_merger_seed(stdout: TextIO | None = None) -> Merger:
    """Aabenraa Kommune from the real reform, served by the demo's KMD advisor too (idempotent: the
    loader finds rows by their codes and leaves a merger with a runbook alone)."""
    reform_load(only=[SECOND_MERGER], advisor=True, stdout=stdout)
    return Merger.objects.get(code=SECOND_MERGER)


def demo_mergers() -> list[Merger]:
    """The demo's mergers that are seeded: Tønder Kommune, then Aabenraa Kommune."""
    order = {MERGER_CODE: 0, SECOND_MERGER: 1}
    return sorted(Merger.objects.filter(code__in=list(order)), key=lambda m: order[m.code])


def baselines_seed(stdout: TextIO | None = None) -> int:
    """The baseline »Udgangspunkt« of each demo merger: the plan as scheduled when the demo starts (15
    March 2006). Captured once, after the first schedule (a runbook without planned dates gets none
    yet); re-seeding keeps the first. Returns how many it captured."""
    made = 0
    bent = get_user_model().objects.filter(username="bent").first()
    for merger in demo_mergers():
        runbook = Runbook.objects.filter(merger=merger).first()
        if runbook is None or Baseline.objects.filter(runbook=runbook, name=BASELINE_NAME).exists():
            continue
        if not runbook.steps.filter(planned_start__isnull=False).exists():
            continue
        actor = bent if merger.code == MERGER_CODE else None
        baseline = baseline_capture(runbook=runbook, name=BASELINE_NAME, actor=actor, check_permission=False)
        Baseline.objects.filter(pk=baseline.pk).update(captured_at=at(DEMO_DATE, 8))
        made += 1
    say(stdout, f"Baselines captured: {made}")
    return made
