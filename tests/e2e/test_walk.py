"""The walk of issue 10's "Done when", in a real browser on PostgreSQL with a real Celery worker.

As the IT chief (bent): add a step, link it to a predecessor, change its duration and see the replan, capture
a baseline, slip the step and see the variance, export the runbook and the comparison as CSV and XLSX and
parse them (the same rows as the API). As the chief and the KMD advisor (kmd-raadgiver): decide a
checkpoint whose predecessors are done, be refused one whose predecessors are not (a Danish message, nothing
changed), and meet the Danish error pages. axe-core (tests/e2e/axe.py) finds no serious or critical
violation on any page visited; every page is saved under test-artifacts/screenshots/walk-*.png.

Every replan comes from the worker: the live server runs in this process with Celery not eager and sends
the recompute to the worker's queue (tests/worker.py); the test waits for the dates by polling the page.
PostgreSQL only (CI's second pass; the worker and the live server write one database at the same time);
skipped on SQLite with the reason.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import time
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import formats, translation
from playwright.sync_api import expect

from municipalities.models import Merger, Municipality
from runbook.models import CheckpointSignoff, Phase, ScheduleRequest, Step, StepStatus
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

#: how long the page may take to show the worker's replan (polling; nothing is pinned about timing)
REPLAN_MS = 60_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TODAY = dt.date(2006, 3, 15)


# --- the language the user reads ------------------------------------------------------------------


def da(msgid: str, **values) -> str:
    """``msgid`` as the Danish user reads it (the catalogue the server uses)."""
    with translation.override("da"):
        text = translation.gettext(msgid)
    return text % values if values else text


def da_n(singular: str, plural: str, n: int, **values) -> str:
    with translation.override("da"):
        return translation.ngettext(singular, plural, n) % {"n": n, **values}


def label(choice) -> str:
    """A choice's label (a status, a kind) in Danish."""
    with translation.override("da"):
        return str(choice.label)


def shown(day: dt.date) -> str:
    """A date as the pages show it (``|date`` in Danish)."""
    with translation.override("da"):
        return formats.date_format(day)


def danish(msgid: str) -> str:
    """Like ``da`` but insists that the catalogue has a Danish text for it (the user must not read English)."""
    text = da(msgid)
    assert text != msgid, f"no Danish translation of {msgid!r} in locale/da"
    return text


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture
def walk(transactional_db, live_server, settings, tmp_path):
    """The seeded demo on PostgreSQL with a real worker; the live server sends its replans to it."""
    if connection.vendor != "postgresql":
        pytest.skip("the walk runs on PostgreSQL only, as in CI's second pass (DATABASE_URL=postgres://…); "
                    "the worker and the live server write one database at the same time")
    settings.MERGEPLAN_TODAY = TODAY
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the seed's first plan, computed here before the worker starts
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MERGEPLAN_RECOMPUTE_COUNTDOWN = 0.5
    with celery_worker(tmp_path) as worker:
        yield {"merger": Merger.objects.get(code="550"), "worker": worker}


@pytest.fixture
def visit(live_server, axe_check, shoot):
    """Open a path (or check the page where it is), check it with axe and save it as walk-<name>.png."""

    def _visit(page, path: str | None, name: str, *, status: int = 200, full_page: bool = True):
        if path is not None:
            response = page.goto(live_server.url + path)
            assert response.status == status, (path, response.status)
        page.wait_for_load_state("networkidle")
        axe_check(page)
        shoot(page, f"walk-{name}", full_page=full_page)
        return page

    return _visit


@pytest.fixture
def user_page(browser, browser_context_args, login):
    """A page of its own (own cookies) logged in as ``username``; closed afterwards."""
    contexts = []

    def _open(username: str):
        context = browser.new_context(**{**browser_context_args, "accept_downloads": True})
        contexts.append(context)
        page = context.new_page()
        login(page, username)
        return page

    yield _open
    for context in contexts:
        context.close()


def _worker_runs(worker) -> int:
    """How many recomputes the worker has finished (its log)."""
    return len(re.findall(r"Task runbook\.merger_recompute\[[^\]]+\] succeeded", worker["log"].read_text()))


def _planned(page) -> str:
    """The step page's "Planned" fact."""
    return page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(da('Planned'))}$")).first \
        .locator("xpath=following-sibling::dd[1]").inner_text()


def _wait_for_dates(page, start: dt.date, finish: dt.date) -> None:
    """Wait until the step page shows ``start – finish``: the replan notice (htmx) polls until the worker is
    done and then shows the new dates; the page itself, reloaded, shows them too."""
    want = f"{shown(start)} – {shown(finish)}"
    notice = page.locator("#replan-status")
    if notice.count():
        expect(notice).to_contain_text(want, timeout=REPLAN_MS)
    deadline = time.monotonic() + REPLAN_MS / 1000
    page.reload()
    while _planned(page) != want and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    assert _planned(page) == want


