"""The token services check the actor's right themselves: a token is issued and revoked by its owner or a
superuser. Refused, they write nothing — no token, no revocation and no audit Event."""
from __future__ import annotations

import pytest

from audit.models import Event
from core.exceptions import PermissionDeniedError
from municipalities.models import ApiToken, FeedToken
from municipalities.tokens import api_token_create, api_token_revoke, feed_token_create, feed_token_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _writes() -> tuple:
    return (ApiToken.objects.count(), FeedToken.objects.count(), Event.objects.count(),
            ApiToken.objects.filter(revoked_at__isnull=False).count(),
            FeedToken.objects.filter(revoked_at__isnull=False).count())


def test_only_the_owner_or_a_superuser_manages_a_token():
    owner, other = UserFactory(username="tok-owner"), UserFactory(username="tok-other", is_staff=True)
    api, _raw = api_token_create(user=owner, name="Mit script")
    feed, _raw = feed_token_create(user=owner)
    before = _writes()
    with pytest.raises(PermissionDeniedError):
        api_token_create(user=owner, name="Udstedt af en anden", actor=other)
    with pytest.raises(PermissionDeniedError):
        api_token_revoke(token=api, actor=other)
    with pytest.raises(PermissionDeniedError):
        feed_token_revoke(token=feed, actor=other)
    assert _writes() == before
    root = UserFactory(username="tok-root", is_superuser=True, is_staff=True)
    api_token_create(user=owner, name="Udstedt af administratoren", actor=root)
    assert api_token_revoke(token=api, actor=root).revoked_at is not None
    assert feed_token_revoke(token=feed, actor=owner).revoked_at is not None
