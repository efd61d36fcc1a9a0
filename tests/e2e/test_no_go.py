"""A no-go in the browser: the advisor says no go on the review page (with a reason to decide before the
rehearsal), and every page of the merger turns red in its header until a go replaces it."""
from __future__ import annotations

import pytest

from runbook.models import CheckpointSignoff

pytestmark = pytest.mark.e2e


def test_a_no_go_turns_the_merger_header_red(page, live_server, demo, login, shoot):
    login(page, "kmd-raadgiver")
    page.goto(f"{live_server.url}/review/")
    card = page.locator("article.checkpoint").first
    card_id = card.get_attribute("id")
    step_id = int(card_id.split("-")[1])
    card.locator("input[value=no_go]").check()
    card.locator("textarea").fill("Lønkørslen fejler i testen")
    if card.locator("input[name=override_reason]").count():
        card.locator("input[name=override_reason]").fill("Kendt allerede nu")
    card.locator("button[type=submit]").click()
    page.locator(f"#{card_id} .flash").wait_for()
    signoff = CheckpointSignoff.objects.select_related("step__runbook").get(step_id=step_id)
    assert signoff.decision == "no_go"
    merger_id = signoff.step.runbook.merger_id
    assert page.locator(f"#{card_id} .change-decision").count() == 1  # not asked to sign again
    shoot(page, "review-after-no-go")
    page.goto(f"{live_server.url}/m/{merger_id}/runbook/")
    alert = page.locator(".merger-nav .no-go-alert")
    assert "Lønkørslen fejler i testen" in alert.inner_text()
    page.goto(f"{live_server.url}/m/{merger_id}/")
    assert page.locator(".verdict.verdict-red").count() == 1
    shoot(page, "dashboard-no-go")
    page.goto(f"{live_server.url}/m/{merger_id}/steps/{step_id}/")
    shoot(page, "checkpoint-no-go")
