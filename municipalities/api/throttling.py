"""The API's rate limit for token clients (``DEFAULT_THROTTLE_CLASSES``; scope ``token``): scripts are
limited, the browser's session is not.

Named in the REST framework settings, so this module must not import ``rest_framework.views`` (or anything
that does): that import reads the settings, which name this module."""
from __future__ import annotations

from core.api.throttling import FixedWindowThrottle
from municipalities.api.authentication import is_token_request


class TokenRateThrottle(FixedWindowThrottle):
    """Rate limit for token clients (scripts); the browser's session is not throttled.

    A fixed window per token user (:class:`~core.api.throttling.FixedWindowThrottle`): one cache round
    trip per request, ``Retry-After`` when the window ends; fails open when the cache is down."""

    scope = "token"
    degraded_action = "token requests allowed without a rate limit"

    def applies_to(self, request) -> bool:
        return is_token_request(request)
