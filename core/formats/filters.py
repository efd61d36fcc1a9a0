"""Template filters for the pages' dates, loaded as builtins (settings.TEMPLATES): ``{{ x|day }}``,
``{{ w|week }}``, ``{{ e.created_at|stamp }}``. See :mod:`core.formats`."""
from __future__ import annotations

from django import template

from core import formats

register = template.Library()


@register.filter(name="day")
def day(value) -> str:
    """A date, a datetime or an ISO date string as "15. mar. 2006"."""
    return formats.day(value)


@register.filter(name="week")
def week(value) -> str:
    """An ISO week "2007-W01" (or a date) as "uge 1 (2007)"."""
    return formats.week_label(value)


@register.filter(name="stamp")
def stamp(value) -> str:
    """A system timestamp as "2. dec. 2026 04:15", marked "(systemtid)" while the planning clock is pinned."""
    return formats.stamp(value)
