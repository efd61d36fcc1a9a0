"""Bad input is a 4xx naming the field, never a 500, and a rejected write leaves the database as it was."""
from __future__ import annotations

import pytest

from audit.models import Event
from runbook.models import Comment, Dependency, Step
from systems.models import SystemInstance
from tests.support.api import client_for, if_match


def _state() -> tuple:
    return (
        Event.objects.count(),
        Comment.objects.count(),
        Dependency.objects.count(),
        SystemInstance.objects.count(),
        tuple(Step.objects.order_by("pk").values_list("version", "status", "description", "deadline")),
    )


def _cases(world) -> list[tuple[str, str, object, str]]:
    """(method, url, body, field named in the answer)."""
    step = world.step(world.a, "1")
    own = world.step(world.a, "3-", world.own_municipality)
    last = world.step(world.a, "6")
    return [
        ("patch", f"/api/v1/steps/{step.pk}/", {"description": "ok", "colour": "red"}, "colour"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"status": "done"}, "status"),  # not a plan field
        ("patch", f"/api/v1/steps/{step.pk}/", {"description": "a\x00b"}, "description"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"name": "x" * 251}, "name"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"deadline": "2006-02-30"}, "deadline"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"deadline": "næste fredag"}, "deadline"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"duration_days": -1}, "duration_days"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"duration_days": "many"}, "duration_days"),
        ("patch", f"/api/v1/steps/{last.pk}/", {"duration_days": 3}, "duration_days"),  # a milestone takes 0
        ("patch", f"/api/v1/steps/{step.pk}/", {"assignee_municipality": "9999"}, "assignee_municipality"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"wave": 999999}, "wave"),
        ("post", f"/api/v1/steps/{step.pk}/transition/", {"status": "finished"}, "status"),
        ("post", f"/api/v1/steps/{step.pk}/transition/", {}, "status"),
        ("post", f"/api/v1/steps/{last.pk}/transition/", {"status": "done"}, "status"),  # predecessors
        ("post", f"/api/v1/steps/{step.pk}/transition/", {"status": "blocked"}, "reason"),
        ("post", f"/api/v1/steps/{own.pk}/transition/", {"status": "in_progress", "why": "x"}, "why"),
        ("post", f"/api/v1/checkpoints/{world.checkpoint(world.a).pk}/sign/", {"decision": "maybe"}, "decision"),
        ("post", f"/api/v1/checkpoints/{world.checkpoint(world.a).pk}/sign/", {"decision": "no_go"}, "comment"),
        ("patch", f"/api/v1/mergers/{world.a.pk}/", {"dispensation_date": "2007-03-01"}, "dispensation_date"),
        ("patch", f"/api/v1/mergers/{world.a.pk}/", {"dispensation_status": "granted", "dispensation_date": None},
         "dispensation_date"),
        ("patch", f"/api/v1/mergers/{world.a.pk}/", {"name": "Ny"}, "name"),
        ("post", "/api/v1/dependencies/", {"predecessor": last.pk, "successor": step.pk}, "predecessor"),  # cycle
        ("post", "/api/v1/dependencies/", {"predecessor": step.pk, "successor": step.pk}, "successor"),
        ("post", "/api/v1/dependencies/", {"predecessor": step.pk, "successor": "abc"}, "successor"),
        ("post", "/api/v1/dependencies/", {"predecessor": step.pk, "successor": last.pk, "lag_days": 10**9},
         "lag_days"),
        ("post", "/api/v1/comments/", {"step": step.pk, "body": "   "}, "body"),
        ("post", "/api/v1/comments/", {"step": step.pk, "body": "x" * 10_001}, "body"),
        ("post", "/api/v1/comments/", {"step": step.pk, "body": "nul\x00byte"}, "body"),
        ("post", "/api/v1/system-instances/", {"municipality": world.own_municipality.code, "system": 10**12},
         "system"),
        ("post", "/api/v1/system-instances/", {"municipality": world.own_municipality.code,
                                               "system": SystemInstance.objects.filter(
                                                   municipality=world.own_municipality).first().system_id},
         "system"),  # runs it already
        ("patch", f"/api/v1/system-instances/{SystemInstance.objects.first().pk}/", {"hosting": "cloud"}, "hosting"),
        *_poison_date_cases(world),
    ]


