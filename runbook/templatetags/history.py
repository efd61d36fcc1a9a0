"""``{% load history %}`` — ``events|history_lines``: audit events as sentences (``runbook.selectors.history``) for pages
of lower apps (the merger dashboard), which read the events through the merger and render them here."""
from __future__ import annotations

from django import template

from runbook.selectors.history import history

register = template.Library()


@register.filter
def history_lines(events):
    """Already loaded events (with their actors) as history lines, each with ``url`` of its step."""
    return history(events, links=True)
