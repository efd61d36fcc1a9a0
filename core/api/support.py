"""The plumbing of the REST API: authentication, permissions, errors, ETags, pagination, renderers.

Views stay declarative; everything that every endpoint shares lives here:

- :class:`BearerTokenAuthentication` — ``Authorization: Bearer <token>`` (personal API tokens, hashed).
- :class:`FeedTokenAuthentication` — ``?token=`` for the iCal subscription only.
- :class:`ReadOnlyTokenPermission` — a read-only token never writes.
- :func:`exception_handler` — domain errors to 400/403/409/412 with field messages.
- :class:`ETagMixin` — weak ETags, ``If-None-Match`` → 304, ``If-Match`` required on writes (428 without
  it) and checked under ``select_for_update`` → 412.
- :class:`StandardPagination`, :class:`CSVRenderer`, :class:`ICalRenderer`, :class:`TokenRateThrottle`.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import IntegerField
from django.db.models.expressions import Col, RawSQL
from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import page_not_found
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, renderers, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import ISO_8601, api_settings
from rest_framework.throttling import UserRateThrottle

from core.api.filters import StrictFilterSet
from core.cache import CACHE_ERRORS, report_degraded
from core.prepared import fetch_prepared
from municipalities.models import ApiToken, FeedToken, hash_token
from municipalities.permissions import Action, merger_access

logger = logging.getLogger(__name__)

#: ``last_used_at`` is written at most this often per token (a write per request would be a hot row).
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


# --- Authentication ---------------------------------------------------------------------------------

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
                from logins.audit import record_token_used

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


# --- Permissions ------------------------------------------------------------------------------------


def is_token_request(request) -> bool:
    return isinstance(getattr(request, "auth", None), ApiToken | FeedToken)


class ReadOnlyTokenPermission(permissions.BasePermission):
    """Read-only API tokens and feed tokens never write, whatever the user may do."""

    message = gettext_lazy("This token is read-only.")

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        auth = getattr(request, "auth", None)
        if isinstance(auth, FeedToken):
            return False
        return not (isinstance(auth, ApiToken) and auth.read_only)


class PolicyMixin:
    """Asks the one policy module (``municipalities.permissions``) whether the user may act.

    Objects outside the user's mergers never reach this (the querysets are restricted: 404); a user who
    may see but not change gets a 403.
    """

    def require(self, action: Action, *, merger_id: int, obj=None) -> None:
        access = merger_access(self.request.user, merger_id)
        if not access.allows(action, obj):
            raise exceptions.PermissionDenied(_("You do not have permission to do this."))


# --- Errors -----------------------------------------------------------------------------------------


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The object was changed by someone else. Reload and try again.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    """A write to a versioned object without ``If-Match``: it could silently overwrite someone's change."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = gettext_lazy(
        "Send If-Match with the ETag from your last read; GET the object, then send its ETag header back, "
        "so that nobody's change is overwritten unnoticed."
    )
    default_code = "precondition_required"


def not_found(request, exception=None):
    """``handler404``: under ``/api/`` a JSON 404 like the API's own (a path no URL pattern matches, such as
    ``/api/v1/steps/1.5/``); the feed's path answers in the feed's content type; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        body = json.dumps({"detail": force_str(exceptions.NotFound.default_detail)})
        content_type = "text/calendar" if request.path.endswith(".ics") else "application/json"
        return HttpResponse(body, status=404, content_type=content_type)
    return page_not_found(request, exception)


# --- Serializers ------------------------------------------------------------------------------------


def _json_type_error(field, value) -> str | None:
    """The JSON type the schema documents for ``field``, if ``value`` is not of it (DRF would coerce: ``0``
    to ``"0"`` for text, ``0`` to ``false``, ``"5"`` to ``5``)."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Must be true or false.")
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else _("Must be a whole number.")
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else _("Must be a number.")
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField
                  | serializers.SlugRelatedField):
        return None if isinstance(value, str) else _("Must be text.")
    return None