def _poison_date_cases(world) -> list[tuple[str, str, object, str]]:
    """Dates outside the planning range (1990-01-01 … 2100-12-31) that once made every replan fail."""
    step = world.step(world.a, "1")
    cutover = Step.objects.filter(runbook__merger=world.a, kind="cutover").order_by("sequence").first()
    return [
        ("patch", f"/api/v1/steps/{step.pk}/", {"not_before": "9999-12-31"}, "not_before"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"deadline": "0001-01-01"}, "deadline"),
        ("patch", f"/api/v1/steps/{step.pk}/", {"deadline": "1989-12-31"}, "deadline"),
        ("patch", f"/api/v1/steps/{cutover.pk}/", {"target_date": "2101-01-01"}, "target_date"),
        ("patch", f"/api/v1/mergers/{world.a.pk}/", {"dispensation_date": "0001-01-01"}, "dispensation_date"),
        ("patch", f"/api/v1/mergers/{world.a.pk}/", {"dispensation_status": "granted",
                                                     "dispensation_date": "1899-01-01"}, "dispensation_date"),
        ("post", "/api/v1/freeze-windows/", {"name": "Evig", "start": "2006-10-02", "end": "9999-12-31",
                                            "merger": world.a.pk}, "end"),
    ]


def test_bad_writes_are_400_naming_the_field_and_change_nothing(world):
    client = client_for(world, "chief")
    failures = []
    for method, url, body, field in _cases(world):
        headers = if_match(client, url)
        before = _state()
        response = getattr(client, method)(url, body, format="json", **headers)
        if response.status_code != 400 or field not in response.json():
            failures.append((method, url, body if len(str(body)) < 80 else "…", response.status_code,
                             response.content[:200]))
        assert _state() == before, (url, body)
    assert not failures, failures


@pytest.mark.parametrize(
    ("content_type", "payload", "expected"),
    [
        ("text/plain", b"description=x", 415),
        ("application/x-www-form-urlencoded", b"description=x", 415),
        ("multipart/form-data; boundary=xx", b"--xx--", 415),
        ("application/json", b"{not json", 400),
        ("application/json", b'["a", "list"]', 400),
        ("application/json", b'"a string"', 400),
        ("application/json", b"\xff\xfe\x00", 400),
        ("application/json", b'{"description": "\\u0000"}', 400),
    ],
)
def test_wrong_content_and_encoding_are_4xx(world, content_type, payload, expected):
    client = client_for(world, "chief")
    step = world.step(world.a, "1")
    before = _state()

    response = client.generic("PATCH", f"/api/v1/steps/{step.pk}/", payload, content_type=content_type)

    assert response.status_code == expected, response.content
    assert _state() == before


def test_oversized_body_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = client_for(world, "chief")
    step = world.step(world.a, "1")
    before = _state()

    response = client.patch(f"/api/v1/steps/{step.pk}/", {"description": "x" * 20_000}, format="json")

    assert response.status_code == 413
    assert _state() == before


@pytest.mark.parametrize(
    "query",
    ["due_after=2006-13-01", "due_before=x", "critical=maybe", "wave=-1", "merger=abc", "status=finished",
     "kind=task", "page_size=abc", "search=%00", "municipality=%00", "ordering=%00", "page=999",
     "page=37562557549206120169472", "page=9223372036854775808&page_size=500"],
)
def test_bad_query_parameters_are_4xx_never_500(world, query):
    client = client_for(world, "viewer")
    for resource in ("milestones", "steps"):
        response = client.get(f"/api/v1/{resource}/?{query}")
        assert response.status_code in (200, 400, 404), (resource, query, response.status_code)
    if query.startswith(("due_", "critical", "status", "merger")):
        assert client.get(f"/api/v1/milestones/?{query}").status_code == 400


