"""Exports a Danish office opens: CSV for Excel and XLSX, from one list of columns and rows.

The one definition of the office formats (the API's own ``?format=csv`` stays the machine format of
``core.api.renderers.CSVRenderer``: comma-separated, raw codes and English keys, for scripts):

- CSV: UTF-8 with a BOM (Excel reads æ, ø, å right), ``;`` as separator (Excel in Danish expects it: the
  comma is the decimal sign), CRLF, one header row in the user's language, labels instead of codes
  (status, kind, binding …), yes/no in words, dates ISO 8601 (``2007-01-02``).
- XLSX (openpyxl): a header row, frozen under it, an auto filter, column widths, real date cells shown
  as ``yyyy-mm-dd``, whole numbers as numbers.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) is written as
text: a quote in front in CSV, a string cell in XLSX.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in the row (a dict) or ``value`` (a function of the row), a header in the
    user's language, its ``kind`` (``text``, ``date``, ``int``, ``bool``) and, for codes, the ``labels``
    they are shown as."""

    key: str
    header: str
    kind: str = "text"
    width: int = 14
    labels: Mapping | None = None
    value: Callable | None = None

    def get(self, row):
        raw = self.value(row) if self.value is not None else (
            row.get(self.key) if isinstance(row, Mapping) else getattr(row, self.key, None))
        if self.labels is not None and raw is not None:
            return force_str(self.labels.get(raw, raw))
        return raw


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_cell(column: Column, value) -> str:
    """A value as the CSV writes it: ISO dates, yes/no in words, formula-looking text quoted."""
    if value is None:
        return ""
    if column.kind == "bool" or isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return _safe_text(force_str(value))


def export_csv(columns: list[Column], rows: Iterable) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([force_str(c.header) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(c, c.get(row)) for c in columns])
    return out.getvalue().encode("utf-8")


def export_xlsx(columns: list[Column], rows: Iterable, *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", " ", force_str(title))[:31] or "Data"
    ws.append([force_str(c.header) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for i, column in enumerate(columns, start=1):
            value = column.get(row)
            cell = ws.cell(row=r, column=i)
            if value is None:
                continue
            if column.kind == "bool" or isinstance(value, bool):
                cell.value = _("yes") if value else _("no")
            elif isinstance(value, dt.datetime):
                cell.value = value.replace(tzinfo=None)
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, int):
                cell.value = value
            else:
                cell.value = force_str(value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _ascii_name(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.translate(table)).strip("-") or "export"


def export_response(fmt: str, columns: list[Column], rows: Iterable, *, filename: str, title: str) -> HttpResponse:
    """The download in ``fmt`` (``csv`` or ``xlsx``; any other: 404) named ``filename.<fmt>``."""
    if fmt not in FORMATS:
        raise Http404(_("No such export format."))
    rows = list(rows)
    if fmt == "csv":
        response = HttpResponse(export_csv(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(export_xlsx(columns, rows, title=title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_ascii_name(filename)}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
