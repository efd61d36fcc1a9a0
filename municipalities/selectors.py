"""Reads about a merger's own dates: the first day its plan may refer to and the window a dispensation
date may take."""
from __future__ import annotations

import datetime as dt

from .models import Merger


def planning_start(legal_date: dt.date) -> dt.date:
    """The first day a merger's plan may refer to: 1 January two years before the legal date's year (the
    2007 reform's law was passed and its drejebøger began in 2005)."""
    return dt.date(legal_date.year - 2, 1, 1)


def dispensation_window(merger: Merger) -> tuple[dt.date, dt.date]:
    """The first and the last day a dispensation date may take: from the planning start to the day before
    the legal date (the one rule; ``municipalities.services.merger_dispensation_set`` enforces it)."""
    return planning_start(merger.legal_date), merger.legal_date - dt.timedelta(days=1)
