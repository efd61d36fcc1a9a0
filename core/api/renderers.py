"""The API's formats besides JSON: CSV for spreadsheets (``?format=csv``, every row the filters select,
not paginated) and iCalendar bytes passed through for the calendar feed."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from django.utils.encoding import force_str
from rest_framework import renderers


def wants_csv(request) -> bool:
    """Whether the answer to ``request`` is rendered as CSV (an export: every row, no pagination)."""
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and getattr(renderer, "format", "") == "csv"


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
