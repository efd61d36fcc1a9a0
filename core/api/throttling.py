"""A per-user rate limit counted in fixed windows with one cache round trip per request, that fails open.

:class:`FixedWindowThrottle` counts the requests it applies to (:meth:`~FixedWindowThrottle.applies_to`,
every one unless a subclass says otherwise); which clients are limited is the subclass's to say."""
from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from core.cache import CACHE_ERRORS, report_degraded


class FixedWindowThrottle(UserRateThrottle):
    """A fixed-window counter: one counter per user and window of the rate's length (``1200/min``: the
    minute), counted with one cache round trip (:meth:`FailOpenRedisCache.incr_expiring`). DRF's own
    throttle keeps every request's timestamp of the window in one cache value, read and written whole on
    every request — its cost grows with the rate it allows. A client may get up to twice the rate across
    the edge of two windows; ``Retry-After`` says when the window ends.

    Fails open: when the cache (Redis) raises, the request is allowed and the outage logged."""

    #: what the degraded-cache log line says is allowed while the cache is down
    degraded_action = "requests allowed without a rate limit"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def applies_to(self, request) -> bool:
        """Whether ``request`` counts against the rate (the others are never throttled)."""
        return True

    def allow_request(self, request, view):
        if not self.applies_to(request):
            return True
        return self.allow_user(request.user)

    def allow_user(self, user) -> bool:
        """Count one request of ``user``; whether it is within the rate."""
        self.rate = self.get_rate()
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.now = self.timer()
        window = int(self.now // self.duration)
        self._window_end = (window + 1) * self.duration
        key = f"{self.cache_format % {'scope': self.scope, 'ident': user.pk}}:{window}"
        try:
            count = _count_in_window(self.cache, key, self.duration + 1)
        except CACHE_ERRORS as exc:  # Redis down: fail open, logged once per interval (core.cache)
            report_degraded("API throttle cache", exc, action=self.degraded_action)
            return True
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self._window_end - self.now)


def _count_in_window(cache, key: str, timeout: int) -> int:
    """One more request counted under ``key`` (expiring ``timeout`` s after its first); the new count."""
    if hasattr(cache, "incr_expiring"):
        return cache.incr_expiring(key, timeout)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1
