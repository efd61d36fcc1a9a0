"""Template context of the merger pages: the standing no-go decisions for the merger navigation header."""
from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from runbook.selectors.overview import open_no_gos


def merger_alerts(request: HttpRequest) -> dict:
    """``merger_no_gos``: the no-gos on open checkpoints of the merger in the URL (``merger_id``), read only
    when a page shows its merger navigation (one query then, none otherwise). Access is checked by the
    view: base.html shows the header only for a merger the view put in the context."""
    match = getattr(request, "resolver_match", None)
    merger_id = (match.kwargs.get("merger_id") if match is not None else None) if request is not None else None
    if not isinstance(merger_id, int):
        return {"merger_no_gos": ()}
    return {"merger_no_gos": SimpleLazyObject(lambda: open_no_gos([merger_id]).get(merger_id, []))}
