"""axe-core in the browser tests: run the vendored axe (tests/e2e/assets/axe.min.js, axe-core 4.14.1,
MPL-2.0, see axe-LICENSE.txt) on the page and list its serious and critical violations.

The page's Content-Security-Policy allows scripts from the site only, so a <script> tag with axe's text
would be refused; axe is evaluated through the DevTools protocol instead (``page.evaluate``), which the
policy does not govern, and the page itself is left as the user has it.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
#: the impacts that fail a test; "minor" and "moderate" are reported by axe but tolerated
FAILING_IMPACTS = ("serious", "critical")
#: WCAG 2.1 A and AA and axe's best practices
RUN_ONLY = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_run(page, *, context: str | None = None) -> dict:
    """axe's results for the page (or the part of it that ``context`` selects)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async ([context, tags]) => {
            const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
            return await axe.run(context ? document.querySelector(context) : document, options);
        }""",
        [context, RUN_ONLY],
    )


def serious_violations(results: dict) -> list[dict]:
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict], *, url: str = "") -> str:
    """A readable list: one block per rule (impact, id, help, its help page) with the elements it found."""
    lines = [f"axe: {len(violations)} serious or critical violation(s) on {url}"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {node.get('html', '')[:160]}")
            lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)
