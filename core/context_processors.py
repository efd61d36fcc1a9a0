"""Template context shared by every page."""
from __future__ import annotations

from django.http import HttpRequest

from core.clock import today


def planning(request: HttpRequest) -> dict:
    """The planning date (pinned in the demo), shown in the footer."""
    return {"planning_today": today()}