def _download(page, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).first.click()
    download = info.value
    return download.suggested_filename, open(download.path(), "rb").read()


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM (Excel)"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _xlsx_rows(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _api_steps(page, live_server, merger_id: int) -> list[dict]:
    """Every step of the merger as ``GET /api/v1/steps/`` lists it, with the page's session."""
    return _api_list(page, f"{live_server.url}/api/v1/steps/?merger={merger_id}&page_size=500")


def _api_list(page, url: str) -> list[dict]:
    """Every row of an API list (all pages), read with the page's session."""
    rows = []
    while url:
        response = page.request.get(url)
        assert response.ok, (url, response.status)
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


# --- the IT chief plans ---------------------------------------------------------------------------


def test_walk_the_chief_edits_the_plan_baselines_it_and_exports_it(walk, user_page, visit, live_server):
    merger, worker = walk["merger"], walk["worker"]
    m = merger.pk
    predecessor = Step.objects.get(runbook__merger=merger, key="15")  # Underskriv konverteringsaftalen
    assert (predecessor.planned_start, predecessor.planned_finish) == (dt.date(2006, 3, 16), dt.date(2006, 3, 29))
    chief = user_page("bent")
    visit(chief, "/", "home")
    visit(chief, f"/m/{m}/", "dashboard")
    visit(chief, f"/m/{m}/runbook/", "runbook", full_page=False)

    # adds a step: phase 3, Tønder, five working days, as soon as possible — from today, 15 March 2006
    chief.get_by_role("link", name=da("Add a step")).click()
    visit(chief, None, "step-new")
    chief.fill("#id_name", "Afprøv den fælles sikkerhedspolitik")
    chief.fill("#id_name_en", "Try out the joint security policy")
    chief.select_option("#id_phase", str(Phase.objects.get(template__runbooks__merger=merger, number=3).pk))
    chief.select_option("#id_assignee_municipality",
                        str(Municipality.objects.get(name="Tønder").pk))
    chief.fill("#id_duration_days", "5")
    chief.get_by_role("button", name=da("Add the step")).click()
    chief.wait_for_url(re.compile(rf"/m/{m}/steps/\d+/$"))
    new = Step.objects.get(runbook__merger=merger, name="Afprøv den fælles sikkerhedspolitik")
    expect(chief.locator("h1")).to_contain_text(new.key)
    _wait_for_dates(chief, TODAY, dt.date(2006, 3, 21))
    visit(chief, None, "step-added")

    # adds a dependency through the picker: 15 comes first, so the step moves after 29 March
    chief.fill("#picker-q", predecessor.name)
    chief.locator("#picker-q").press("Enter")
    chief.locator("#picker-results label", has_text=predecessor.name).get_by_role("radio").check()
    visit(chief, None, "dependency-picker")
    chief.get_by_role("button", name=da("Add the link")).click()
    expect(chief.locator("#h-preds + ul")).to_contain_text(f"{predecessor.key} {predecessor.name}")
    _wait_for_dates(chief, dt.date(2006, 3, 30), dt.date(2006, 4, 5))
    visit(chief, None, "dependency-added")

    # changes the duration to ten working days and sees the replan: 12 April (before Easter)
    chief.get_by_role("link", name=da("Change the plan")).click()
    visit(chief, None, "step-plan-edit")
    chief.fill("#id_duration_days", "10")
    chief.locator("main form button[type=submit]").first.click()
    chief.wait_for_url(re.compile(rf"/m/{m}/steps/{new.pk}/$"))
    _wait_for_dates(chief, dt.date(2006, 3, 30), dt.date(2006, 4, 12))
    visit(chief, None, "step-replanned")

    # captures a baseline
    visit(chief, f"/m/{m}/baselines/", "baselines")
    chief.fill("#id_name", "Walk-basisplan")
    chief.get_by_role("button", name=da("Capture baseline")).click()
    row = chief.locator("table.baselines-table tbody tr", has_text="Walk-basisplan")
    expect(row).to_have_count(1)
    steps_now = Step.objects.filter(runbook__merger=merger).count()
    expect(row.locator("td.num")).to_have_text(str(steps_now))
    visit(chief, None, "baseline-captured")

    # slips the step by five working days: 15 days end on 24 April, over Easter (13, 14 and 17 April)
    visit(chief, f"/m/{m}/steps/{new.pk}/plan/", "step-plan-edit-2")
    chief.fill("#id_duration_days", "15")
    chief.locator("main form button[type=submit]").first.click()
    chief.wait_for_url(re.compile(rf"/m/{m}/steps/{new.pk}/$"))
    _wait_for_dates(chief, dt.date(2006, 3, 30), dt.date(2006, 4, 24))
    visit(chief, None, "step-slipped")

    # …and sees the variance against the baseline: five working days later (twelve calendar days)
    visit(chief, f"/m/{m}/baselines/", "baselines-2")
    row.get_by_role("link", name=da("Compare with the plan now")).click()
    visit(chief, None, "variance")
    expect(chief.locator("p.summary")).to_contain_text(
        da_n("%(n)d step has slipped.", "%(n)d steps have slipped.", 1))
    slipped = chief.locator("table.variance-table tbody tr", has_text=new.key).first
    expect(slipped.locator("td.num").nth(0)).to_have_text(da("unchanged"))
    expect(slipped.locator("td.num").nth(1)).to_have_text(
        da_n("%(n)s working day later", "%(n)s working days later", 5))

    # exports the comparison (CSV, XLSX) with the same variance
    name, data = _download(chief, da("CSV (Excel)"))
    assert name.endswith(".csv")
    rows = _csv_rows(data)
    header = rows[0]
    mine = next(r for r in rows[1:] if r[header.index(da("Key"))] == new.key)
    assert mine[header.index(da("Finish variance (working days)"))] == "5"
    assert mine[header.index(da("Start variance (working days)"))] == "0"
    assert mine[header.index(da("Compared finish"))] == "2006-04-24"
    name, data = _download(chief, da("Excel workbook"))
    assert name.endswith(".xlsx")
    sheet = _xlsx_rows(data)
    mine = next(r for r in sheet[1:] if r[sheet[0].index(da("Key"))] == new.key)
    assert mine[sheet[0].index(da("Finish variance (working days)"))] == 5
    assert len(sheet) == len(rows)

    # exports the runbook and finds the API's rows in it, in the API's order
    visit(chief, f"/m/{m}/runbook/", "runbook-2", full_page=False)
    api = _api_steps(chief, live_server, m)
    assert len(api) == steps_now
    _name, data = _download(chief, da("CSV (Excel)"))
    rows = _csv_rows(data)
    header, body = rows[0], rows[1:]
    assert [r[header.index(da("Key"))] for r in body] == [s["key"] for s in api]
    for column, field in ((da("Planned start"), "planned_start"), (da("Planned finish"), "planned_finish")):
        assert [r[header.index(column)] for r in body] == [s[field] or "" for s in api], column
    _name, data = _download(chief, da("Excel workbook"))
    sheet = _xlsx_rows(data)
    header, body = sheet[0], sheet[1:]
    assert [r[header.index(da("Key"))] for r in body] == [s["key"] for s in api]
    finishes = [r[header.index(da("Planned finish"))] for r in body]
    assert [d.date().isoformat() if d else None for d in finishes] == [s["planned_finish"] for s in api]
    assert next(r for r in body if r[header.index(da("Key"))] == new.key)[header.index(da("Planned finish"))] \
        == dt.datetime(2006, 4, 24)

    # exports the milestones from the dashboard: the API's milestones, in its order
    visit(chief, f"/m/{m}/", "dashboard-2")
    _name, data = _download(chief, da("CSV (Excel)"))
    rows = _csv_rows(data)
    milestones = _api_list(chief, f"{live_server.url}/api/v1/milestones/?merger={m}&page_size=500")
    assert milestones, "the demo has milestones"
    assert [r[rows[0].index(da("Key"))] for r in rows[1:]] == [s["key"] for s in milestones]
    assert [r[rows[0].index(da("Planned date"))] for r in rows[1:]] == [s["planned_date"] or "" for s in milestones]

    # every replan came from the worker
    state = ScheduleRequest.objects.get(merger=merger)
    assert state.completed == state.requested
    assert _worker_runs(worker) >= 4, worker["log"].read_text()[-3000:]


