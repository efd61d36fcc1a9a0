"""The Content-Security-Policy in a real browser: every page (the app, the admin, the API docs) loads
without a single CSP violation, htmx swaps under it, and the report's print button works from the static
script (it used to be an inline onclick)."""
from __future__ import annotations

import pytest

from runbook.models import Step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    """Every CSP violation the page reports (the DOM event and Chromium's console message)."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_no_page_violates_the_policy_and_htmx_works(page, browser, live_server, demo, login):
    violations = _watch(page)
    login(page, "bent")
    step = Step.objects.filter(runbook__merger=demo, kind="checkpoint").order_by("sequence").first()
    paths = ["/", f"/m/{demo.pk}/", f"/m/{demo.pk}/timeline/", f"/m/{demo.pk}/runbook/",
             f"/m/{demo.pk}/systems/", f"/m/{demo.pk}/steps/{step.pk}/", f"/m/{demo.pk}/report/", f"/m/{demo.pk}/dispensation/", "/review/",
             "/vendors/load/", "/settings/tokens/", "/settings/feed/", "/api/v1/docs/", "/api/v1/redoc/"]
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.ok, path
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}, path
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # Swagger UI rendered from its own script

    # the print button: a data-action bound by static/js/mergeplan.js
    page.goto(f"{live_server.url}/m/{demo.pk}/report/")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.locator("button[data-action=print]").click()
    assert page.evaluate("window.__printed === true")

    # htmx: a swap on the runbook (the same flow as test_flows, here only to see it run under the policy)
    page.goto(f"{live_server.url}/m/{demo.pk}/runbook/")
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.config.includeIndicatorStyles === false")
    assert page.evaluate("document.querySelectorAll('head style').length") == 0

    admin = browser.new_context()
    admin_page = admin.new_page()
    admin_violations = _watch(admin_page)
    login(admin_page, "admin")
    for path in ["/admin/", "/admin/runbook/step/", f"/admin/runbook/step/{step.pk}/change/"]:
        response = admin_page.goto(live_server.url + path)
        assert response.ok, path
        admin_page.wait_for_load_state("networkidle")
    admin.close()

    # Redoc's bundle links its "API docs by Redocly" logo from its CDN: blocked, as it should be (nothing
    # may load from the internet); everything else must load without a violation
    violations = [v for v in violations if "https://cdn.redoc.ly/" not in v]
    assert violations == [] and admin_violations == []