class StrictSerializer(serializers.Serializer):
    """Input serializer that rejects fields it does not know (a typo must not be silently ignored), and
    values not of the JSON type its schema documents (no silent coercion of ``0`` to ``"0"`` or ``false``)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - {name for name, f in self.fields.items() if not f.read_only})
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
            wrong = {name: [error] for name, field in self.fields.items()
                     if name in data and (error := _json_type_error(field, data[name]))}
            if wrong and not hasattr(data, "getlist"):  # a JSON body (a form's values are all text)
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


# --- ETags ------------------------------------------------------------------------------------------


def etag_for(obj: models.Model, data) -> str:
    """A weak ETag of an object's representation ``data`` (what the client was shown).

    A hash of the representation rather than pk + version: the scheduler moves dates in bulk without
    touching ``version`` or ``updated_at``, and related rows (sign-offs, members, codes) show in the
    representation too; a hash changes whenever anything the client sees changes.
    """
    payload = json.dumps(data, sort_keys=True, default=str).encode()
    return f'W/"{obj._meta.model_name}-{obj.pk}-{hashlib.sha256(payload).hexdigest()[:20]}"'


def _etag_values(header: str) -> list[str]:
    return [v.strip().removeprefix("W/") for v in header.split(",") if v.strip()]


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of ``etag`` against an ``If-Match``/``If-None-Match`` header (``*`` matches)."""
    values = _etag_values(header)
    return "*" in values or etag.removeprefix("W/") in values


