"""Degrade, don't fail: with Redis down (the cache pointed at a closed port) token requests — reads, the
iCal feed, writes — answer 2xx on the database alone, and the outage is logged once, not per request."""
from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from core import cache as fail_open
from municipalities.tokens import feed_token_create, feed_url

CLOSED_PORT = "redis://127.0.0.1:6399/0"  # nothing listens here: "Redis is down"


@pytest.fixture
def redis_down(settings):
    fail_open._Breaker._open_until.clear()
    fail_open._last_warned.clear()
    fail_open._down.clear()
    settings.CACHES = {"default": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": CLOSED_PORT}}
    yield
    fail_open._Breaker._open_until.clear()
    fail_open._last_warned.clear()
    fail_open._down.clear()


def _token_client(world) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens['chief_rw']}")
    return client


def test_token_reads_writes_and_the_ical_feed_answer_2xx_with_redis_down(world, redis_down, caplog):
    client = _token_client(world)
    caplog.set_level(logging.WARNING, logger="mergeplan.degraded")

    for _ in range(5):
        assert client.get(f"/api/v1/milestones/?merger={world.a.pk}").status_code == 200
    step = world.step(world.a, "1")
    read = client.get(f"/api/v1/steps/{step.pk}/")
    assert read.status_code == 200
    write = client.patch(f"/api/v1/steps/{step.pk}/", {"description": "written while Redis is down"},
                         format="json", HTTP_IF_MATCH=read["ETag"])
    assert write.status_code == 200, write.content
    step.refresh_from_db()
    assert step.description == "written while Redis is down"

    _, raw = feed_token_create(user=world.users["viewer"])
    feed = APIClient().get(feed_url(None, world.a.pk, raw))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")

    warnings = [r for r in caplog.records if r.name == "mergeplan.degraded"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once per interval, not per request
    assert "unavailable" in warnings[0].getMessage() and "6399" in warnings[0].getMessage()


def test_the_throttle_itself_fails_open_on_a_plain_redis_cache(world, settings, caplog):
    """Django's own RedisCache raises when Redis is down; the throttle allows and logs instead of a 500."""
    fail_open._last_warned.clear()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": CLOSED_PORT}}
    caplog.set_level(logging.WARNING, logger="mergeplan.degraded")
    client = _token_client(world)

    assert client.get(f"/api/v1/milestones/?merger={world.a.pk}").status_code == 200
    assert client.get(f"/api/v1/mergers/{world.a.pk}/").status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "mergeplan.degraded"]
    assert len(messages) == 1 and "API throttle cache unavailable" in messages[0]


def test_the_fail_open_cache_answers_not_cached_and_skips_redis_while_it_is_down(redis_down, monkeypatch):
    cache = caches["default"]
    assert cache.get("k", "default") == "default"
    assert cache.add("k", 1) is True  # "go ahead"
    assert cache.incr("k", 3) == 3
    assert cache.set("k", 1) is None and cache.get_many(["k"]) == {} and cache.has_key("k") is False
    assert cache.get_or_set("k", 7) == 7

    calls = []
    monkeypatch.setattr("django.core.cache.backends.redis.RedisCacheClient.get",
                        lambda *a, **kw: calls.append(a))
    cache.get("k")
    assert calls == []  # the breaker is open: Redis is not asked again within RETRY_INTERVAL


def test_the_fail_open_cache_logs_the_recovery_and_uses_redis_again(monkeypatch, caplog):
    from django.core.cache.backends.redis import RedisCacheClient
    from redis.exceptions import ConnectionError as RedisConnectionError

    fail_open._Breaker._open_until.clear()
    fail_open._down.clear()
    fail_open._last_warned.clear()
    cache = fail_open.FailOpenRedisCache("redis://127.0.0.1:6398/0", {"RETRY_INTERVAL": 0})
    caplog.set_level(logging.INFO, logger="mergeplan.degraded")
    state = {"down": True}

    def get(self, key, default):
        if state["down"]:
            raise RedisConnectionError("Connection refused")
        return "cached"

    monkeypatch.setattr(RedisCacheClient, "get", get)
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get("k", "fallback") == "fallback"
    state["down"] = False
    assert cache.get("k", "fallback") == "cached"
    assert cache.get("k", "fallback") == "cached"
    messages = [r.getMessage() for r in caplog.records if r.name == "mergeplan.degraded"]
    assert len(messages) == 2, messages
    assert "unavailable" in messages[0] and "available again" in messages[1]
