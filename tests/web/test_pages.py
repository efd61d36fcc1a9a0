"""Every page: who sees it (anonymous → login, outsider → 404, every role of the merger → 200) and what
it shows."""
from __future__ import annotations

import pytest
from django.urls import reverse

from runbook.models import StepStatus
from runbook.services import step_transition
from systems.models import SystemInstance

pytestmark = pytest.mark.django_db

MERGER_PAGES = ["merger-dashboard", "merger-timeline", "merger-runbook", "merger-systems", "merger-report"]
ROLES = ["chief", "viewer", "coordinator", "advisor"]


def merger_url(name, world):
    return reverse(name, kwargs={"merger_id": world.merger.pk})


@pytest.mark.parametrize("name", [*MERGER_PAGES, "step-detail"])
def test_anonymous_is_sent_to_login(world, name):
    # given a page of a merger
    kwargs = {"merger_id": world.merger.pk}
    if name == "step-detail":
        kwargs["step_id"] = world.step("1").pk
    url = reverse(name, kwargs=kwargs)
    # when nobody is logged in
    response = world.client(None).get(url)
    # then the login page takes over, and comes back afterwards
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", ["home", "review", "vendor-load", "settings-tokens", "settings-feed"])
def test_anonymous_is_sent_to_login_from_user_pages(world, name):
    response = world.client(None).get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*MERGER_PAGES, "step-detail"])
def test_outsider_gets_404(world, name):
    kwargs = {"merger_id": world.merger.pk}
    if name == "step-detail":
        kwargs["step_id"] = world.step("1").pk
    response = world.client("outsider").get(reverse(name, kwargs=kwargs))
    assert response.status_code == 404


def test_step_of_another_merger_is_404_even_for_its_url_shape(world):
    # a step id of the other merger under this merger's URL
    foreign_step = world.step("1", merger=world.other)
    url = reverse("step-detail", kwargs={"merger_id": world.merger.pk, "step_id": foreign_step.pk})
    assert world.client("chief").get(url).status_code == 404


def test_unknown_merger_is_404(world):
    assert world.client("chief").get(reverse("merger-dashboard", kwargs={"merger_id": 999999})).status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", MERGER_PAGES)
def test_every_role_reads_every_page(world, role, name):
    response = world.client(role).get(merger_url(name, world))
    assert response.status_code == 200
    assert world.merger.name in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_a_step(world, role):
    step = world.step("1")
    response = world.client(role).get(step.get_absolute_url())
    assert response.status_code == 200


