"""Writes from the pages: status changes (form and htmx), sign-offs, comments, tokens, the feed link.
Each goes through the service and the same policy as the API; a rejected change leaves the DB as it was
and the form keeps what was typed."""
from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import Event
from municipalities.models import ApiToken, FeedToken, hash_token
from runbook.models import CheckpointSignoff, Comment, Step, StepStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def transition_url(step):
    return reverse("step-transition", kwargs={"merger_id": step.runbook.merger_id, "step_id": step.pk})


def sign_url(step):
    return reverse("checkpoint-sign", kwargs={"merger_id": step.runbook.merger_id, "step_id": step.pk})


def comment_url(step):
    return reverse("step-comment", kwargs={"merger_id": step.runbook.merger_id, "step_id": step.pk})


# --- status ---------------------------------------------------------------------------------------


def test_chief_moves_a_step_and_is_redirected(world):
    step = world.step("1")
    response = world.client("chief").post(transition_url(step), {"status": "in_progress", "version": step.version})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == StepStatus.IN_PROGRESS
    assert Event.objects.filter(verb="status_changed", object_id=step.pk).exists()


def test_next_must_be_local(world):
    step = world.step("1")
    response = world.client("chief").post(
        transition_url(step), {"status": "in_progress", "next": "https://evil.example/", "version": step.version}
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_coordinator_changes_own_municipality_step(world):
    step = world.step("3-", municipality=world.own_municipality)
    response = world.client("coordinator").post(transition_url(step), {"status": "in_progress", "version": step.version})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == StepStatus.IN_PROGRESS


def test_coordinator_may_not_change_another_municipality_step(world):
    step = world.step("3-", municipality=world.other_municipality)
    response = world.client("coordinator").post(transition_url(step), {"status": "in_progress", "version": step.version})
    assert response.status_code == 403
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED


@pytest.mark.parametrize("role, expected", [("viewer", 403), ("outsider", 404), (None, 302)])
def test_others_may_not_change_status(world, role, expected):
    step = world.step("1")
    response = world.client(role).post(transition_url(step), {"status": "in_progress", "version": step.version})
    assert response.status_code == expected
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED


def test_plain_get_of_the_status_form_goes_to_the_step(world):
    step = world.step("1")
    response = world.client("chief").get(transition_url(step))
    assert response.status_code == 302
    assert response["Location"] == step.get_absolute_url() + "#h-status"


def test_htmx_get_returns_the_row_form_only_where_allowed(world):
    step = world.step("3-", municipality=world.other_municipality)
    chief = world.client("chief").get(transition_url(step) + "?ui=row", **HTMX)
    assert chief.status_code == 200
    body = chief.content.decode()
    assert body.startswith("<form") and 'name="status"' in body and "<html" not in body
    assert 'value="in_progress"' in body
    coordinator = world.client("coordinator").get(transition_url(step) + "?ui=row", **HTMX)
    assert coordinator.status_code == 403
    own = world.step("3-", municipality=world.own_municipality)
    assert world.client("coordinator").get(transition_url(own) + "?ui=row", **HTMX).status_code == 200


def test_blocked_transition_shows_reason_and_keeps_input(world):
    # given a step whose predecessor is not done
    step = world.step("2-")
    # when the chief marks it done without an override
    response = world.client("chief").post(
        transition_url(step), {"status": "done", "reason": "typed by hand", "version": step.version}
    )
    # then the form says why, on the status field, and keeps what was typed
    assert response.status_code == 422
    form = response.context["transition_form"]
    assert "status" in form.errors
    body = response.content.decode()
    assert "typed by hand" in body
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED


def test_override_reason_lets_the_step_finish(world):
    step = world.step("2-")
    response = world.client("chief").post(
        transition_url(step),
        {"status": "done", "override_reason": "done on paper", "confirm": "on", "version": step.version},
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == StepStatus.DONE
    assert step.override_reason == "done on paper"


def test_blocking_needs_a_reason_on_the_reason_field(world):
    step = world.step("1")
    response = world.client("chief").post(transition_url(step), {"status": "blocked", "version": step.version})
    assert response.status_code == 422
    assert "reason" in response.context["transition_form"].errors


def test_stale_version_is_a_conflict(world):
    step = world.step("1")
    response = world.client("chief").post(transition_url(step), {"status": "in_progress", "version": step.version + 5})
    assert response.status_code == 409
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED


def test_a_form_without_its_version_is_refused(world):
    step = world.step("1")
    response = world.client("chief").post(transition_url(step), {"status": "in_progress"})
    assert response.status_code == 400
    form = response.context["transition_form"]
    assert "version" in form.errors and form.non_field_errors()
    assert "reload" in response.content.decode().lower() or "genindl" in response.content.decode().lower()
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED and step.version == 1


def test_stale_form_names_who_changed_the_status_and_when(world):
    from django.utils import timezone
    from django.utils.translation import override

    from runbook.services import step_transition

    # given a form read at one version, then Bent Johannsen blocked the step from another browser
    step = world.step("1")
    read_version = step.version
    bent = world.users["chief"]
    bent.first_name, bent.last_name = "Bent", "Johannsen"
    bent.save(update_fields=["first_name", "last_name"])
    step_transition(step=step, status=StepStatus.BLOCKED, actor=bent, reason="venter på KMD")
    # when the form read before is posted with the status that was valid then
    with override("da"):
        response = world.client("chief").post(transition_url(step), {"status": "in_progress", "version": read_version})
    # then 409 (not 422 "invalid choice"), naming who, what and when; nothing written
    assert response.status_code == 409
    form = response.context["transition_form"]
    assert list(form.errors) == ["__all__"]
    message = form.non_field_errors()[0]
    when = timezone.localtime(Event.objects.filter(object_id=step.pk).latest("created_at").created_at)
    assert "Bent Johannsen" in message and f"{when:%H:%M}" in message
    assert "Blokeret" in message or "Blocked" in message
    step.refresh_from_db()
    assert step.status == StepStatus.BLOCKED and step.version == read_version + 1


def test_stale_htmx_row_post_is_409_with_the_name(world):
    from runbook.services import step_transition

    step = world.step("1")
    read_version = step.version
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=world.users["chief"])
    response = world.client("chief").post(
        transition_url(step), {"status": "in_progress", "ui": "row", "version": read_version}, **HTMX
    )
    assert response.status_code == 409
    body = response.content.decode()
    chief = world.users["chief"]
    assert body.lstrip().startswith("<tr") and (chief.get_full_name() or chief.username) in body
    assert f'name="version" value="{read_version + 1}"' in body  # the form now carries the fresh version


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_form_posts_one_wins_the_others_get_409(settings):
    """Six people post the same status form at once: one change, five 409s naming it (never 422)."""
    import threading

    from runbook.planning import recompute_deferred
    from tests.support.worlds import build_page_world as build_world

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with recompute_deferred():
        world = build_world()
    step = world.step("1")
    n = 6
    barrier = threading.Barrier(n)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def post() -> None:
        from django.db import connections

        try:
            client = world.client("chief")
            barrier.wait(timeout=10)
            with recompute_deferred():
                response = client.post(transition_url(step), {"status": "in_progress", "version": step.version})
            with lock:
                results.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(code for code, _ in results) == [302] + [409] * (n - 1)
    assert all("Bent Johannsen" in body for code, body in results if code == 409)
    step.refresh_from_db()
    assert (step.status, step.version) == (StepStatus.IN_PROGRESS, 2)
    assert Event.objects.filter(verb="status_changed", object_id=step.pk).count() == 1


def test_unknown_status_is_a_field_error(world):
    step = world.step("1")
    response = world.client("chief").post(transition_url(step), {"status": "exploded", "version": step.version})
    assert response.status_code == 422
    assert "status" in response.context["transition_form"].errors


def test_htmx_status_change_returns_the_row(world):
    step = world.step("1")
    response = world.client("chief").post(
        transition_url(step), {"status": "in_progress", "ui": "row", "version": step.version}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="step-row-{step.pk}"')
    assert "<html" not in body
    assert "status-in_progress" in body
    assert [t.name for t in response.templates][0] == "includes/_step_row.html"


def test_htmx_blocked_transition_returns_the_row_with_error(world):
    step = world.step("2-")
    response = world.client("chief").post(
        transition_url(step), {"status": "done", "ui": "row", "reason": "kept", "version": step.version}, **HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith("<tr")
    assert 'class="error"' in body
    assert 'value="kept"' in body
    assert "<details class=\"status-change\" open" in body


# --- sign-off -------------------------------------------------------------------------------------


def test_advisor_signs_a_checkpoint(world):
    checkpoint = world.checkpoint()
    response = world.client("advisor").post(
        sign_url(checkpoint), {"decision": "go", "comment": "ok from KMD", "override_reason": "signed early"})
    assert response.status_code == 302
    signoff = CheckpointSignoff.objects.get(step=checkpoint)
    assert signoff.role == "vendor_advisor"
    assert signoff.comment == "ok from KMD"


def test_advisor_signs_from_review_with_htmx(world):
    checkpoint = world.checkpoint()
    response = world.client("advisor").post(
        sign_url(checkpoint), {"decision": "go", "comment": "", "ui": "review", "override_reason": "early"}, **HTMX
    )
    assert response.status_code == 200
    assert f'id="checkpoint-{checkpoint.pk}"' in response.content.decode()
    assert CheckpointSignoff.objects.filter(step=checkpoint, role="vendor_advisor").exists()


def test_no_go_needs_a_comment(world):
    checkpoint = world.checkpoint()
    response = world.client("advisor").post(sign_url(checkpoint), {"decision": "no_go", "comment": "  "})
    assert response.status_code == 422
    assert "comment" in response.context["sign_form"].errors
    assert not CheckpointSignoff.objects.exists()


def test_missing_decision_keeps_comment(world):
    checkpoint = world.checkpoint()
    response = world.client("advisor").post(sign_url(checkpoint), {"comment": "my words"})
    assert response.status_code == 422
    assert "decision" in response.context["sign_form"].errors
    assert "my words" in response.content.decode()


@pytest.mark.parametrize("role, expected", [("viewer", 403), ("coordinator", 403), ("outsider", 404)])
def test_only_chief_and_advisor_sign(world, role, expected):
    checkpoint = world.checkpoint()
    response = world.client(role).post(sign_url(checkpoint), {"decision": "go"})
    assert response.status_code == expected
    assert not CheckpointSignoff.objects.exists()


def test_dual_signoff_lets_the_checkpoint_finish(world):
    checkpoint = world.checkpoint()
    Step.objects.filter(runbook=checkpoint.runbook, sequence__lt=checkpoint.sequence).update(
        status="skipped")
    world.client("advisor").post(sign_url(checkpoint), {"decision": "go"})
    checkpoint.refresh_from_db()
    blocked = world.client("chief").post(
        transition_url(checkpoint), {"status": "done", "confirm": "on", "version": checkpoint.version})
    assert blocked.status_code == 422  # still lacks the chief's go
    # the chief's go passes the checkpoint by itself (no status change needed any more)
    world.client("chief").post(sign_url(checkpoint), {"decision": "go"})
    checkpoint.refresh_from_db()
    assert checkpoint.status == StepStatus.DONE


# --- comments -------------------------------------------------------------------------------------


def test_coordinator_comments(world):
    step = world.step("1")
    response = world.client("coordinator").post(comment_url(step), {"body": "Vi er klar"})
    assert response.status_code == 302
    assert Comment.objects.get(step=step).body == "Vi er klar"


def test_empty_comment_is_a_field_error(world):
    step = world.step("1")
    response = world.client("coordinator").post(comment_url(step), {"body": ""})
    assert response.status_code == 422
    assert "body" in response.context["comment_form"].errors
    assert not Comment.objects.exists()


def test_viewer_may_not_comment(world):
    step = world.step("1")
    response = world.client("viewer").post(comment_url(step), {"body": "hello"})
    assert response.status_code == 403
    assert 'class="form-errors" role="alert"' in response.content.decode()
    assert not Comment.objects.exists()


def test_step_detail_shows_history_and_neighbours(world):
    step = world.step("2-")
    world.client("chief").post(transition_url(step), {"status": "in_progress", "version": step.version})
    response = world.client("viewer").get(step.get_absolute_url())
    ctx = response.context
    assert ctx["preds"] and ctx["succs"]
    assert ctx["events"][0].verb == "status_changed"
    assert ctx["blockers"]


# --- settings -------------------------------------------------------------------------------------


def test_api_token_is_shown_once(world):
    client = world.client("viewer")
    response = client.post(reverse("settings-tokens"), {"name": "reporting", "read_only": "on"})
    assert response.status_code == 201
    raw = response.context["created_raw"]
    token = ApiToken.objects.get(user=world.users["viewer"])
    assert token.key_hash == hash_token(raw) and token.read_only
    assert raw in response.content.decode()
    assert raw not in client.get(reverse("settings-tokens")).content.decode()


def test_api_token_form_errors_keep_input(world):
    response = world.client("viewer").post(reverse("settings-tokens"), {"name": "x", "expires_days": "0"})
    assert response.status_code == 422
    assert "expires_days" in response.context["form"].errors
    assert 'value="x"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_own_token_but_not_anothers(world):
    from municipalities.tokens import api_token_create

    mine, _ = api_token_create(user=world.users["viewer"], name="mine")
    theirs, _ = api_token_create(user=world.users["chief"], name="theirs")
    client = world.client("viewer")
    assert client.post(reverse("settings-token-revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("settings-token-revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_feed_link_created_and_revoked(world):
    client = world.client("chief")
    response = client.post(reverse("settings-feed"), {"action": "create"})
    assert response.status_code == 201
    links = response.context["links"]
    assert [link["merger"] for link in links] == [world.merger]
    assert "token=" in links[0]["url"]
    assert FeedToken.objects.filter(user=world.users["chief"], revoked_at__isnull=True).count() == 1
    client.post(reverse("settings-feed"), {"action": "revoke"})
    assert not FeedToken.objects.filter(user=world.users["chief"], revoked_at__isnull=True).exists()
