"""Who calls the API with a token: personal API tokens (``Authorization: Bearer <raw>``) and the secret
of a calendar subscription URL (``?token=``). Tokens are :class:`~municipalities.models.ApiToken` and
:class:`~municipalities.models.FeedToken`; only their SHA-256 is stored, and token use is audited
(``logins.audit``).

:class:`BearerTokenAuthentication` is named in the REST framework settings, so this module must not import
``rest_framework.views`` (or anything that does): that import reads the settings, which name this module.
"""
from __future__ import annotations

import copy
import datetime as dt
import time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from logins.audit import record_token_used
from municipalities.models import ApiToken, FeedToken, hash_token

#: ``last_used_at`` is written at most this often per token (a write per request would be a hot row).
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)

#: Per-process cache of Bearer tokens that authenticated: key hash → (valid until, token with its user).
#: Read requests (GET, HEAD, OPTIONS) within ``API_TOKEN_CACHE_SECONDS`` of a successful lookup skip the
#: token query; writes always read the token afresh. Bound: a token revoked, or a user deactivated, in
#: *another* process is refused by this one at the latest ``API_TOKEN_CACHE_SECONDS`` later (reads only);
#: in the same process at once (``invalidate_token_cache`` on every save or delete of a token or a user).
#: Expiry is checked on every request. Each request gets its own copy of the token and user.
_TOKEN_CACHE: dict[str, tuple[float, ApiToken]] = {}
_TOKEN_CACHE_MAX = 1024


def _token_cache_seconds() -> float:
    return float(getattr(settings, "API_TOKEN_CACHE_SECONDS", 0) or 0)


def _token_cache_get(key_hash: str) -> ApiToken | None:
    entry = _TOKEN_CACHE.get(key_hash)
    if entry is None:
        return None
    if entry[0] < time.monotonic():
        _TOKEN_CACHE.pop(key_hash, None)
        return None
    token = copy.copy(entry[1])
    token.user = copy.copy(entry[1].user)
    return token


def _token_cache_put(key_hash: str, token: ApiToken) -> None:
    seconds = _token_cache_seconds()
    if seconds <= 0:
        return
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
        _TOKEN_CACHE.clear()
    cached = copy.copy(token)
    cached.user = copy.copy(token.user)
    _TOKEN_CACHE[key_hash] = (time.monotonic() + seconds, cached)


def _token_cache_touch(key_hash: str, last_used_at) -> None:
    entry = _TOKEN_CACHE.get(key_hash)
    if entry is not None:
        entry[1].last_used_at = last_used_at


def invalidate_token_cache(**kwargs) -> None:
    """Forget every cached token of this process (connected to saves and deletes of tokens and users)."""
    _TOKEN_CACHE.clear()


class BearerTokenAuthentication(BaseAuthentication):
    """Personal API tokens: ``Authorization: Bearer <raw>``; only the SHA-256 is stored.

    Expired, revoked or unknown tokens are a 401. ``request.auth`` is the :class:`ApiToken`.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        return self.authenticate_raw(raw, safe=request.method in permissions.SAFE_METHODS)

    def authenticate_raw(self, raw: str, *, safe: bool = False):
        key_hash = hash_token(raw)
        token = _token_cache_get(key_hash) if safe else None
        if token is None:
            try:
                token = ApiToken.objects.select_related("user").get(key_hash=key_hash)
            except ApiToken.DoesNotExist:
                token = None
            if token is not None and token.is_active and token.user.is_active:
                _token_cache_put(key_hash, token)
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            # conditional: of parallel requests only one wins, and it records the use in the audit trail
            won = ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(last_used_at=now)
            token.last_used_at = now
            _token_cache_touch(token.key_hash, now)
            if won:
                record_token_used(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class FeedTokenAuthentication(BaseAuthentication):
    """The secret of a calendar subscription URL (``?token=``). Read-only; only for the iCal feed."""

    def authenticate(self, request):
        raw = request.query_params.get("token")
        if not raw:
            return None
        token = (
            FeedToken.objects.select_related("user")
            .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked feed token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def is_token_request(request) -> bool:
    """Whether ``request`` authenticated with a token (API or feed) rather than the browser's session."""
    return isinstance(getattr(request, "auth", None), ApiToken | FeedToken)
