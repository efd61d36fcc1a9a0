"""The walk's accessibility check can fail: axe (vendored, run under the page's Content-Security-Policy)
finds what it should, and ``axe_check`` names the rule, its help and the elements."""
from __future__ import annotations

import pytest

from tests.e2e.axe import axe_run

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_axe_runs_under_the_policy_and_reports_serious_violations(page, live_server, axe_check):
    response = page.goto(live_server.url + "/login/")
    assert "script-src" in response.headers.get("content-security-policy", "")
    clean = axe_check(page)  # the login page as it is: no serious violation
    assert page.evaluate("axe.version") == "4.14.1"
    assert clean["violations"] == [] or all(v["impact"] in ("minor", "moderate") for v in clean["violations"])

    # a button without a name and an image without a text: axe_check fails and says where
    page.evaluate("""document.querySelector('main').insertAdjacentHTML('beforeend',
        '<button id="nameless"></button><img id="wordless" src="/static/none.png">')""")
    with pytest.raises(pytest.fail.Exception) as failed:
        axe_check(page)
    report = str(failed.value)
    assert "[critical] button-name" in report and "#nameless" in report
    assert "image-alt" in report and "#wordless" in report
    # only the part of the page asked about is checked
    assert axe_run(page, context="header")["violations"] == []
