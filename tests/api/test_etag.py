"""ETags: every object has one; If-None-Match → 304; a stale If-Match → 412 and nothing changes; on
PostgreSQL, N clients PATCHing with the same ETag at once: exactly one wins."""
from __future__ import annotations

import io
import threading

import pytest
from django.db import connection

from audit.models import Event
from runbook.models import CalendarRule, FreezeWindow
from tests.support.api import client_for
from tests.support.worlds import build_api_world as build_world

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
        ("/api/v1/checkpoints/{checkpoint}/sign/", "post", {"decision": "go", "override_reason": "early"}),
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


def _blind_writes(world, extra_system) -> list[tuple[str, str, object]]:
    """Every write to an existing, versioned object (method, url, body), each one the chief may make."""
    from runbook.models import Dependency, Step
    from systems.models import VendorCapacityPeriod
    from tests.support.api import loose_instance

    step = world.step(world.a, "1")
    period = VendorCapacityPeriod.objects.create(vendor=extra_system.vendor, start="2006-07-01", end="2006-08-31",
                                                capacity=3)
    window = FreezeWindow.objects.create(name="Egen", start="2006-10-09", end="2006-10-13", merger=world.a)
    rule = CalendarRule.objects.create(name="Løn", kind="payroll_run", merger=world.a, days=2)
    cutover = Step.objects.filter(runbook__merger=world.a, kind="cutover").first()
    return [
        ("patch", f"/api/v1/steps/{step.pk}/", {"description": "blind"}),
        ("post", f"/api/v1/steps/{step.pk}/transition/", {"status": "in_progress"}),
        ("post", f"/api/v1/checkpoints/{world.checkpoint(world.a).pk}/sign/",
         {"decision": "go", "override_reason": "early"}),
        ("patch", f"/api/v1/mergers/{world.a.pk}/", {"dispensation_status": "applied"}),
        ("post", f"/api/v1/mergers/{world.a.pk}/recompute/", None),
        ("delete", f"/api/v1/dependencies/{Dependency.objects.filter(runbook__merger=world.a).first().pk}/", None),
        ("patch", f"/api/v1/system-instances/{loose_instance(world.own_municipality, extra_system).pk}/",
         {"notes": "blind"}),
        ("delete", f"/api/v1/system-instances/{loose_instance(world.other_municipality, extra_system).pk}/", None),
        ("patch", f"/api/v1/freeze-windows/{window.pk}/", {"end": "2006-10-20"}),
        ("delete", f"/api/v1/freeze-windows/{window.pk}/", None),
        ("patch", f"/api/v1/calendar-rules/{rule.pk}/", {"days": 3}),
        ("patch", f"/api/v1/domains/{cutover.domain_id}/", {"binding": "free"}),
        ("patch", f"/api/v1/vendor-capacity-periods/{period.pk}/", {"capacity": 4}),
        ("delete", f"/api/v1/vendor-capacity-periods/{period.pk}/", None),
    ]


def test_every_write_without_if_match_is_428_and_changes_nothing(world, extra_system):
    """No silent overwrite: a write to an existing object must say which version it read."""
    from municipalities.models import Merger
    from runbook.models import Dependency, Step
    from systems.models import Domain, SystemInstance, VendorCapacityPeriod

    chief = world.users["chief"]
    chief.is_staff = True  # areas and capacity periods are staff's
    chief.save(update_fields=["is_staff"])
    client = client_for(world, "chief")
    cases = _blind_writes(world, extra_system)

    def state():
        return (Event.objects.count(), Dependency.objects.count(), SystemInstance.objects.count(),
                sorted(Step.objects.values_list("pk", "version")), list(Domain.objects.values_list("binding")),
                list(VendorCapacityPeriod.objects.values_list("capacity")),
                list(FreezeWindow.objects.values_list("end")), list(CalendarRule.objects.values_list("days")),
                list(Merger.objects.values_list("version", "dispensation_status")))

    for method, url, body in cases:
        before = state()

        response = getattr(client, method)(url, body, format="json")

        assert response.status_code == 428, (method, url, response.status_code, response.content)
        assert "If-Match" in response.json()["detail"]
        assert state() == before, url


def test_428_and_412_are_in_the_schema_of_every_write(db):
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    writes = [(path, method, op) for path, ops in paths.items() for method, op in ops.items()
              if method in ("patch", "put", "delete") or (method == "post" and "{id}" in path)]
    assert len(writes) >= 15
    for path, method, op in writes:
        assert {"412", "428"} <= set(op["responses"]), (method, path)
        header = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "If-Match"]
        assert header and header[0]["required"], (method, path)
    creates = [op for path, ops in paths.items() for method, op in ops.items()
               if method == "post" and "{id}" not in path]
    assert creates and all("428" not in op["responses"] for op in creates)


def _concurrent_world(settings):
    """A committed world for threads with their own connections (no eager replans in between)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from runbook.planning import recompute_deferred

    with recompute_deferred():
        world = build_world()
    return world, world.step(world.a, "1")


def _patch_at_once(world, step, n: int, **headers) -> list[int]:
    """``n`` clients of the IT chief PATCH the step's description at the same moment; their status codes."""
    from runbook.planning import recompute_deferred

    barrier = threading.Barrier(n)
    results: list[int] = []
    lock = threading.Lock()

    def patch(i: int) -> None:
        from django.db import connections

        try:
            client = client_for(world, "chief")
            barrier.wait(timeout=10)
            with recompute_deferred():
                response = client.patch(f"/api/v1/steps/{step.pk}/", {"description": f"writer {i}"},
                                        format="json", **headers)
            with lock:
                results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_blind_patches_are_all_428(settings):
    """10 clients PATCH the same step at once without If-Match: all 10 refused, nothing overwritten."""
    world, step = _concurrent_world(settings)
    description = step.description

    assert _patch_at_once(world, step, 10) == [428] * 10
    step.refresh_from_db()
    assert (step.version, step.description) == (1, description)
    assert not Event.objects.filter(verb="step_updated", object_id=step.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_with_the_same_etag_exactly_one_wins(settings):
    world, step = _concurrent_world(settings)
    etag = client_for(world, "chief").get(f"/api/v1/steps/{step.pk}/").headers["ETag"]

    results = _patch_at_once(world, step, 6, HTTP_IF_MATCH=etag)
    assert sorted(results) == [200] + [412] * 5
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
