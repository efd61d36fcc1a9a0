"""Degrade, don't fail: the Redis cache fails open.

The cache holds nothing that the database does not (API throttling counters, de-duplication marks), so
when Redis is unreachable the app keeps answering on PostgreSQL alone:

- :class:`FailOpenRedisCache` — Django's ``RedisCache`` whose every operation answers as if the key
  were absent (``get`` → default, ``add`` → True "go ahead", ``incr`` → ``delta``, writes are dropped)
  when Redis raises. After a failure Redis is not asked again for ``RETRY_INTERVAL`` seconds (a
  circuit breaker: a hanging Redis costs at most one connect timeout per interval and process, not
  one per request); then the next operation tries again.
- :func:`report_degraded` — the one warning per ``LOG_INTERVAL`` and component (not one per
  request), and an info line when the component is back.

Short connect and socket timeouts are set unless ``OPTIONS`` names them.
"""
from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("mergeplan.degraded")

#: Seconds between two warnings about the same unavailable component.
LOG_INTERVAL = 60.0
#: Seconds the cache is bypassed after a failure before Redis is tried again.
RETRY_INTERVAL = 5.0

#: What a cache operation raises when its server is down or hanging.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, EOFError)

_lock = threading.Lock()
_last_warned: dict[str, float] = {}
_down: dict[str, bool] = {}
_skipped: dict[str, int] = {}


def report_degraded(component: str, exc: BaseException, *, action: str = "serving without it") -> None:
    """Log that ``component`` failed: a warning at most once per :data:`LOG_INTERVAL` per process."""
    now = time.monotonic()
    with _lock:
        _down[component] = True
        _skipped[component] = _skipped.get(component, 0) + 1
        last = _last_warned.get(component)
        if last is not None and now - last < LOG_INTERVAL:
            return
        _last_warned[component] = now
        count, _skipped[component] = _skipped[component], 0
    logger.warning(
        "%s unavailable (%s: %s); %s (%d failed operation%s since the last warning).",
        component, type(exc).__name__, exc, action, count, "" if count == 1 else "s",
    )


def report_recovered(component: str) -> None:
    """Log once that ``component`` answers again."""
    with _lock:
        if not _down.pop(component, False):
            return
        _last_warned.pop(component, None)
        _skipped.pop(component, None)
    logger.info("%s available again.", component)


class _Breaker:
    """Shared by every thread of a process for one cache location (Django makes a cache per thread)."""

    _open_until: dict[str, float] = {}

    def __init__(self, name: str, retry_interval: float):
        self.name, self.retry_interval = name, retry_interval

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until.get(self.name, 0.0)

    def trip(self, exc: BaseException) -> None:
        self._open_until[self.name] = time.monotonic() + self.retry_interval
        report_degraded(self.name, exc, action="cache bypassed, requests served without it (fail open)")

    def close(self) -> None:
        if self._open_until.pop(self.name, None) is not None:
            report_recovered(self.name)


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache that answers "not cached" instead of raising when Redis is down.

    ``params`` may hold ``RETRY_INTERVAL`` (seconds, default :data:`RETRY_INTERVAL`)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", 1.0)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        location = server if isinstance(server, str) else ",".join(server)
        self._breaker = _Breaker(f"Redis cache {_without_password(location)}",
                                 float(params.get("RETRY_INTERVAL", RETRY_INTERVAL)))

    def _guarded(self, call, fallback):
        if self._breaker.is_open():
            return fallback
        try:
            result = call()
        except CACHE_ERRORS as exc:
            self._breaker.trip(exc)
            return fallback
        self._breaker.close()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version), True)

    def get(self, key, default=None, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).incr(key, delta, version), delta)

    def incr_expiring(self, key, timeout: int) -> int:
        """Count one more under ``key`` (created at 1, expiring ``timeout`` seconds after its first count)
        in one round trip (``INCR`` + ``EXPIRE … NX`` pipelined). Redis down: 1."""

        def call():
            made = self.make_and_validate_key(key)
            pipe = self._cache.get_client(made, write=True).pipeline()
            pipe.incr(made)
            pipe.expire(made, int(timeout), nx=True)
            return pipe.execute()[0]

        return self._guarded(call, 1)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version), [])

    def delete_many(self, keys, version=None):
        return self._guarded(lambda: super(FailOpenRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._guarded(lambda: super(FailOpenRedisCache, self).clear(), False)


def _without_password(url: str) -> str:
    """``redis://:secret@host:6379/1`` → ``redis://host:6379/1`` (URLs end up in the log)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    return f"{scheme}://{rest.rpartition('@')[2]}"