def test_login_page_and_login(world):
    client = world.client(None)
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "chief", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_error_keeps_username(world):
    response = world.client(None).post(reverse("login"), {"username": "chief", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="chief"' in body
    assert 'role="alert"' in body


def test_logout_is_a_post(world):
    client = world.client("chief")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_home_lists_only_own_mergers_with_status(world):
    body = world.client("chief").get(reverse("home")).content.decode()
    assert world.merger.name in body
    assert world.other.name not in body
    assert "rag rag-" in body


def test_dashboard_shows_countdown_progress_and_verdict(world):
    response = world.client("viewer").get(merger_url("merger-dashboard", world))
    ctx = response.context
    # 2006-03-15 → 2007-01-01 is 292 days
    legal = next(r for r in ctx["countdown"] if r["key"] == "legal")
    assert legal["days"] == 292
    assert 0 < legal["working_days"] < 292
    assert ctx["verdict"].level in ("red", "amber", "green")
    assert ctx["verdict"].reasons
    body = response.content.decode()
    assert f'class="verdict verdict-{ctx["verdict"].level}"' in body
    assert "292" in body
    assert '<svg' in body  # burn-up


def test_dashboard_progress_moves_when_a_step_is_done(world):
    chief = world.users["chief"]
    before = world.client("chief").get(merger_url("merger-dashboard", world)).context["overall"]
    step_transition(step=world.step("1"), status=StepStatus.DONE, actor=chief)
    after = world.client("chief").get(merger_url("merger-dashboard", world)).context["overall"]
    assert after["done_steps"] == before["done_steps"] + 1
    assert after["percent"] > before["percent"]


def test_dashboard_lists_blocked_with_reason_of_verdict(world):
    step_transition(step=world.step("1"), status=StepStatus.BLOCKED, actor=world.users["chief"], reason="waiting")
    response = world.client("chief").get(merger_url("merger-dashboard", world))
    assert response.context["verdict"].level in ("amber", "red")
    assert any("blok" in r.lower() or "block" in r.lower() for r in response.context["verdict"].reasons)


def test_dashboard_marks_inferred_facts(world):
    before = world.client("viewer").get(merger_url("merger-dashboard", world)).content.decode()
    member = world.merger.members.order_by("code").first()
    member.code_inferred = True
    member.save(update_fields=["code_inferred"])
    body = world.client("viewer").get(merger_url("merger-dashboard", world)).content.decode()
    assert body.count('class="inferred"') == before.count('class="inferred"') + 1
    assert "(antaget)" in body  # in words too, in Danish: not verified in a source


def test_timeline_is_svg_with_lines_and_critical_marks(world):
    response = world.client("chief").get(merger_url("merger-timeline", world))
    body = response.content.decode()
    assert "<svg" in body and 'class="chart gantt"' in body
    assert "marker today" in body and "marker legal" in body and "marker dispensation" in body
    assert "hatch-critical" in body
    critical = [s for s in world.merger.runbook.steps.all() if s.is_critical]
    assert critical, "the factory merger has a critical path"
    assert body.count("critical-label") >= len(critical)


def test_timeline_filter_critical_only(world):
    url = merger_url("merger-timeline", world) + "?critical=on"
    response = world.client("chief").get(url)
    critical = world.merger.runbook.steps.filter(is_critical=True).count()
    assert response.context["count"] == critical


def test_runbook_filters_by_municipality(world):
    url = merger_url("merger-runbook", world) + f"?municipality={world.own_municipality.pk}"
    response = world.client("chief").get(url)
    steps = [row["step"] for row in response.context["rows"]]
    assert steps
    assert all(s.assignee_municipality_id == world.own_municipality.pk for s in steps)


def test_runbook_bad_filter_is_ignored_not_500(world):
    response = world.client("chief").get(merger_url("merger-runbook", world) + "?phase=abc&status=nonsense")
    assert response.status_code == 200


def _rows_offering_a_status_change(body: str) -> set[int]:
    """The steps whose row on the runbook page offers the "Change status" control."""
    rows = body.split('<tr id="step-row-')[1:]
    return {int(row.split('"', 1)[0]) for row in rows if 'class="status-change"' in row.split("</tr>", 1)[0]}


def test_runbook_shows_status_forms_only_where_allowed(world):
    response = world.client("coordinator").get(merger_url("merger-runbook", world))
    for row in response.context["rows"]:
        step = row["step"]
        assert row["can_change"] == (step.assignee_municipality_id == world.own_municipality.pk)
    allowed = {row["step"].pk for row in response.context["rows"] if row["can_change"] and row["allowed"]}
    assert allowed, "the coordinator may change the steps of their own municipality"
    assert _rows_offering_a_status_change(response.content.decode()) == allowed
    viewer = world.client("viewer").get(merger_url("merger-runbook", world))
    assert _rows_offering_a_status_change(viewer.content.decode()) == set()


def test_systems_matrix_cells_and_conversion_links(world):
    response = world.client("chief").get(merger_url("merger-systems", world))
    body = response.content.decode()
    assert "?conversion=" in body
    # SystemInstance.is_inferred defaults to True: every instance in the matrix is shown as such
    instances = body.split('<table class="matrix">', 1)[1].split('<div class="cell-item">')[1:]
    assert len(instances) == SystemInstance.objects.filter(municipality__mergers=world.merger).count() > 0
    assert all('class="inferred"' in cell.split("</div>", 1)[0] for cell in instances)
    # one row per area, one cell per member municipality (the matrix is areas × municipalities)
    rows = response.context["rows"]
    assert len(rows) == len(response.context["domains"]) > 0
    assert all(len(row["cells"]) == world.merger.members.count() for row in rows)


def test_report_is_printable(world):
    response = world.client("viewer").get(merger_url("merger-report", world))
    assert response.status_code == 200
    assert 'class="report"' in response.content.decode()


def test_review_lists_checkpoint_for_advisor_not_for_viewer(world):
    checkpoint = world.checkpoint()
    advisor = world.client("advisor").get(reverse("review"))
    assert checkpoint in [i["step"] for i in advisor.context["awaiting"]]
    viewer = world.client("viewer").get(reverse("review"))
    assert viewer.context["awaiting"] == []


def test_review_ranks_mergers_by_risk(world):
    # the chief of both: make the other merger worse by blocking a step there
    from municipalities.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(merger=world.other, role=Role.VIEWER, user=world.users["chief"])
    step_transition(step=world.step("1", merger=world.other), status=StepStatus.BLOCKED,
                    actor=world.users["outsider"], reason="waiting")
    rows = world.client("chief").get(reverse("review")).context["rows"]
    assert [r["merger"] for r in rows][0] == world.other


# the vendor load page: tests/web/test_vendor_load.py
