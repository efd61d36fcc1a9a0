"""Conditional GET for the hot lists and the iCal feed: a weak ETag from a cheap version stamp, so a
polling client's ``If-None-Match`` is answered 304 after one small query, without reading or serializing
a single row.

The stamp of a set of steps is read in **one** query (:func:`steps_stamp`):

- the number of steps, their latest ``updated_at`` (every save of a step, every deletion) and the sum
  of their ``version`` (every write through a service bumps it in its own transaction: two edits that
  commit in the opposite order of their ``updated_at`` still change the sum, where the latest
  ``updated_at`` alone could stay the same and answer a stale 304),
- the latest ``scheduled_at`` of their runbooks (the scheduler writes planned dates, slack, waves and
  the critical flag in bulk without touching ``updated_at``, but stamps the runbook in the same
  transaction),
- the number and latest id of the runbooks' baselines (the milestones' ``baseline_date``),
- the runbooks in scope (a membership gained or lost changes the scope).

The ETag hashes the stamp with everything else the answer depends on: the view, the path and the
whole query string (filters, ordering, search, page, page size, format), the user and the language.
The stamp is taken over the *unfiltered* scope: a change anywhere in it invalidates every page of
every filter — conservative, never stale. Risk flags (``at_risk``) written by ``risks_detect`` in bulk
are the one bulk write outside the scheduler: it sets ``updated_at`` with them (runbook/risks.py).

The stamp is read *before* the rows: a change committed in between gives the client newer rows under
the older ETag, so its next poll is a 200 again — never a stale 304.
"""
from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum, Value
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from rest_framework import exceptions, status

from core.api.etags import etag_matches, not_modified
from core.prepared import fetch_prepared
from municipalities.api.authentication import BearerTokenAuthentication
from municipalities.api.throttling import TokenRateThrottle
from runbook.models import Baseline


def _aggregate_sql(qs: QuerySet, **aggregates) -> tuple[str, tuple]:
    """SQL of one row of ``aggregates`` over ``qs`` (no GROUP BY: ``Value`` is never grouped by)."""
    qs = qs.order_by().annotate(_one=Value(1)).values("_one").annotate(**aggregates).values(*aggregates)
    return qs.query.sql_with_params()


def stamp_sql(steps: QuerySet, runbooks: QuerySet) -> tuple[str, tuple]:
    """The stamp's one query: (count, max updated_at, sum of versions) of ``steps``; (max scheduled_at, sum of ids, the
    mergers' max updated_at) of ``runbooks``; (count, max id) of those runbooks' baselines."""
    step_sql, step_params = _aggregate_sql(steps, n=Count("*"), u=Max("updated_at"), v=Sum("version"))
    rb_sql, rb_params = _aggregate_sql(
        runbooks, s=Max("scheduled_at"), r=Sum("pk"), mu=Max("merger__updated_at")
    )
    bl_sql, bl_params = _aggregate_sql(
        Baseline.objects.filter(runbook__in=runbooks.order_by().values("pk")), c=Count("pk"), m=Max("pk")
    )
    sql = f"SELECT a.n, a.u, a.v, b.s, b.r, b.mu, c.c, c.m FROM ({step_sql}) a, ({rb_sql}) b, ({bl_sql}) c"
    return sql, (*step_params, *rb_params, *bl_params)


def _run(sql: str, params) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row or ())


def steps_stamp(steps: QuerySet, runbooks: QuerySet) -> tuple:
    """The stamp of ``steps`` (see :func:`stamp_sql`), compiled now."""
    return _run(*stamp_sql(steps, runbooks))


def _run_prepared(name: str, sql: str, params) -> tuple:
    """Run ``sql`` as a server-side prepared statement of this connection (PostgreSQL: planned once per
    connection — planning the stamp's three aggregates cost more than running them); elsewhere, or when
    the SQL cannot be prepared, as a plain query."""
    rows = fetch_prepared(name, sql, params)
    return tuple(rows[0]) if rows else ()


#: placeholders the stamp's SQL is compiled with once per process (never real primary keys)
_USER, _MERGER = -7_310_000_001, -7_310_000_002
_COMPILED: dict[tuple, tuple[str, tuple] | None] = {}


def scoped_stamp(name: str, build, user, merger_id: int | None = None) -> tuple:
    """The stamp of ``build(user, merger_id)`` → ``(steps, runbooks)``, from SQL compiled once per process.

    Compiling three querysets costs more than running them (~1.5 ms against ~1 ms), so the SQL is compiled
    with a stand-in user (and merger) whose placeholder ids are swapped for the real ones at each call; the
    scope still comes from ``Model.objects.restrict(user)``, which depends on the user's id and
    ``is_superuser`` only (both keyed here). Should a compile not show the placeholder, the stamp is
    compiled per call instead.
    """
    if not getattr(user, "is_authenticated", False):
        return ()
    key = (name, bool(user.is_superuser), merger_id is None)
    if key not in _COMPILED:
        stand_in = get_user_model()(pk=_USER, is_superuser=user.is_superuser, is_active=True)
        sql, params = stamp_sql(*build(stand_in, None if merger_id is None else _MERGER))
        expected = ({_USER} if not user.is_superuser else set()) | ({_MERGER} if merger_id is not None else set())
        _COMPILED[key] = _with_constants_inlined(sql, params) if expected <= set(params) else None
    compiled = _COMPILED[key]
    if compiled is None:
        return steps_stamp(*build(user, merger_id))
    sql, params = compiled
    real = {_USER: user.pk, _MERGER: merger_id}
    statement = f"mergeplan_stamp_{abs(hash(key)) % 10**12}"
    return _run_prepared(statement, sql, tuple(real.get(p, p) if isinstance(p, int) else p for p in params))