class ETagMixin:
    """ETag on every object; ``If-None-Match`` → 304 on GET; ``If-Match`` required on writes (428 when
    missing, 412 when stale).

    ``locked(obj)`` must be called inside ``transaction.atomic()``: it re-reads the row with
    ``select_for_update`` and compares ``If-Match`` with the *locked* state, so of two clients holding
    the same ETag only the first wins; the second waits for the lock, then sees the new version.
    """

    def object_etag(self, obj, data=None) -> str:
        return etag_for(obj, self.get_serializer(obj).data if data is None else data)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.get_serializer(obj).data
        etag = self.object_etag(obj, data)
        inm = request.headers.get("If-None-Match")
        if inm and etag_matches(inm, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    def locked(self, obj):
        """The object re-read under ``select_for_update``; 428 without ``If-Match``, 412 if it does not match.

        Every write to an existing object goes through here, so none is blind (no silent lost update).
        The representation is read again after the lock is held (under READ COMMITTED a new statement
        sees what the previous lock holder committed), so a second writer with the same ETag fails."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header:
            raise PreconditionRequired()
        fresh = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        if not etag_matches(header, self.object_etag(self.get_queryset().get(pk=obj.pk))):
            raise PreconditionFailed()
        return fresh

    def object_response(self, obj, *, status_code: int = 200, serializer_class=None) -> Response:
        """Re-read ``obj`` through the view's queryset (annotations included) and answer with its ETag."""
        fresh = self.get_queryset().get(pk=obj.pk)
        serializer = (serializer_class or self.get_serializer_class())(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code, headers={"ETag": self.object_etag(fresh, serializer.data)})


def atomic_write():
    """The transaction every API write runs in (the If-Match check and the service share it)."""
    return transaction.atomic()



#: Per-process cache of the compiled SQL of hot list pages: shape key → :class:`_CompiledPage` (None when
#: the shape cannot be reused). Bounded; cleared when full.
_PAGE_SQL: dict[tuple, _CompiledPage | None] = {}
_PAGE_SQL_MAX = 256


def _plain_json(functions, expression) -> bool:
    """Whether a column's only converter is a ``JSONField``'s own (a column read whole, the default
    decoder, the value arriving as text): then ``json.loads`` is what it does."""
    if len(functions) != 1 or not isinstance(expression, Col):
        return False
    field = expression.output_field
    function = functions[0]
    return (type(field) is models.JSONField and field.decoder is None
            and getattr(function, "__func__", None) is models.JSONField.from_db_value
            and getattr(function, "__self__", None) is field
            and isinstance(function("[]", expression, connection), list))


class _CompiledPage:
    """The SQL of one page shape (rows plus their count), the position of each output key in a row, and the
    converters of the columns that have one (JSON columns); run with the lean query's parameters twice
    (the count's subquery, then the rows' WHERE)."""

    __slots__ = ("sql", "name", "keys", "count_index", "converters", "dates")

    def __init__(self, sql, name, keys, count_index, converters, dates=()):
        self.sql, self.name, self.keys, self.count_index, self.converters = sql, name, keys, count_index, converters
        self.dates = dates  # date columns, given as the JSON encoder would write them (ISO 8601 text)

    def rows(self, params) -> tuple[list[dict], int | None]:
        raw = fetch_prepared(self.name, self.sql, params)
        if not raw:
            return [], None
        count = raw[0][self.count_index]
        keys, converters, dates = self.keys, self.converters, self.dates
        decoded: dict[str, object] = {}  # JSON text → value, within this page (most are "[]")
        data = []
        for row in raw:
            if converters or dates:
                row = list(row)
                for index in dates:
                    value = row[index]
                    if value is not None:
                        row[index] = value.isoformat()
                for index, functions, expression in converters:
                    value = row[index]
                    if functions is None:  # a plain JSON column: decoded once per distinct text
                        if value is not None:
                            text = value
                            value = decoded.get(text)
                            if value is None:
                                value = decoded[text] = json.loads(text)
                    else:
                        for function in functions:
                            value = function(value, expression, connection)
                    row[index] = value
                data.append({key: row[index] for key, index in keys})
            else:
                data.append({key: row[index] for key, index in keys})
        return data, count


class _PagedRows:
    """What the paginator pages for a hot list: counted on the lean queryset (no display columns), and
    sliced on the same queryset with its display columns (``annotate``) read as ``values()``; rows come
    as dicts of the output keys (``pairs``: output key, ``values()`` name).

    ``page`` (offset, limit) is the slice the paginator will ask for: its rows and the count are read in
    **one** query (the count an uncorrelated scalar subquery, evaluated once); only a page past the end
    (no row to carry the count) costs a separate count query. That query's SQL is compiled once per
    process and page shape (the lean query's SQL — filters, search, ordering, scope — with offset and
    limit; prepared on PostgreSQL) and its rows are read straight from the cursor: building and compiling
    the annotated queryset cost more than running it."""

    COUNT = "_paged_rows_count"

    def __init__(self, lean, annotate, pairs: list[tuple[str, str]], page: tuple[int, int] | None = None,
                 shape: str = ""):
        self.lean, self.annotate, self.pairs = lean, annotate, pairs
        self.sources = [source for _, source in pairs]
        self.page, self.shape = page, shape
        self.ordered = True
        self._rows = None
        self._count: int | None = None
        self._page_rows: list | None = None

    @property
    def rows(self):
        if self._rows is None:
            self._rows = self.annotate(self.lean).values(*self.sources)
        return self._rows

    def _keyed(self, rows) -> list[dict]:
        pairs = self.pairs
        return [{key: row[source] for key, source in pairs} for row in rows]

    def _counted(self, count_sql: str, count_params):
        offset, limit = self.page
        return self.rows.annotate(
            **{self.COUNT: RawSQL(f"SELECT COUNT(*) FROM ({count_sql}) _paged_rows", count_params,
                                  output_field=IntegerField())}
        ).values(*self.sources, self.COUNT)[offset:offset + limit]

    def _compile_page(self, key_params) -> _CompiledPage | None:
        """The page's SQL compiled once; None when its parameters are not the lean query's twice."""
        count_sql, count_params = self.lean.order_by().values("pk").query.sql_with_params()
        counted = self._counted(count_sql, count_params)
        compiler = counted.query.get_compiler(counted.db)
        sql, params = compiler.as_sql()
        if tuple(count_params) != tuple(key_params) or tuple(params) != (*key_params, *key_params):
            return None
        query = counted.query
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select]
        if len(names) != compiler.col_count:
            return None
        position = {name: i for i, name in enumerate(names)}
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        converters = [(i, None if _plain_json(functions, expression) else tuple(functions), expression)
                      for i, (functions, expression) in compiler.get_converters(fields).items()]
        dates = tuple(i for i, field in enumerate(fields) if i not in dict.fromkeys(c[0] for c in converters)
                      and type(getattr(field, "output_field", None)) is models.DateField)
        keys = tuple((key, position[source]) for key, source in self.pairs)
        name = "mergeplan_rows_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
        return _CompiledPage(sql, name, keys, position[self.COUNT], converters, dates)

    def _fetch_page(self) -> None:
        offset, limit = self.page
        key_sql, key_params = self.lean.values("pk").query.sql_with_params()
        key = (self.shape, tuple(self.pairs), offset, limit, self.lean.db, key_sql)
        if key not in _PAGE_SQL:
            if len(_PAGE_SQL) >= _PAGE_SQL_MAX:
                _PAGE_SQL.clear()
            _PAGE_SQL[key] = self._compile_page(key_params)
        compiled = _PAGE_SQL[key]
        if compiled is not None:
            rows, count = compiled.rows((*key_params, *key_params))
        else:
            count_sql, count_params = self.lean.order_by().values("pk").query.sql_with_params()
            rows = list(self._counted(count_sql, count_params))
            count = rows[0][self.COUNT] if rows else None
            rows = self._keyed(rows)
        if rows:
            self._count = count
            self._page_rows = rows
        else:
            self._count = self.lean.order_by().count()
            self._page_rows = []

    def count(self) -> int:
        if self._count is None:
            if self.page is not None:
                self._fetch_page()
            else:
                self._count = self.lean.order_by().count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if (self.page is not None and self._page_rows is not None and isinstance(index, slice)
                and (index.start or 0) == self.page[0]
                and index.stop in (self.page[0] + self.page[1], self._count)):  # the last page stops at count
            return self._page_rows
        return self._keyed(self.rows[index])

    def __iter__(self):
        return iter(self._keyed(self.rows))


