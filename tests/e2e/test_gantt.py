"""The Gantt timeline in a real browser: the three zooms (screenshots), the tooltip and arrows on keyboard
focus, and dragging a bar to pin its start (the page comes back with the replanned dates)."""
from __future__ import annotations

import pytest

from runbook.models import Step

pytestmark = pytest.mark.e2e


def test_the_timeline_at_three_zooms(page, live_server, demo, login, shoot):
    login(page, "bent")
    for zoom in ("week", "month", "quarter"):
        page.goto(f"{live_server.url}/m/{demo.pk}/timeline/?zoom={zoom}")
        shoot(page, f"timeline-{zoom}", full_page=False)
        head = page.locator("svg.gantt-head").bounding_box()
        body = page.locator("svg.gantt").bounding_box()
        assert abs(head["width"] - body["width"]) < 1 and abs(head["x"] - body["x"]) < 1  # one time axis
        assert page.locator("#gantt-desc").count() == 1
    # the time header stays in view while the chart scrolls
    scroller = page.locator(".gantt-scroll")
    top = page.locator("svg.gantt-head").bounding_box()["y"]
    scroller.evaluate("el => el.scrollTop = 600")
    assert abs(page.locator("svg.gantt-head").bounding_box()["y"] - top) < 1


def test_keyboard_focus_shows_the_tooltip_and_the_arrows(page, live_server, demo, login):
    login(page, "laeser")
    page.goto(f"{live_server.url}/m/{demo.pk}/timeline/")
    assert page.locator("svg.gantt a.bar-link[data-drag]").count() == 0  # a viewer cannot drag
    link = page.locator("svg.gantt a.bar-link").nth(12)
    link.focus()
    tip = page.locator("#gantt-tip")
    assert tip.is_visible() and tip.inner_text().startswith(link.get_attribute("aria-label")[:10])
    assert page.locator("svg.gantt .focus-arrows .arrow").count() >= 1
    page.keyboard.press("Escape")
    assert not tip.is_visible()


def test_dragging_a_bar_pins_its_start(page, live_server, demo, login, shoot):
    login(page, "bent")
    page.goto(f"{live_server.url}/m/{demo.pk}/timeline/?zoom=week")
    link = page.locator("svg.gantt a.bar-link[data-drag]").nth(3)
    step = Step.objects.get(pk=link.get_attribute("data-step"))
    bar = link.locator(".bar")
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    x, y = box["x"] + 10, box["y"] + box["height"] / 2
    per_day = page.locator("svg.gantt").bounding_box()["width"] / int(page.locator("svg.gantt").get_attribute("data-days"))
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y, steps=4)
    page.mouse.move(x + per_day * 21, y, steps=8)
    with page.expect_navigation():
        page.mouse.up()
    step.refresh_from_db()
    assert step.not_before is not None and (step.not_before - step.planned_start).days <= 0
    assert f"step={step.pk}" in page.url and page.locator(".gantt-selected").count() == 1
    assert page.locator(f'svg.gantt g.row[data-step="{step.pk}"] use.pin').count() == 1
    shoot(page, "timeline-pinned", full_page=False)
    # the pin comes off with the button
    page.locator(".gantt-pin-form button[name=clear]").click()
    page.wait_for_load_state()
    step.refresh_from_db()
    assert step.not_before is None