def _with_constants_inlined(sql: str, params: tuple) -> tuple[str, tuple]:
    """``sql`` with every parameter but the user and merger placeholders written into it as a literal
    (quoted by the database driver), on PostgreSQL: the prepared statement's generic plan then knows the
    constants (the milestone kinds) and plans as well as a plan made for each call. Elsewhere as it is."""
    if connection.vendor != "postgresql" or "%%" in sql or sql.count("%s") != len(params):
        return sql, params
    pieces = sql.split("%s")
    kept: list = []
    with connection.cursor() as cursor:
        out = [pieces[0]]
        for param, piece in zip(params, pieces[1:], strict=True):
            if isinstance(param, int) and param in (_USER, _MERGER):
                out.append("%s")
                kept.append(param)
            else:
                out.append(cursor.mogrify("%s", [param]).decode())
            out.append(piece)
    return "".join(out), tuple(kept)


def etag_of(view_name: str, path: str, query: list, user_pk, accepted: str, stamp: tuple) -> str:
    """A weak ETag of one answer: the stamp plus what else the answer depends on — the view, the path,
    the whole query string (sorted ``(name, values)`` pairs), the user, the language and the format."""
    parts = (view_name, path, query, user_pk, translation.get_language(), accepted, stamp)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return f'W/"{view_name}-{digest}"'


def list_etag(request, view_name: str, stamp: tuple) -> str:
    """The ETag of the answer to a DRF ``request`` (see :func:`etag_of`)."""
    user = getattr(request, "user", None)
    query = sorted(request.query_params.lists()) if hasattr(request, "query_params") else []
    accepted = getattr(getattr(request, "accepted_renderer", None), "format", "")
    return etag_of(view_name, request.path, query, getattr(user, "pk", None), accepted, stamp)


#: ``Accept`` headers a JSON list answers with its first renderer (JSON) — the early 304's only format
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})


def early_not_modified(request: HttpRequest, view, name: str, build, *, merger_id: int | None = None,
                       accepted: str | None = "json") -> HttpResponse | None:
    """A 304 for a polling token client, answered before DRF builds its request (no negotiation,
    permission classes, filters or pagination): what the view's own conditional GET would answer, with
    the same ETag (:func:`etag_of`) and headers; ``None`` whenever the view must decide itself — no
    ``If-None-Match``, no Bearer token or one that does not authenticate, a format or ``Accept`` other
    than ``accepted`` (``None``: the view has one format whatever the client accepts), the rate
    exceeded, or a changed stamp.

    The rules are the view's: the token authenticates as in :class:`BearerTokenAuthentication` (a GET:
    read-only tokens may), the request counts against the token's rate (:class:`TokenRateThrottle`),
    the scope comes from ``build`` as in :func:`scoped_stamp`.
    """
    header = request.headers.get("If-None-Match")
    authorization = request.headers.get("Authorization", "")
    if not header or request.method != "GET" or not authorization.startswith("Bearer ") or "token" in request.GET:
        return None  # (a feed token in the URL would authenticate the iCal feed before the Bearer token)
    if accepted is not None:
        if "format" in request.GET or request.headers.get("Accept", "").strip() not in _JSON_ACCEPTS:
            return None
    else:
        accepted = view.renderer_classes[0].format
    try:
        user, _token = BearerTokenAuthentication().authenticate_raw(authorization[7:].strip(), safe=True)
    except exceptions.AuthenticationFailed:
        return None
    if not TokenRateThrottle().allow_user(user):
        return None
    stamp = scoped_stamp(name, build, user, merger_id)
    etag = etag_of(name, request.path, sorted(request.GET.lists()), user.pk, accepted, stamp)
    if not etag_matches(header, etag):
        return None
    response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
    for key, value in view.default_response_headers.items():
        response[key] = value
    response["ETag"] = etag
    return response


class ListETagMixin:
    """``list`` answers ``If-None-Match`` with 304 from :func:`scoped_stamp` (one query), and every 200 list
    carries the ETag. The view names its stamp's scope with the static ``list_stamp_querysets(user,
    merger_id)`` → ``(steps, runbooks)``: the lean, unfiltered querysets of the user's scope. A polling
    token client's 304 is answered before DRF's dispatch (:func:`early_not_modified`)."""

    @staticmethod
    def list_stamp_querysets(user, merger_id=None) -> tuple[QuerySet, QuerySet]:  # pragma: no cover
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not kwargs and self.action_map.get("get") == "list":
            early = early_not_modified(request, self, type(self).__name__, self.list_stamp_querysets)
            if early is not None:
                return early
        return super().dispatch(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        name = type(self).__name__
        etag = list_etag(request, name, scoped_stamp(name, self.list_stamp_querysets, request.user))
        cached = not_modified(request, etag)
        if cached is not None:
            return cached
        response = super().list(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            response["ETag"] = etag
        return response
