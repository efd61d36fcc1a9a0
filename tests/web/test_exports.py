"""Office exports: CSV with ``;`` and a BOM, Danish headers and labels, ISO dates; XLSX with a frozen header,
widths and real date cells; the same rows as the API for the same filters; formulas never run."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from runbook.baselines import baseline_capture
from runbook.models import Step, StepKind
from tests.support.worlds import build_page_world as build_world

pytestmark = pytest.mark.django_db


def _url(world, name, fmt="csv"):
    return reverse(name, kwargs={"merger_id": world.merger.pk, "fmt": fmt})


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:]), delimiter=";"))


def _api(client, path) -> list[dict]:
    response = client.get(path, {"page_size": 500} if "?" not in path else None)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_runbook_csv_is_for_a_danish_office(world):
    response = world.client("viewer").get(_url(world, "merger-runbook-export"))
    rows = _csv(response)
    header = response.content.decode("utf-8")[1:].split("\r\n")[0]
    assert ";" in header and "," not in header
    assert {"Trin", "Fase", "Status", "Kommune", "Leverandør", "Bølge"} <= set(rows[0])  # Danish by default
    assert {r["Status"] for r in rows} >= {"Ikke startet"}  # labels, not codes
    starts = [r[list(r)[9]] for r in rows if r[list(r)[9]]]  # the planned start
    assert starts and all(dt.date.fromisoformat(s) for s in starts)  # ISO dates


def test_runbook_export_has_the_apis_rows_and_dates(world):
    client = world.client("viewer")
    exported = _csv(client.get(_url(world, "merger-runbook-export")))
    api = _api(client, f"/api/v1/steps/?merger={world.merger.pk}&page_size=500")
    key_column = next(iter(exported[0]))
    assert [r[key_column] for r in exported] == [r["key"] for r in api]
    start_column = list(exported[0])[9]  # the planned start, ISO
    assert [r[start_column] or None for r in exported] == [r["planned_start"] for r in api]


@pytest.mark.parametrize("page_filter, api_filter", [
    ({"status": "not_started"}, "status=not_started"),
    ({"critical": "on"}, "critical=true"),
    ("phase", "phase"),
])
def test_runbook_export_filters_as_the_page_and_agrees_with_the_api(world, page_filter, api_filter):
    client = world.client("viewer")
    if page_filter == "phase":
        phase = Step.objects.filter(runbook__merger=world.merger).order_by("-sequence").first().phase
        page_filter, api_filter = {"phase": phase.pk}, f"phase={phase.number}"
    exported = _csv(client.get(_url(world, "merger-runbook-export"), page_filter))
    api = _api(client, f"/api/v1/steps/?merger={world.merger.pk}&{api_filter}&page_size=500")
    everything = Step.objects.filter(runbook__merger=world.merger).count()
    assert 0 < len(api) <= everything
    assert [r[next(iter(exported[0]))] for r in exported] == [r["key"] for r in api]


def test_a_bad_filter_is_a_400_naming_it_and_a_bad_format_a_404(world):
    client = world.client("viewer")
    response = client.get(_url(world, "merger-runbook-export"), {"phase": "x"})
    assert response.status_code == 400 and b"phase" in response.content
    response = client.get(_url(world, "merger-milestones-export"), {"due_after": "1899-01-01"})
    assert response.status_code == 400 and b"due_after" in response.content
    assert client.get(_url(world, "merger-runbook-export", fmt="pdf")).status_code == 404


def test_outsiders_get_404_and_anonymous_the_login(world):
    for name in ("merger-runbook-export", "merger-milestones-export", "merger-baseline-comparison-export"):
        assert world.client("outsider").get(_url(world, name)).status_code == 404
        assert world.client(None).get(_url(world, name)).status_code == 302


def test_milestones_export_agrees_with_the_api_baseline_date_included(world):
    baseline_capture(runbook=world.merger.runbook, name="B1", check_permission=False)
    client = world.client("viewer")
    exported = _csv(client.get(_url(world, "merger-milestones-export")))
    api = _api(client, f"/api/v1/milestones/?merger={world.merger.pk}&page_size=500")
    columns = list(exported[0])
    planned, base = columns[9], columns[10]
    assert [r[columns[0]] for r in exported] == [r["key"] for r in api]
    assert [r[planned] or None for r in exported] == [r["planned_date"] for r in api]
    assert [r[base] or None for r in exported] == [r["baseline_date"] for r in api]
    assert any(r["baseline_date"] for r in api)
    kinds = {r[columns[3]] for r in exported}
    assert "Omlægning" in kinds  # the kind's Danish label


def test_milestones_export_takes_the_apis_filters(world):
    client = world.client("viewer")
    exported = _csv(client.get(_url(world, "merger-milestones-export"), {"kind": "cutover"}))
    api = _api(client, f"/api/v1/milestones/?merger={world.merger.pk}&kind=cutover&page_size=500")
    assert len(exported) == len(api) > 0


def test_vendor_load_export_is_the_vendors_go_lives_as_the_api_lists_them(world):
    client = world.client("advisor")
    response = client.get(reverse("vendor-load-export", kwargs={"fmt": "csv"}), {"vendor": "kmd"})
    exported = _csv(response)
    api = _api(client, "/api/v1/milestones/?vendor=kmd&kind=cutover&page_size=500")
    columns = list(exported[0])
    assert sorted(r[columns[2]] for r in exported) == sorted(r["key"] for r in api) and api
    week = exported[0][columns[0]]
    assert len(week) == 8 and week[4:6] == "-W"  # ISO week, e.g. 2006-W27
    assert response["Content-Disposition"].endswith('.csv"')


def test_baseline_comparison_export_has_the_variance_columns(world):
    cutover = Step.objects.filter(runbook__merger=world.merger, kind=StepKind.CUTOVER).order_by("sequence").first()
    Step.objects.filter(pk=cutover.pk).update(planned_start=dt.date(2006, 9, 1), planned_finish=dt.date(2006, 9, 1))
    baseline_capture(runbook=world.merger.runbook, name="B1", check_permission=False)
    Step.objects.filter(pk=cutover.pk).update(planned_start=dt.date(2006, 9, 6), planned_finish=dt.date(2006, 9, 6))
    client = world.client("viewer")
    exported = _csv(client.get(_url(world, "merger-baseline-comparison-export")))
    first = list(exported[0].values())
    assert first[0] == cutover.key and first[-1] == "3" and first[6] == "2006-09-01" and first[8] == "2006-09-06"
    page = client.get(reverse("merger-baseline-comparison", kwargs={"merger_id": world.merger.pk}))
    assert [r.key for r in page.context["comparison"].rows] == [list(r.values())[0] for r in exported]
    xlsx = client.get(_url(world, "merger-baseline-comparison-export", fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=2, column=11).value == 3 and sheet.cell(row=2, column=7).value == dt.datetime(2006, 9, 1)


def test_no_baseline_is_a_400_for_the_comparison_export(world):
    response = world.client("viewer").get(_url(world, "merger-baseline-comparison-export"))
    assert response.status_code == 400


def test_xlsx_has_a_frozen_header_widths_and_real_dates(world):
    response = world.client("viewer").get(_url(world, "merger-runbook-export", fmt="xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[1] == "Trin" and sheet.freeze_panes == "A2"
    assert sheet[1][0].font.bold and sheet.column_dimensions["B"].width == 44
    starts = [sheet.cell(row=r, column=10) for r in range(2, sheet.max_row + 1)]
    dated = [c for c in starts if c.value is not None]
    assert dated and all(isinstance(c.value, dt.datetime) and c.number_format == "yyyy-mm-dd" for c in dated)
    assert sheet.max_row - 1 == Step.objects.filter(runbook__merger=world.merger).count()


def test_english_users_get_english_headers(world):
    client = world.client("viewer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = _csv(client.get(_url(world, "merger-runbook-export")))
    assert {"Step", "Phase", "Status", "Planned start"} <= set(rows[0])
    assert "Not started" in {r["Status"] for r in rows}


def test_a_formula_in_a_name_is_never_run(world):
    step = Step.objects.filter(runbook__merger=world.merger).order_by("sequence").first()
    Step.objects.filter(pk=step.pk).update(name='=HYPERLINK("http://evil","klik")')
    client = world.client("viewer")
    rows = _csv(client.get(_url(world, "merger-runbook-export")))
    assert rows[0]["Trin"] == "'=HYPERLINK(\"http://evil\",\"klik\")"
    sheet = load_workbook(io.BytesIO(client.get(_url(world, "merger-runbook-export", fmt="xlsx")).content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_the_pages_link_their_exports(world):
    client = world.client("viewer")
    runbook = client.get(reverse("merger-runbook", kwargs={"merger_id": world.merger.pk}), {"status": "done"})
    assert f'{_url(world, "merger-runbook-export")}?status=done' in runbook.content.decode()
    dashboard = client.get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk}))
    assert _url(world, "merger-milestones-export", fmt="xlsx") in dashboard.content.decode()
    load = client.get(reverse("vendor-load"))
    assert reverse("vendor-load-export", kwargs={"fmt": "csv"}) + "?vendor=kmd" in load.content.decode()


@pytest.mark.parametrize("size", [3, 5])
def test_export_query_counts_do_not_grow_with_the_merger(db, size):
    """Pinned at two sizes: session, user, access, merger, then the runbook export: the filter choices
    (phases, members, domains) and the rows; the milestones export: the rows."""
    world = build_world(municipalities=size, domains=size)
    client = world.client("viewer")
    for name, fmt, expected in (("merger-runbook-export", "csv", 8), ("merger-milestones-export", "xlsx", 5)):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(world, name, fmt=fmt)).status_code == 200
        assert len(ctx.captured_queries) == expected, [q["sql"][:120] for q in ctx.captured_queries]
