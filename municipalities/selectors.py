"""Reads about mergers and a user's own settings: a merger's dates (the first day its plan may refer to and
the window a dispensation date may take), mergers by name, and the user's API tokens and calendar feed
tokens."""
from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from .models import ApiToken, FeedToken, Merger


def planning_start(legal_date: dt.date) -> dt.date:
    """The first day a merger's plan may refer to: 1 January two years before the legal date's year (the
    2007 reform's law was passed and its drejebøger began in 2005)."""
    return dt.date(legal_date.year - 2, 1, 1)


def dispensation_window(merger: Merger) -> tuple[dt.date, dt.date]:
    """The first and the last day a dispensation date may take: from the planning start to the day before
    the legal date (the one rule; ``municipalities.services.merger_dispensation_set`` enforces it)."""
    return planning_start(merger.legal_date), merger.legal_date - dt.timedelta(days=1)


def mergers_by_name(merger_ids) -> list[Merger]:
    """The mergers ``merger_ids`` by name (one query)."""
    return list(Merger.objects.filter(pk__in=list(merger_ids)).order_by("name"))


def user_api_tokens(user) -> list[ApiToken]:
    """The user's API tokens, newest first (one query)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def user_api_token(user, token_id: int) -> ApiToken | None:
    """The user's API token ``token_id``, or None when there is none or it is someone else's (one query)."""
    return ApiToken.objects.filter(pk=token_id, user=user).first()


def live_feed_tokens(user) -> QuerySet[FeedToken]:
    """The user's calendar feed tokens that are not revoked (lazy, in no particular order)."""
    return FeedToken.objects.filter(user=user, revoked_at__isnull=True)


def active_feed_tokens(user) -> list[FeedToken]:
    """The user's calendar feed tokens that are not revoked, newest first (one query)."""
    return list(live_feed_tokens(user).order_by("-created_at"))
