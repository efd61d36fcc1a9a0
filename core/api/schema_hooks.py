"""A drf-spectacular postprocessing hook: every operation documents every status code it can answer.

What the API's plumbing (:mod:`core.api`, the token classes) and the views answer besides the success, per
operation:

- 400 — bad query parameters (``page_size``, filters with choices, dates, numbers) or a bad body; a
  delete the data refuses (the object is still referenced);
- 401 — no, an unknown, expired or revoked token (every operation except the public ping and schema);
- 403 — signed in but not allowed (role, read-only token, feed token outside the feed);
- 404 — an object outside the user's mergers or unknown; on lists, a page past the last;
- 409 — a write that conflicts with the plan or with another change (no ``If-Match`` to compare);
- 412/428 — writes to an existing object: stale ``If-Match``/none (documented by ``core.api.schema``);
- 413 — a request body over the size limit;
- 414 — a query string so long that gunicorn refuses the request line (its own page, before the app);
- 429 — a token client over its rate limit;
- 304 — ``If-None-Match`` naming the current ETag, on an object's GET and on the polled lists and feed.

Codes an operation documents already are left as they are (the view's own ``extend_schema`` wins).
"""
from __future__ import annotations

ERROR = "ErrorDetail"
FIELD_ERRORS = "FieldErrors"

_DESCRIPTIONS = {
    "304": "Not Modified: If-None-Match names the current ETag (no body).",
    "400": "Bad Request: a query parameter or a field of the body is invalid (messages per field).",
    "401": "Unauthorized: no valid token or session.",
    "403": "Forbidden: signed in, but this role or token may not do this.",
    "404": "Not Found: no such object within your mergers (on a list: no such page; anywhere: an unknown "
           "?format=).",
    "409": "Conflict: the change conflicts with the plan or with another change.",
    "412": "Precondition Failed: the object changed since the ETag sent in If-Match.",
    "413": "Payload Too Large: the request body is over the limit.",
    "428": "Precondition Required: If-Match is missing.",
    "414": "URI Too Long: the request line is over gunicorn's limit (4,094 bytes; answered by the server).",
    "429": "Too Many Requests: the token's rate limit is reached; retry after Retry-After seconds.",
}
_PUBLIC = ("/api/v1/ping/", "/api/v1/schema/")
_POLLED_LISTS = ("/api/v1/steps/", "/api/v1/milestones/")


def _content(path: str, code: str) -> dict:
    schema = {"$ref": f"#/components/schemas/{FIELD_ERRORS if code == '400' else ERROR}"}
    if path.endswith(".ics"):  # the feed answers text/calendar, errors included (JSON text)
        return {"text/calendar": {"schema": {"type": "string"}}}
    return {"application/json": {"schema": schema}}


def _codes(path: str, method: str, operation: dict) -> list[str]:
    if path in _PUBLIC:
        return []
    codes = ["401", "403", "429"]
    params = operation.get("parameters", [])
    has_query = any(p.get("in") == "query" for p in params)
    has_body = "requestBody" in operation
    is_detail = "{" in path
    if has_query or has_body or method == "delete":  # a delete can be refused (still referenced): 400
        codes.append("400")
    if has_query:
        codes.append("414")
    if (is_detail or (method == "get" and any(p.get("name") == "page" for p in params))
            or any(p.get("name") == "format" for p in params)):  # DRF answers an unknown ?format= with 404
        codes.append("404")
    if method in ("post", "put", "patch", "delete"):
        codes.append("409")
        if has_body:
            codes.append("413")
    if method == "get" and (is_detail or path in _POLLED_LISTS):
        codes.append("304")
    return codes


def _bound_integer_parameters(operation: dict) -> None:
    """Whole-number parameters as validated (``core.api.filters``, the pagination, the router): a
    path id and ``page``/``page_size`` are from 1 (0, -3, 1.5 are refused: 404 or 400)."""
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        if param.get("in") == "query" and param.get("name") == "search" and schema.get("type") == "string":
            schema.setdefault("pattern", "^[^\\u0000]*$")  # a NUL is a 400 naming ``search``
        if schema.get("type") != "integer":
            continue
        if (param.get("in") == "path" and param.get("name") in ("id", "pk")) or (
            param.get("in") == "query" and param.get("name") in ("page", "page_size")
        ):
            schema.setdefault("minimum", 1)


def document_error_responses(result, generator, request, public):
    """Add the error answers of :data:`_DESCRIPTIONS` to every operation they apply to."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR, {
        "type": "object",
        "description": "An error: what went wrong, in words (domain errors add a code and a field).",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    })
    schemas.setdefault(FIELD_ERRORS, {
        "type": "object",
        "description": "Messages per field or parameter name (``detail``/``non_field_errors`` for the whole).",
        "additionalProperties": True,
    })
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            _bound_integer_parameters(operation)
            csv = any(p.get("name") == "format" and "csv" in (p.get("schema", {}).get("enum") or [])
                      for p in operation.get("parameters", []))
            if csv:
                for response in responses.values():  # ?format=csv answers CSV, errors included
                    if "content" in response:
                        response["content"].setdefault("text/csv", {"schema": {"type": "string"}})
            for code in _codes(path, method, operation):
                if code in responses:
                    continue
                responses[code] = {"description": _DESCRIPTIONS[code]}
                if code not in ("304", "414"):  # no body / gunicorn's own page
                    responses[code]["content"] = _content(path, code)
                    if csv:
                        responses[code]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return result
