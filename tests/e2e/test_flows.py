"""The main flows in a real browser: log in, change a step, see the dashboard move, a blocked change with
its reason, an advisor's sign-off, the language switch, the critical path on the timeline. Every main page
is saved as a screenshot under test-artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest

from runbook.models import CheckpointSignoff, Dependency, Step, StepStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _finishable(merger) -> Step:
    """A step in progress whose predecessors are all done: it may be marked done without an override."""
    open_preds = set(
        Dependency.objects.filter(successor__runbook__merger=merger)
        .exclude(predecessor__status__in=("done", "skipped"))
        .values_list("successor_id", flat=True)
    )
    steps = Step.objects.filter(runbook__merger=merger, status=StepStatus.IN_PROGRESS, kind="task").order_by("sequence")
    return next(s for s in steps if s.pk not in open_preds)


def _blocked(merger) -> tuple[Step, Step]:
    """A step not started whose predecessor is not done, and that predecessor."""
    dep = (
        Dependency.objects.filter(successor__runbook__merger=merger, successor__status=StepStatus.NOT_STARTED,
                                  successor__kind="task")
        .exclude(predecessor__status__in=("done", "skipped"))
        .select_related("successor", "predecessor").order_by("successor__sequence").first()
    )
    return dep.successor, dep.predecessor


def _history(merger) -> None:
    """Daily snapshots for the burn-up: taken weekly since November, with the work done then."""
    import datetime as dt

    from runbook.models import ProgressSnapshot
    from runbook.notifications import progress_snapshot_take

    day = dt.date(2005, 11, 1)
    today = dt.date(2006, 3, 15)
    while day <= today:
        snap = progress_snapshot_take(merger.runbook, on=day)
        share = (day - dt.date(2005, 11, 1)).days / (today - dt.date(2005, 11, 1)).days
        ProgressSnapshot.objects.filter(pk=snap.pk).update(done_days=round(snap.done_days * share))
        day += dt.timedelta(days=7)
    progress_snapshot_take(merger.runbook, on=today)


def test_chief_moves_a_step_to_done_and_the_dashboard_moves(page, live_server, demo, login, shoot):
    _history(demo)
    login(page, "bent")
    shoot(page, "home")
    page.goto(f"{live_server.url}/m/{demo.pk}/")
    shoot(page, "dashboard")
    progress = page.locator("#h-progress + p .progress-text").inner_text()
    step = _finishable(demo)
    page.goto(f"{live_server.url}/m/{demo.pk}/runbook/")
    shoot(page, "runbook", full_page=False)
    row = page.locator(f"#step-row-{step.pk}")
    row.locator(".status-change summary").click()
    row.locator("select[name=status]").select_option("done")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    row.locator("button[type=submit]").click()
    # finishing asks first (static/js/status_confirm.js); then htmx swaps the row in place: the new row shows
    # "done" and the confirmation
    page.locator(f"#step-row-{step.pk}.row-status-done").wait_for()
    assert page.locator(f"#step-row-{step.pk} .flash").is_visible()
    assert dialogs, "finishing a step asks for confirmation"
    step.refresh_from_db()
    assert step.status == StepStatus.DONE
    page.goto(f"{live_server.url}/m/{demo.pk}/")
    after = page.locator("#h-progress + p .progress-text").inner_text()
    assert after != progress, (progress, after)
    assert int(re.sub(r"\D", "", after)) > int(re.sub(r"\D", "", progress))


def test_a_blocked_transition_shows_its_reason(page, live_server, demo, login, shoot):
    login(page, "bent")
    step, blocker = _blocked(demo)
    page.goto(f"{live_server.url}/m/{demo.pk}/steps/{step.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())  # "is the step finished?"
    page.select_option("#id_status", "done")
    page.fill("#id_reason", "skrevet i hånden")
    page.locator("#h-status ~ form button[type=submit]").click()
    error = page.locator("#h-status ~ form .error")
    error.wait_for()
    assert blocker.key in error.inner_text()
    assert page.input_value("#id_reason") == "skrevet i hånden"  # nothing typed is lost
    shoot(page, "step-blocked")
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED


def test_the_blocked_reason_also_shows_in_place_on_the_runbook(page, live_server, demo, login):
    login(page, "bent")
    step, blocker = _blocked(demo)
    page.goto(f"{live_server.url}/m/{demo.pk}/runbook/")
    row = page.locator(f"#step-row-{step.pk}")
    row.locator(".status-change summary").click()
    page.on("dialog", lambda dialog: dialog.accept())  # "is the step finished?"
    row.locator("select[name=status]").select_option("done")
    row.locator("button[type=submit]").click()
    error = page.locator(f"#step-row-{step.pk} .error")
    error.wait_for()
    assert blocker.key in error.inner_text()


def test_advisor_signs_a_checkpoint(page, live_server, demo, login, shoot):
    login(page, "kmd-raadgiver")
    page.goto(f"{live_server.url}/review/")
    shoot(page, "review")
    card = page.locator("article.checkpoint").first
    card_id = card.get_attribute("id")
    step_id = int(card_id.split("-")[1])
    card.locator("input[value=go]").check()
    card.locator("textarea").fill("KMD er klar")
    override = card.locator("input[name=override_reason]")
    if override.count():  # the rehearsal has not taken place on 15 March 2006: deciding now needs a reason
        card.locator("button[type=submit]").click()
        page.locator(f"#{card_id} .has-error input[name=override_reason]").wait_for()
        assert not CheckpointSignoff.objects.filter(step_id=step_id).exists()
        page.locator(f"#{card_id} input[name=override_reason]").fill("Aftalt med IT-chefen")
    page.locator(f"#{card_id} button[type=submit]").click()
    page.locator(f"#{card_id} .flash").wait_for()
    signoff = CheckpointSignoff.objects.get(step_id=step_id, role="vendor_advisor")
    assert signoff.decision == "go" and signoff.comment == "KMD er klar"
    assert "KMD er klar" in page.locator(f"#{card_id}").inner_text()


def test_switching_to_english_changes_the_page(page, live_server, demo, login):
    login(page, "laeser")
    page.goto(f"{live_server.url}/m/{demo.pk}/")
    assert page.locator("html").get_attribute("lang") == "da"
    footer_da = page.locator("footer").inner_text()
    page.locator("form.setlang button[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith(f"/m/{demo.pk}/")
    footer_en = page.locator("footer").inner_text()
    assert "Mar 2006" in footer_en and footer_da != footer_en
    page.locator("form.setlang button[value=da]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "da"


def test_the_timeline_shows_the_critical_path(page, live_server, demo, login, shoot):
    login(page, "bent")
    page.goto(f"{live_server.url}/m/{demo.pk}/timeline/")
    shoot(page, "timeline")
    critical = Step.objects.filter(runbook__merger=demo, is_critical=True).count()
    assert critical > 0
    assert page.locator("svg.gantt-names .critical-label").count() == critical
    assert page.locator("svg.gantt .marker.legal").count() == 1
    page.goto(f"{live_server.url}/m/{demo.pk}/timeline/?critical=on")
    assert page.locator("svg.gantt g.row").count() == critical
    shoot(page, "timeline-critical")


def test_screenshots_of_the_other_pages(page, live_server, demo, login, shoot):
    login(page, "bent")
    step = Step.objects.filter(runbook__merger=demo, kind="checkpoint").order_by("sequence").first()
    for name, path in [
        ("systems", f"/m/{demo.pk}/systems/"),
        ("step-detail", f"/m/{demo.pk}/steps/{step.pk}/"),
        ("vendor-load", "/vendors/load/"),
        ("report", f"/m/{demo.pk}/report/"),
        ("settings-tokens", "/settings/tokens/"),
        ("settings-feed", "/settings/feed/"),
    ]:
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, name
        shoot(page, name)
    _history(demo)
    page.goto(f"{live_server.url}/m/{demo.pk}/report/")
    page.emulate_media(media="print")
    shoot(page, "report-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 360, "height": 780})
    for name, path in [("mobile-dashboard", f"/m/{demo.pk}/"), ("mobile-runbook", f"/m/{demo.pk}/runbook/")]:
        page.goto(live_server.url + path)
        # nothing wider than the screen except the scrollable charts and tables
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 360 + 1, (name, overflow)
        shoot(page, name, full_page=False)


def test_keyboard_reaches_skip_link_first(page, live_server, demo, login):
    login(page, "bent")
    page.goto(f"{live_server.url}/m/{demo.pk}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    assert page.locator(".skip-link").is_visible()


def test_chief_grants_the_dispensation_and_the_plan_turns_rolling(page, live_server, demo, login, shoot, settings):
    import datetime as dt

    settings.MERGEPLAN_RECOMPUTE_COUNTDOWN = 0
    cutovers = Step.objects.filter(runbook__merger=demo, kind="cutover")
    bound = cutovers.filter(domain__binding="dispensation")
    legal = cutovers.filter(domain__binding="legal_date")
    # without the dispensation, the dispensation-bound areas join KMD's national run on the legal day
    assert set(bound.values_list("go_live", flat=True)) == {dt.date(2007, 1, 2)}
    login(page, "bent")
    page.goto(f"{live_server.url}/m/{demo.pk}/")
    page.get_by_role("link", name="Ændr dispensationen").click()
    page.select_option("select[name=dispensation_status]", "granted")
    page.fill("input[name=dispensation_date]", "2006-07-01")
    page.fill("input[name=dispensation_reference]", "Indenrigsministeriet, j.nr. 2006-1234")
    shoot(page, "dispensation")
    page.get_by_role("button", name="Gem").click()
    page.wait_for_url(f"{live_server.url}/m/{demo.pk}/")
    # the recompute ran (eagerly, after the commit): the dispensation-bound areas now go live in the
    # second half of 2006; CPR, finance, payroll and property tax stay on the legal day
    go_lives = set(bound.values_list("go_live", flat=True))
    assert all(dt.date(2006, 7, 3) <= d <= dt.date(2006, 12, 21) for d in go_lives), go_lives
    assert set(legal.values_list("go_live", flat=True)) == {dt.date(2007, 1, 2)}
    page.goto(f"{live_server.url}/vendors/load/?vendor=kmd")
    shoot(page, "vendor-load-rolling")
    assert "Givet" in page.goto(f"{live_server.url}/m/{demo.pk}/").text()