def _datetime_representation(field: serializers.DateTimeField):
    """``field.to_representation``, with its common case (an aware datetime, ISO 8601 output, a current time
    zone) done without the per-value setting and time zone lookups."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or output_format is None or output_format.lower() != ISO_8601:
        return field.to_representation

    def convert(value):
        if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


class ValuesListMixin:
    """A list action that reads rows with ``values()`` — no model instances, no serializer fields — for
    the hot lists (steps, milestones). ``list_values`` maps each output key to the queryset value it
    comes from, in the serializer's order; the output is the serializer's, key for key (a test compares
    them). Datetimes named in ``list_datetimes`` are rendered as the serializer renders them."""

    list_values: dict[str, str] = {}
    list_datetimes: tuple[str, ...] = ()
    MAX_PREFETCH_PAGE = 1_000_000  # offset * size stays far inside a 64-bit SQL integer

    def get_list_queryset(self):
        """The queryset filtered and counted (lean); ``annotate_list`` adds what the rows show."""
        return self.get_queryset()

    def annotate_list(self, queryset):
        return queryset

    def _expected_page(self, request) -> tuple[int, int] | None:
        """(offset, limit) of the page the paginator will read, when the request names it plainly."""
        paginator = self.paginator
        if paginator is None or not hasattr(paginator, "get_page_size"):
            return None
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and getattr(renderer, "format", "") == "csv":
            return None  # not paginated
        size = paginator.get_page_size(request)
        number = request.query_params.get(paginator.page_query_param, "1")
        if not size or not number.isdigit() or not 1 <= int(number) <= self.MAX_PREFETCH_PAGE:
            return None  # a page number past any real list: the paginator answers 404 after counting
        return (int(number) - 1) * size, size

    def list(self, request, *args, **kwargs):
        pairs = list(self.list_values.items())
        lean = self.filter_queryset(self.get_list_queryset())
        rows = _PagedRows(lean, self.annotate_list, pairs, page=self._expected_page(request),
                          shape=type(self).__qualname__)
        page = self.paginate_queryset(rows)
        data = list(page) if page is not None else list(iter(rows))  # list(rows) would count them first
        if self.list_datetimes:
            convert = _datetime_representation(serializers.DateTimeField())
            for item in data:
                for key in self.list_datetimes:
                    if item[key] is not None:
                        item[key] = convert(item[key])
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the query string names none of the view's filters (building the
    filter form is a fifth of a hot list's time, and without parameters it filters nothing).
    ``filterset_fields`` get :class:`core.api.filters.StrictFilterSet` (ids from 1, no empty values)."""

    filterset_base = StrictFilterSet

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


