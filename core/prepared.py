"""Server-side prepared statements on PostgreSQL: the hot reads (the lists' pages, the polling stamp) are
planned once per connection instead of once per request — planning them cost more than running them."""
from __future__ import annotations

from django.db import connection

#: server-side prepared statements per PostgreSQL connection: id(raw connection) → (raw connection, names)
_PREPARED: dict[int, tuple[object, set[str]]] = {}


def fetch_prepared(name: str, sql: str, params) -> list[tuple]:
    """All rows of ``sql``, run as the prepared statement ``name`` of this connection on PostgreSQL
    (``PREPARE`` once per connection, then ``EXECUTE``); elsewhere, or when the SQL cannot be prepared
    (a literal ``%%``, placeholders not matching the parameters), as a plain query."""
    params = tuple(params)
    if connection.vendor != "postgresql" or "%%" in sql or sql.count("%s") != len(params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = connection.connection
    entry = _PREPARED.get(id(raw))
    if entry is None or entry[0] is not raw:
        for key in [k for k, (conn, _) in _PREPARED.items() if getattr(conn, "closed", 1)]:
            del _PREPARED[key]
        entry = _PREPARED[id(raw)] = (raw, set())
    names = entry[1]
    placeholders = ", ".join(["%s"] * len(params))
    execute = f"EXECUTE {name}({placeholders})" if params else f"EXECUTE {name}"
    with connection.cursor() as cursor:
        if name not in names:  # prepared and run in one round trip (one query, as every later call)
            numbered = sql
            for i in range(1, len(params) + 1):
                numbered = numbered.replace("%s", f"${i}", 1)
            cursor.execute(f"PREPARE {name} AS {numbered}; {execute}", params)
            names.add(name)
        else:
            cursor.execute(execute, params)
        return cursor.fetchall()
