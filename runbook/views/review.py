"""The full list of the user's mergers by risk: the review page shows the worst few (``views.review``),
this page every one of them, the worst first, a page at a time — an advisor of the whole country serves
65 mergers."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.clock import today
from municipalities.permissions import accesses_for
from runbook.selectors.overview import mergers_by_risk, verdict_counts
from runbook.views.steps import serves_as_advisor

#: mergers a page on the full list
REVIEW_MERGERS_PAGE = 25


@login_required
def review_mergers(request: HttpRequest) -> HttpResponse:
    """Every merger the user has a role in, ranked by risk, REVIEW_MERGERS_PAGE a page (the same queries
    as the review page's table: every merger is ranked before one page is shown)."""
    accesses = accesses_for(request.user)
    ranked = mergers_by_risk(accesses)
    page = Paginator(ranked, REVIEW_MERGERS_PAGE).get_page(request.GET.get("page"))
    rows = [{"merger": m, "summary": s} for m, s in page.object_list]
    return render(request, "runbook/review_mergers.html", {
        "rows": rows, "page": page, "first_rank": page.start_index(), "advisor": serves_as_advisor(accesses),
        "merger_count": len(ranked), "verdicts": verdict_counts(ranked), "today": today(),
    })
