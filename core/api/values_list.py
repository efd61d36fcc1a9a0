"""Hot lists read as ``values()`` rows: no model instances, no serializer fields, the page and its count in
one query whose SQL is compiled once per process and page shape.

:class:`ValuesListMixin` is the viewset half (the steps and milestones lists); :class:`_PagedRows` is what
the paginator pages, and :data:`_PAGE_SQL` the per-process cache of compiled page SQL."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.db import connection, models
from django.db.models import IntegerField
from django.db.models.expressions import Col, RawSQL
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import ISO_8601, api_settings

from core.api.renderers import wants_csv
from core.prepared import fetch_prepared

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
        if wants_csv(request):
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
