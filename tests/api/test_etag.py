"""ETags: every object has one; If-None-Match → 304; a stale If-Match → 412 and nothing changes; on
PostgreSQL, N clients PATCHing with the same ETag at once: exactly one wins."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from runbook.models import Event
from tests.api.conftest import build_world, client_for

RESOURCES = ["municipalities", "mergers", "vendors", "domains", "systems", "system-instances", "harmonisations",
             "conversions", "runbooks", "steps", "milestones", "checkpoints", "dependencies", "events"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_object_has_an_etag_and_answers_304(world, resource):
    client = client_for(world, "chief")
    first = client.get(f"/api/v1/{resource}/").json()["results"][0]["id"]

    response = client.get(f"/api/v1/{resource}/{first}/")
    etag = response.headers["ETag"]
    again = client.get(f"/api/v1/{resource}/{first}/", HTTP_IF_NONE_MATCH=etag)

    assert etag.startswith('W/"')
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.content == b""


def test_etag_changes_with_the_object(world):
    client = client_for(world, "chief")
    step = world.step(world.a, "1")
    etag = client.get(f"/api/v1/steps/{step.pk}/").headers["ETag"]

    patched = client.patch(f"/api/v1/steps/{step.pk}/", {"description": "x"}, format="json", HTTP_IF_MATCH=etag)

    assert patched.status_code == 200
    assert patched.headers["ETag"] != etag
    assert client.get(f"/api/v1/steps/{step.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_stale_if_match_is_412_and_changes_nothing(world):
    client = client_for(world, "chief")
    step = world.step(world.a, "1")
    stale = client.get(f"/api/v1/steps/{step.pk}/").headers["ETag"]
    assert client.patch(f"/api/v1/steps/{step.pk}/", {"description": "first"}, format="json",
                        HTTP_IF_MATCH=stale).status_code == 200
    events = Event.objects.count()

    patch = client.patch(f"/api/v1/steps/{step.pk}/", {"description": "second"}, format="json", HTTP_IF_MATCH=stale)
    transition = client.post(f"/api/v1/steps/{step.pk}/transition/", {"status": "in_progress"}, format="json",
                             HTTP_IF_MATCH=stale)

    assert (patch.status_code, transition.status_code) == (412, 412)
    step.refresh_from_db()
    assert step.description == "first" and step.status == "not_started"
    assert Event.objects.count() == events


@pytest.mark.parametrize(
    ("url", "method", "body"),
    [
        ("/api/v1/mergers/{a}/", "patch", {"dispensation_status": "granted", "dispensation_date": "2006-07-01"}),
        ("/api/v1/mergers/{a}/recompute/", "post", None),
        ("/api/v1/checkpoints/{checkpoint}/sign/", "post", {"decision": "go"}),
        ("/api/v1/dependencies/{dependency}/", "delete", None),
    ],
)
def test_if_match_on_commands_and_deletes(world, url, method, body):
    from runbook.models import Dependency

    client = client_for(world, "chief")
    ids = {"a": world.a.pk, "checkpoint": world.checkpoint(world.a).pk,
           "dependency": Dependency.objects.filter(runbook__merger=world.a).first().pk}
    url = url.format(**ids)
    detail = url.replace("recompute/", "").replace("sign/", "")
    current = client.get(detail).headers["ETag"]
    events = Event.objects.count()

    stale = getattr(client, method)(url, body, format="json", HTTP_IF_MATCH='W/"stale"')
    assert stale.status_code == 412
    assert Event.objects.count() == events

    fresh = getattr(client, method)(url, body, format="json", HTTP_IF_MATCH=current)
    assert fresh.status_code in (200, 202, 204)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_with_the_same_etag_exactly_one_wins(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from runbook.planning import recompute_deferred

    with recompute_deferred():
        world = build_world()
    step = world.step(world.a, "1")
    etag = client_for(world, "chief").get(f"/api/v1/steps/{step.pk}/").headers["ETag"]
    n = 6
    barrier = threading.Barrier(n)
    results: list[int] = []
    lock = threading.Lock()

    def patch(i: int) -> None:
        from django.db import connections

        try:
            client = client_for(world, "chief")
            barrier.wait(timeout=10)
            with recompute_deferred():
                response = client.patch(f"/api/v1/steps/{step.pk}/", {"description": f"writer {i}"}, format="json",
                                        HTTP_IF_MATCH=etag)
            with lock:
                results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(results) == [200] + [412] * (n - 1)
    step.refresh_from_db()
    assert step.version == 2
    assert Event.objects.filter(verb="step_updated", object_id=step.pk).count() == 1


def test_etag_changes_when_the_scheduler_moves_dates_in_bulk(world):
    """The scheduler writes dates with bulk_update (no version bump, no updated_at): the ETag still moves,
    so no client keeps a stale date behind a 304."""
    import datetime as dt

    from runbook.models import Step

    client = client_for(world, "viewer")
    milestone = Step.objects.filter(runbook__merger=world.a, kind="milestone").first()
    etag = client.get(f"/api/v1/milestones/{milestone.pk}/").headers["ETag"]

    Step.objects.filter(pk=milestone.pk).update(planned_finish=dt.date(2006, 12, 1))

    response = client.get(f"/api/v1/milestones/{milestone.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["planned_finish"] == "2006-12-01"