# --- Pagination -------------------------------------------------------------------------------------


class StandardPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``?page_size=`` up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param, None) == "":  # as every typed parameter: 400
            raise serializers.ValidationError({self.page_query_param: [_("Give a value, or leave the parameter out.")]})
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and getattr(renderer, "format", "") == "csv":
            return None  # an export holds every row the filters select
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        """``?page_size=`` must be a whole number from 1 (a larger one is cut to 500); else a 400 naming it."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if size < 1:
                raise serializers.ValidationError(
                    {self.page_size_query_param: [_("Give a whole number from 1 to %(max)d.") % {
                        "max": self.max_page_size}]}
                )
        return super().get_page_size(request)


# --- Renderers --------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return force_str(value)


class CSVRenderer(renderers.BaseRenderer):
    """CSV for spreadsheets: UTF-8 with a BOM (Excel reads Danish letters right), ``;``-free commas,
    one header row from the first row's keys."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            rows: Iterable = [data] if isinstance(data, dict) else list(data or [])
        elif isinstance(data, dict) and "results" in data:
            rows = data["results"]
        elif isinstance(data, dict):
            rows = [data]
        else:
            rows = data or []
        rows = list(rows)
        out = io.StringIO()
        out.write("\ufeff")
        if rows:
            header = list(rows[0].keys())
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(row.get(k)) for k in header])
        if response is not None and response.status_code < 400:
            view = (renderer_context or {}).get("view")
            name = getattr(view, "csv_filename", "export")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return out.getvalue().encode("utf-8")


class ICalRenderer(renderers.BaseRenderer):
    """Passes through bytes made by :mod:`icalendar` (``text/calendar``); errors as plain text."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:  # 304 Not Modified: no body
            return b""
        if isinstance(data, bytes):
            return data
        if isinstance(data, dict):
            return json.dumps(data, default=str).encode()
        return force_str(data).encode()


# --- Throttling -------------------------------------------------------------------------------------


class TokenRateThrottle(UserRateThrottle):
    """Rate limit for token clients (scripts); the browser's session is not throttled.

    A fixed-window counter: one counter per token user and window of the rate's length (``1200/min``:
    the minute), counted with one cache round trip (:meth:`FailOpenRedisCache.incr_expiring`). DRF's own
    throttle keeps every request's timestamp of the window in one cache value, read and written whole on
    every request — its cost grows with the rate it allows. A client may get up to twice the rate across
    the edge of two windows; ``Retry-After`` says when the window ends.

    Fails open: when the cache (Redis) raises, the request is allowed and the outage logged."""

    scope = "token"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if not is_token_request(request):
            return True
        return self.allow_user(request.user)

    def allow_user(self, user) -> bool:
        """Count one request of a token ``user``; whether it is within the rate."""
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
            report_degraded("API throttle cache", exc, action="token requests allowed without a rate limit")
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
