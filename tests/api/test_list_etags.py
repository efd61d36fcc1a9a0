"""Polling clients: the steps and milestones lists and the iCal feed carry a weak ETag from a cheap version
stamp; ``If-None-Match`` with it is a 304 after at most 2 queries (token + stamp) and no rows read; any
change a client could see — a save, the scheduler's bulk write, a new baseline, a risk flag — is a 200."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from municipalities.tokens import feed_token_create, feed_url
from runbook.models import Runbook, Step
from tests.support.api import client_for

LISTS = ["/api/v1/milestones/", "/api/v1/steps/", "/api/v1/milestones/?page_size=5&ordering=-id",
         "/api/v1/steps/?format=csv"]


def _etag(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.headers["ETag"]


@pytest.mark.parametrize("url", LISTS)
def test_list_answers_304_with_its_etag_and_200_after_a_change(world, url):
    client = client_for(world, "readonly")
    etag = _etag(client, url)
    assert etag.startswith('W/"')

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag

    step = Step.objects.filter(runbook__merger=world.a, kind="milestone").first()
    step.description = "changed"
    step.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_list_etag_depends_on_query_user_and_format(world):
    ro = client_for(world, "readonly")
    viewer = client_for(world, "viewer")
    etags = {
        _etag(ro, "/api/v1/milestones/"), _etag(ro, "/api/v1/milestones/?page_size=5"),
        _etag(ro, "/api/v1/milestones/?format=csv"), _etag(viewer, "/api/v1/milestones/"),
        _etag(ro, "/api/v1/steps/"),
    }
    assert len(etags) == 5


@pytest.mark.parametrize(
    "change",
    ["scheduler", "baseline", "risk", "delete", "other_merger_scope", "late_commit"],
)
def test_bulk_writes_that_skip_updated_at_still_move_the_list_etag(world, change):
    client = client_for(world, "chief")
    url = "/api/v1/milestones/"
    etag = _etag(client, url)
    milestone = Step.objects.filter(runbook__merger=world.a, kind="milestone").first()
    if change == "scheduler":  # planning writes dates in bulk and stamps the runbook
        Step.objects.filter(pk=milestone.pk).update(planned_finish=dt.date(2006, 12, 1))
        Runbook.objects.filter(merger=world.a).update(scheduled_at=timezone.now())
    elif change == "baseline":
        from runbook.baselines import baseline_capture

        baseline_capture(runbook=world.a.runbook, name="B1", check_permission=False)
    elif change == "risk":
        from runbook.risks import risks_detect

        Step.objects.filter(pk=milestone.pk).update(at_risk=True, risk_reasons=[{"code": "stale"}])
        if risks_detect(merger_id=world.a.pk)["changed"] == 0:
            pytest.skip("no risk flag changed in this world")
    elif change == "delete":
        Step.objects.filter(pk=milestone.pk).delete()
    elif change == "late_commit":  # an edit stamped earlier than the latest one, committed after it
        from django.db.models import F, Min

        oldest = Step.objects.aggregate(u=Min("updated_at"))["u"]
        Step.objects.filter(pk=milestone.pk).update(version=F("version") + 1, updated_at=oldest)
    else:  # a merger joins the user's scope
        from municipalities.models import Membership, Role

        Membership.objects.create(user=world.users["chief"], merger=world.b, role=Role.VIEWER)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/milestones/?page_size=100", "/api/v1/steps/?page_size=100"])
def test_304_costs_at_most_two_queries_for_a_token_client(world, url):
    client = client_for(world, "readonly")
    etag = _etag(client, url)  # also records the token's use (last_used_at), not repeated for minutes
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert len(queries) <= 2, "\n".join(q["sql"] for q in queries.captured_queries)


def test_ical_feed_answers_304_and_200_after_a_change(world):
    viewer = world.users["viewer"]
    _, raw = feed_token_create(user=viewer)
    client = client_for(world, "anonymous")
    url = feed_url(None, world.a.pk, raw)
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    etag = first.headers["ETag"]

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert len(queries) <= 2, "\n".join(q["sql"] for q in queries.captured_queries)

    milestone = Step.objects.filter(runbook__merger=world.a, kind="milestone").first()
    milestone.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_ical_feed_of_a_merger_outside_the_scope_is_still_404(world):
    client = client_for(world, "readonly")
    first = client.get(f"/api/v1/mergers/{world.a.pk}/milestones.ics")
    other = client.get(f"/api/v1/mergers/{world.b.pk}/milestones.ics", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert other.status_code == 404


def _session_and_token(world):
    """The chief twice: through the session (DRF's own dispatch) and through a Bearer token (the early 304)."""
    return client_for(world, "chief"), client_for(world, "readonly")


@pytest.mark.parametrize("url", ["/api/v1/milestones/", "/api/v1/steps/?page_size=5&ordering=-id",
                                 "ical"])
def test_the_early_304_of_a_token_client_is_the_views_own(world, url):
    session, token = _session_and_token(world)
    if url == "ical":
        url = f"/api/v1/mergers/{world.a.pk}/milestones.ics"
    etag = _etag(token, url)
    assert _etag(session, url) == etag  # same user, same answer: the same ETag whichever way in

    early = token.get(url, HTTP_IF_NONE_MATCH=etag)
    own = session.get(url, HTTP_IF_NONE_MATCH=etag)
    assert early.status_code == own.status_code == 304
    assert early.content == own.content == b""
    headers = ("ETag", "Allow", "Cache-Control")
    assert {h: early.headers.get(h) for h in headers} == {h: own.headers.get(h) for h in headers}
    vary = {v.strip() for v in own.headers["Vary"].split(",")} - {"Cookie"}  # the session's own
    assert {v.strip() for v in early.headers["Vary"].split(",")} == vary


def test_the_early_path_answers_only_what_the_view_would(world, settings):
    token = client_for(world, "readonly")
    url = "/api/v1/milestones/"
    etag = _etag(token, url)
    # another format or Accept: the view negotiates, and the ETag names the format
    assert token.get(url, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT="text/csv").status_code == 200
    assert token.get(url + "?format=csv", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # an unknown token: 401, never a 304
    stranger = client_for(world, "anonymous")
    stranger.credentials(HTTP_AUTHORIZATION="Bearer mpa_not-a-token")
    assert stranger.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 401
    # the rate counts 304s too, and a client over it gets the view's 429
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "2/min"}}
    from django.core.cache import cache

    cache.clear()
    codes = [token.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(3)]
    assert codes == [304, 304, 429]


def test_the_compiled_stamp_keeps_only_the_user_as_a_parameter_on_postgresql(world):
    from runbook.api import list_etags
    from runbook.api.views import MilestoneViewSet

    user = world.users["chief"]
    list_etags._COMPILED.clear()
    before = list_etags.scoped_stamp("MilestoneViewSet", MilestoneViewSet.list_stamp_querysets, user)
    sql, params = next(iter(list_etags._COMPILED.values()))
    if connection.vendor == "postgresql":  # the kinds are literals: the generic plan knows them
        assert "'milestone'" in sql and set(params) == {list_etags._USER}
    else:
        assert "milestone" in params
    # and the stamp read through it is the one read straight from the querysets
    assert before == list_etags.steps_stamp(*MilestoneViewSet.list_stamp_querysets(user))
