"""The OpenAPI schema generates without warnings, validates, is served with its offline docs pages, and the
API keeps its promises when schemathesis throws generated requests at it (in-process, over WSGI) as every
role: no 5xx, and every documented response conforms to the schema."""
from __future__ import annotations

import contextlib
import io
import warnings

import pytest
from django.core.management import call_command

from municipalities.tokens import api_token_create
from tests.support.api import client_for


def test_schema_generates_without_warnings_and_validates(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out, stderr=err)
    assert "Warning" not in err.getvalue() and "Error" not in err.getvalue(), err.getvalue()
    assert '"openapi": "3.0' in out.getvalue()


def test_schema_validates_with_openapi_spec_validator(client, db):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/schema/?format=json")
    validate(response.json())


def test_schema_and_docs_are_served_offline(client, db):
    schema = client.get("/api/v1/schema/")
    docs = client.get("/api/v1/docs/")
    redoc = client.get("/api/v1/redoc/")
    assert schema.status_code == 200 and b"/api/v1/milestones/" in schema.content
    assert docs.status_code == 200 and redoc.status_code == 200
    for page in (docs.content, redoc.content):
        assert b"cdn" not in page.lower() and b"https://" not in page.replace(b"https://github.com", b"")
    assert b"drf_spectacular_sidecar" in docs.content


def test_ping(client):
    assert client.get("/api/v1/ping/").json() == {"status": "ok"}


def test_token_clients_are_throttled_sessions_are_not(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/min"}}
    from django.core.cache import cache

    cache.clear()
    token = client_for(world, "readonly")
    codes = [token.get("/api/v1/vendors/").status_code for _ in range(4)]
    session = client_for(world, "chief")
    assert codes == [200, 200, 200, 429]
    assert [session.get("/api/v1/vendors/").status_code for _ in range(4)] == [200] * 4
    cache.clear()


# --- schemathesis ---------------------------------------------------------------------------------------

def _known_ids(world) -> dict[str, list[int]]:
    """Real ids of every resource in both mergers, so generated requests reach objects (and 404s)."""
    from audit.models import Event
    from municipalities.models import Municipality
    from runbook.models import Comment, Dependency, Runbook, Step, Wave
    from systems.models import Conversion, Domain, Harmonisation, System, SystemInstance, Vendor

    def ids(qs) -> list[int]:
        return list(qs.order_by("pk").values_list("pk", flat=True)[:6])

    steps = Step.objects.all()
    return {
        "municipalities": ids(Municipality.objects.all()),
        "mergers": [world.a.pk, world.b.pk],
        "vendors": ids(Vendor.objects.all()),
        "domains": ids(Domain.objects.all()),
        "systems": ids(System.objects.all()),
        "system-instances": ids(SystemInstance.objects.all()),
        "harmonisations": ids(Harmonisation.objects.all()),
        "conversions": ids(Conversion.objects.all()),
        "runbooks": ids(Runbook.objects.all()),
        "steps": ids(steps),
        "milestones": ids(steps.filter(kind__in=["milestone", "cutover", "checkpoint"])),
        "checkpoints": ids(steps.filter(kind="checkpoint")),
        "dependencies": ids(Dependency.objects.all()),
        "waves": ids(Wave.objects.all()),
        "comments": ids(Comment.objects.all()),
        "events": ids(Event.objects.all()),
    }


def _fuzz(operation, *, known, headers, checks, failures) -> None:
    """A few generated requests against one operation (ids mostly real ones, so objects are reached)."""
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    resource = operation.path.split("/")[3]

    @hsettings(
        max_examples=3,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), pick=st.integers(min_value=0, max_value=9))
    def run(case, pick):
        if case.path_parameters and "id" in case.path_parameters and known.get(resource) and pick < 7:
            case.path_parameters["id"] = known[resource][pick % len(known[resource])]
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except Exception as exc:  # collect, so one run reports every broken operation
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:300]}")
            raise

    run()


ROLES = ["chief", "viewer", "coordinator", "advisor", "readonly", "anonymous"]


@pytest.fixture
def _keep_test_connection():
    """Django's WSGI handler closes "old" connections at the end of each request, which would close the
    test's transaction; the test client does the same as this fixture while it runs."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.usefixtures("_keep_test_connection")
def test_schemathesis_finds_no_server_errors(world, role, settings):
    schemathesis = pytest.importorskip("schemathesis")
    from django.core.handlers.wsgi import WSGIHandler
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
    )

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": None}}
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    headers = {}
    if role == "readonly":
        headers["Authorization"] = f"Bearer {world.tokens['readonly']}"
    elif role != "anonymous":
        _, raw = api_token_create(user=world.users[role], name="schemathesis")
        headers["Authorization"] = f"Bearer {raw}"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
    known = _known_ids(world)
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:
        if operation.path.endswith("milestones.ics"):
            continue  # binary body; checked in test_ical_csv
        with contextlib.suppress(Exception):  # recorded in ``failures``
            _fuzz(operation, known=known, headers=headers, checks=checks, failures=failures)

    assert not failures, "\n".join(failures)




# --- every operation documents what it can answer (core/api/schema_hooks.py) ---------------------------

def _operations(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_its_error_codes(client, db):
    missing = []
    for path, method, operation in _operations(client):
        if path in ("/api/v1/ping/", "/api/v1/schema/"):
            continue
        codes = set(operation["responses"])
        expected = {"401", "403", "429"}
        if "{" in path:
            expected.add("404")
        if any(p["in"] == "query" for p in operation.get("parameters", [])) or "requestBody" in operation:
            expected.add("400")
        if method in ("post", "put", "patch", "delete"):
            expected.add("409")
        if method in ("put", "patch", "delete") and "{" in path:
            expected |= {"412", "428"}
        if expected - codes:
            missing.append(f"{method.upper()} {path}: {sorted(expected - codes)}")
    assert not missing, "\n".join(missing)


def test_polled_lists_document_304(client, db):
    ops = {(path, method): op for path, method, op in _operations(client)}
    for path in ("/api/v1/steps/", "/api/v1/milestones/", "/api/v1/mergers/{id}/milestones.ics"):
        assert "304" in ops[(path, "get")]["responses"], path


@pytest.mark.parametrize("value", ["false", "0", "-3", "1.5", ""])
def test_page_size_must_be_a_whole_number_from_1(world, value):
    response = client_for(world, "readonly").get(f"/api/v1/milestones/?page_size={value}")
    assert response.status_code == 400
    assert "page_size" in response.json()