@pytest.mark.parametrize(
    ("resource", "query", "parameter"),
    [
        ("milestones", "due_after=9999-12-31", "due_after"),
        ("milestones", "due_before=0001-01-01", "due_before"),
        ("steps", "due_after=1989-12-31", "due_after"),
        ("steps", "due_before=2006-02-30", "due_before"),
        ("events", "since=0001-01-01T00:00:00", "since"),
        ("milestones", "page_size=false", "page_size"),
        ("steps", "page_size=0", "page_size"),
        ("mergers", "page_size=-3", "page_size"),
        ("milestones.csv", "due_after=9999-12-31", "due_after"),
    ],
)
def test_bad_or_out_of_range_query_parameters_are_400_naming_them(world, resource, query, parameter):
    client = client_for(world, "viewer")

    response = client.get(f"/api/v1/{resource}/?{query}")

    assert response.status_code == 400, response.content
    assert parameter in response.content.decode()


def test_page_size_in_range_still_pages(world):
    client = client_for(world, "viewer")
    assert len(client.get("/api/v1/steps/?page_size=2").json()["results"]) == 2
    assert client.get("/api/v1/steps/?page_size=100000").status_code == 200  # cut to the maximum


def test_staff_writes_refuse_poison_dates(world):
    from systems.models import Domain, Vendor, VendorCapacityPeriod

    staff = world.users["chief"]
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client = client_for(world, "chief")
    domain = Domain.objects.order_by("pk").first()
    vendor = Vendor.objects.first()
    period = VendorCapacityPeriod.objects.create(vendor=vendor, start="2006-07-01", end="2006-08-31", capacity=3)
    cases = [
        ("patch", f"/api/v1/domains/{domain.pk}/", {"binding": "may_follow", "binding_latest": "9999-12-31"},
         "binding_latest"),
        ("post", "/api/v1/vendor-capacity-periods/", {"vendor": vendor.code, "start": "1899-01-01",
                                                      "end": "2006-08-31", "capacity": 3}, "start"),
        ("patch", f"/api/v1/vendor-capacity-periods/{period.pk}/", {"end": "2101-01-01"}, "end"),
    ]
    for method, url, body, field in cases:
        headers = if_match(client, url)
        periods = list(VendorCapacityPeriod.objects.values_list("start", "end"))
        domain_state = Domain.objects.filter(pk=domain.pk).values_list("binding", "binding_latest").get()

        response = getattr(client, method)(url, body, format="json", **headers)

        assert response.status_code == 400 and field in response.json(), (url, response.content)
        assert list(VendorCapacityPeriod.objects.values_list("start", "end")) == periods
        assert Domain.objects.filter(pk=domain.pk).values_list("binding", "binding_latest").get() == domain_state


def test_bad_token_headers_are_401(world):
    client = client_for(world, "anonymous")
    for header in ["Bearer", "Bearer a b", "Bearer nope", "Bearer \u00e6\u00f8\u00e5"]:
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/steps/").status_code == 401, header


def test_expired_and_revoked_tokens_are_401(world):
    import datetime as dt

    from django.utils import timezone

    from municipalities.models import ApiToken
    from municipalities.tokens import api_token_create, api_token_revoke

    chief = world.users["chief"]
    expired, raw_expired = api_token_create(user=chief, name="old", expires_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked, raw_revoked = api_token_create(user=chief, name="gone")
    api_token_revoke(token=revoked, actor=chief)
    client = client_for(world, "anonymous")
    for raw in (raw_expired, raw_revoked):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert client.get("/api/v1/steps/").status_code == 401
