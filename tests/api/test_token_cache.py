"""The per-process Bearer token cache (``API_TOKEN_CACHE_SECONDS``): a read within the bound skips the
token query; a revocation or a deactivated user in this process is refused at once; writes always read
the token afresh; an expiry is checked on every request."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from municipalities.api.authentication import invalidate_token_cache
from municipalities.models import ApiToken
from municipalities.tokens import api_token_create, api_token_revoke
from tests.support.api import client_for


@pytest.fixture
def cached(world):
    invalidate_token_cache()
    with override_settings(API_TOKEN_CACHE_SECONDS=60):
        yield world
    invalidate_token_cache()


def _token_queries(client, url, method="get", **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, **extra)
    return response, [q["sql"] for q in ctx.captured_queries if "apitoken" in q["sql"]]


def test_a_read_within_the_bound_skips_the_token_query(cached):
    client = client_for(cached, "readonly")
    first, queries = _token_queries(client, "/api/v1/milestones/")
    assert first.status_code == 200 and queries
    again, queries = _token_queries(client, "/api/v1/milestones/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 304 and queries == []


def test_revoked_token_and_inactive_user_are_refused_at_once(cached):
    chief = cached.users["chief"]
    token, raw = api_token_create(user=chief, name="cached")
    client = client_for(cached, "anonymous")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/steps/").status_code == 200
    api_token_revoke(token=token, actor=chief)
    assert client.get("/api/v1/steps/").status_code == 401

    token, raw = api_token_create(user=chief, name="cached 2")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/steps/").status_code == 200
    chief.is_active = False
    chief.save()
    assert client.get("/api/v1/steps/").status_code == 401


def test_expiry_is_checked_on_every_read_and_writes_read_the_token(cached):
    chief = cached.users["chief"]
    token, raw = api_token_create(user=chief, name="expiring")
    client = client_for(cached, "anonymous")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/steps/").status_code == 200
    # a write (even a refused one) reads the token from the database, not from the cache
    _, queries = _token_queries(client, "/api/v1/steps/0/", method="patch", data={})
    assert queries
    # revoked behind the cache's back (no signal): reads may use the cached token, writes never
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response, _ = _token_queries(client, "/api/v1/steps/0/", method="patch", data={})
    assert response.status_code == 401
    # the cached copy expires on time
    invalidate_token_cache()
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=None, expires_at=timezone.now() + dt.timedelta(seconds=1))
    assert client.get("/api/v1/steps/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    from municipalities.api import authentication

    cached_token = next(iter(authentication._TOKEN_CACHE.values()))[1]
    cached_token.expires_at = timezone.now() - dt.timedelta(seconds=1)  # as the clock would make it
    assert client.get("/api/v1/steps/").status_code == 401
