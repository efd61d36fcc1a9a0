"""The Content-Security-Policy allows scripts from this origin only, so no template may carry an inline
script or an on* handler (they would silently stop working); pages are served with the policy."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates",
                 *sorted(Path(settings.BASE_DIR).glob("*/templates")),
                 *sorted(Path(settings.BASE_DIR).glob("mergeplan/*/templates"))]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from sorted(folder.rglob("*.html"))


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            offenders += [f"{path.relative_to(settings.BASE_DIR)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


@pytest.mark.django_db
def test_pages_carry_the_policy_without_unsafe_inline_scripts(client):
    response = client.get("/login/")
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in policy["style-src"] and "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert '"includeIndicatorStyles":false' in response.content.decode()  # htmx injects no <style>


@pytest.mark.django_db
def test_only_the_api_docs_may_inject_styles(client):
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self';" in policy + ";" and "style-src 'self' 'unsafe-inline'" in policy
    swagger = client.get("/api/v1/docs/").content.decode()
    assert not INLINE_SCRIPT.search(swagger)
