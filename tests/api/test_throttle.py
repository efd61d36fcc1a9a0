"""The token rate limit: a fixed window per token user, counted once per request in the cache (Redis in the
PostgreSQL run, the local memory cache otherwise); the browser's session is never throttled."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.support.api import client_for


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/min"}}
    cache.clear()
    yield
    cache.clear()


def test_a_token_client_over_its_rate_gets_429_with_retry_after(world, three_a_minute):
    token = client_for(world, "readonly")
    # one counter across every endpoint of the token's user
    codes = [token.get(url).status_code for url in ("/api/v1/steps/", "/api/v1/milestones/", "/api/v1/mergers/")]
    assert codes == [200, 200, 200]

    refused = token.get("/api/v1/steps/")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "detail" in refused.json()


def test_the_session_is_not_throttled(world, three_a_minute):
    session = client_for(world, "chief")
    assert {session.get("/api/v1/steps/").status_code for _ in range(6)} == {200}


def test_the_window_ends_and_the_client_may_go_on(world, three_a_minute, monkeypatch):
    token = client_for(world, "readonly")
    clock = [60 * 16_667 + 20.0]  # 20 s into a minute
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.timer", lambda self: clock[0])
    assert [token.get("/api/v1/steps/").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock[0] += 40  # the next minute
    assert token.get("/api/v1/steps/").status_code == 200
