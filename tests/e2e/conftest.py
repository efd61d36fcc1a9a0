"""Browser tests: headless system Chromium (no download) against pytest-django's live server with the demo
data. Skipped, with the reason, when /usr/bin/chromium is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.axe import axe_run, describe, serious_violations

# Playwright's sync API runs an event loop in the test thread; the test still touches the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="no Chromium at /usr/bin/chromium (apt-get install -y chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # a Danish user's browser: the app's default language is Danish
    return {**browser_context_args, "locale": "da-DK", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def demo(transactional_db, live_server, settings):
    """The demo data set (Tønder Kommune on 15 March 2006), planned."""
    import datetime as dt

    from django.core.management import call_command

    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 15)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from municipalities.models import Merger

    return Merger.objects.get(code="550")


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return _shoot


@pytest.fixture
def login(live_server):
    def _login(page, username: str, password: str = "mergeplan-demo") -> None:
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(live_server.url + "/")

    return _login


@pytest.fixture
def axe_check():
    """``axe_check(page)``: run the vendored axe-core on the page; fail with the serious and critical
    violations (rule, help, elements) if there are any. Returns axe's results."""

    def _check(page, *, context: str | None = None) -> dict:
        results = axe_run(page, context=context)
        found = serious_violations(results)
        if found:
            pytest.fail(describe(found, url=page.url), pytrace=False)
        return results

    return _check