# --- the chief and the advisor decide a checkpoint --------------------------------------------------


def test_walk_the_checkpoint_is_decided_in_order_and_the_wrong_one_refused(walk, user_page, visit, live_server):
    merger, worker = walk["merger"], walk["worker"]
    m = merger.pk
    rehearsal = Step.objects.get(runbook__merger=merger, key="26-infrastructure")
    split = Step.objects.get(runbook__merger=merger, key="20")  # the rehearsal waits for it
    esdh = Step.objects.get(runbook__merger=merger, key="26-esdh")  # waits for 24-esdh too
    chief = user_page("bent")
    advisor = user_page("kmd-raadgiver")

    # in the right order: first the predecessor is done (the chief, with the reason for finishing early) …
    visit(chief, f"/m/{m}/steps/{split.pk}/", "predecessor")
    chief.select_option("#id_status", "done")
    chief.fill("#id_reason", "Delingen er afklaret med Nørre-Rangstrup")
    if chief.locator("#id_override_reason").count():
        chief.fill("#id_override_reason", "Afklaret før planen")
    if chief.locator("#id_confirm").count():
        chief.check("#id_confirm")
    chief.get_by_role("button", name=da("Change status")).click()
    expect(chief.locator("h1 + p.tags .badge").first).to_have_text(label(StepStatus.DONE))
    visit(chief, None, "predecessor-done")
    wait_for(lambda: Step.objects.filter(pk=split.pk, status=StepStatus.DONE).exists(), worker,
             "the predecessor was not marked done")

    # … then the advisor says go on the review page, and the card says whose go is missing
    visit(advisor, "/review/", "review")
    card = advisor.locator(f"#checkpoint-{rehearsal.pk}")
    expect(card.locator(".notice.warn")).to_have_count(0)  # it waits for nothing now
    card.locator("input[name=decision][value=go]").check()
    card.locator("textarea[name=comment]").fill("KMD er klar til generalprøven")
    card.get_by_role("button", name=da("Give the decision")).click()
    expect(card.locator(".flash")).to_contain_text(danish("Your sign-off of %(key)s is recorded.") % {
        "key": rehearsal.key})
    expect(card).to_contain_text(danish("Missing: the IT chief's go."))
    visit(advisor, None, "review-signed")

    # the wrong one: a rehearsal whose predecessors are not done is refused, in Danish, and nothing changes
    wrong = advisor.locator(f"#checkpoint-{esdh.pk}")
    wrong.locator("input[name=decision][value=go]").check()
    wrong.locator("textarea[name=comment]").fill("Vi er klar")
    wrong.get_by_role("button", name=da("Give the decision")).click()
    refusal = danish("The checkpoint's predecessors are not done: %(names)s. Decide when they are, or give an "
                     "override reason to decide now.")
    before, after = refusal.split("%(names)s")
    error = wrong.locator(".error, .form-errors").first
    expect(error).to_contain_text(before.strip())
    expect(error).to_contain_text(after.strip())
    expect(error).to_contain_text("24-esdh")
    expect(wrong.locator("textarea[name=comment]")).to_have_value("Vi er klar")  # nothing typed is lost
    visit(advisor, None, "review-refused")
    wrong.screenshot(path=str(SCREENSHOTS / "walk-review-refused-card.png"))
    assert not CheckpointSignoff.objects.filter(step=esdh).exists()
    assert Step.objects.get(pk=esdh.pk).version == esdh.version

    # the chief's go completes the dual sign-off: the checkpoint passes, done on the planning date
    visit(chief, f"/m/{m}/steps/{rehearsal.pk}/", "checkpoint")
    chief.locator("#signoff input[name=decision][value=go]").check()
    chief.locator("#signoff textarea[name=comment]").fill("Infrastrukturen er klar")
    chief.locator("#signoff").get_by_role("button", name=da("Give the decision")).click()
    chief.wait_for_url(re.compile(rf"/m/{m}/steps/{rehearsal.pk}/"))
    expect(chief.locator("h1 + p.tags .badge").first).to_have_text(label(StepStatus.DONE))
    expect(chief.locator("dl.facts")).to_contain_text(shown(TODAY))
    visit(chief, None, "checkpoint-passed")
    _wait_for_dates(chief, TODAY, TODAY)  # the worker's replan puts the passed checkpoint on its actual day
    assert _worker_runs(worker) >= 2, worker["log"].read_text()[-3000:]

    # the Danish error pages, with the navigation and a way back
    visit(advisor, f"/m/{m}/steps/new/", "403", status=403)
    expect(advisor.locator("html")).to_have_attribute("lang", "da")
    expect(advisor.locator("main")).to_contain_text(danish("Only the IT chief may change the plan."))
    visit(advisor, "/m/999999/", "404", status=404)
    expect(advisor.locator("h1")).to_have_text(danish("Page not found"))
    expect(advisor.get_by_role("navigation", name=da("Main"))).to_be_visible()
    advisor.get_by_role("link", name=danish("Go to my mergers")).click()
    advisor.wait_for_url(f"{live_server.url}/")
    visit(advisor, None, "home-advisor")
    visit(chief, f"/m/{m}/steps/999999/", "404-step", status=404)
    expect(chief.locator("h1")).to_have_text(danish("Page not found"))
