"""The schema's promises that schemathesis (.ci/schemathesis.sh, ``--checks all``) holds the API to, one
test per failure group in docs/performance.md ("Schema and schemathesis"):

1. conditional writes document If-Match (required), 412 and 428, and answer them;
2. integer filters, ids and paging are documented with their minimum and refused consistently below it;
   a well-formed unknown id selects nothing (200, empty) on every id filter;
3. a path under /api/ that no pattern matches (``/steps/1.5/``) is a JSON 404, not Django's HTML page;
4. an empty value of a typed filter (``?blocks=``) is a 400 naming the parameter.
"""
from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests.support.api import client_for, if_match


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _param(schema, path, method, name):
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


# --- 1. conditional writes ---------------------------------------------------------------------------


def test_conditional_writes_document_if_match_412_and_428(schema):
    for path, method in [("/api/v1/steps/{id}/", "patch"), ("/api/v1/steps/{id}/transition/", "post"),
                         ("/api/v1/freeze-windows/{id}/", "delete"), ("/api/v1/mergers/{id}/", "patch")]:
        operation = schema["paths"][path][method]
        assert {"412", "428"} <= set(operation["responses"]), (path, method)
        header = _param(schema, path, method, "If-Match")
        assert header["in"] == "header" and header["required"] is True


def test_a_wrong_if_match_is_412_and_a_missing_one_428(world):
    client = client_for(world, "chief")
    step = world.step(world.a, "")
    url = f"/api/v1/steps/{step.pk}/"

    assert client.patch(url, {"description": "x"}, format="json").status_code == 428
    assert client.patch(url, {"description": "x"}, format="json", HTTP_IF_MATCH='W/"not-it"').status_code == 412
    assert client.patch(url, {"description": "x"}, format="json", **if_match(client, url)).status_code == 200


def test_write_bodies_refuse_unknown_fields_and_the_schema_says_so(schema, world):
    components = schema["components"]["schemas"]
    for name in ("PatchedStepUpdateInput", "StepTransitionInput", "FreezeWindowInput", "CommentCreateInput"):
        assert components[name]["additionalProperties"] is False, name
    client = client_for(world, "chief")
    url = f"/api/v1/steps/{world.step(world.a, '').pk}/"
    response = client.patch(url, {"no_such_field": 1}, format="json", **if_match(client, url))
    assert response.status_code == 400 and "no_such_field" in response.json()


def test_a_delete_documents_its_400(schema):
    assert "400" in schema["paths"]["/api/v1/system-instances/{id}/"]["delete"]["responses"]


# --- 2. integer filters, ids, paging -----------------------------------------------------------------


@pytest.mark.parametrize(("path", "name", "minimum"), [
    ("/api/v1/steps/", "merger", 1), ("/api/v1/steps/", "runbook", 1), ("/api/v1/steps/", "wave", 1),
    ("/api/v1/steps/", "phase", 0), ("/api/v1/waves/", "runbook", 1), ("/api/v1/comments/", "step", 1),
    ("/api/v1/dependencies/", "predecessor", 1), ("/api/v1/calendar-rules/", "merger", 1),
    ("/api/v1/harmonisations/", "merger", 1), ("/api/v1/events/", "merger", 1),
    ("/api/v1/municipalities/", "merger", 1), ("/api/v1/mergers/", "page", 1),
    ("/api/v1/mergers/", "page_size", 1), ("/api/v1/steps/{id}/", "id", 1),
])
def test_integer_parameters_document_their_minimum(schema, path, name, minimum):
    parameter = _param(schema, path, "get", name)
    assert parameter["schema"]["type"] == "integer"
    assert parameter["schema"]["minimum"] == minimum


def test_boolean_filters_document_the_values_they_take(schema):
    for path, name in [("/api/v1/steps/", "critical"), ("/api/v1/mergers/", "is_synthetic"),
                       ("/api/v1/calendar-rules/", "is_active")]:
        assert _param(schema, path, "get", name)["schema"] == {"type": "string", "enum": ["0", "1", "false", "true"]}


@pytest.mark.parametrize("resource", ["steps", "milestones", "waves", "dependencies", "comments", "runbooks",
                                      "calendar-rules", "freeze-windows", "harmonisations", "conversions",
                                      "system-instances", "municipalities", "events"])
@pytest.mark.parametrize("value", ["0", "-3", "1.5", "abc", str(2**63)])
def test_id_filters_refuse_what_is_not_an_id_naming_it(world, resource, value):
    response = client_for(world, "viewer").get(f"/api/v1/{resource}/?merger={value}")
    assert response.status_code == 400, (resource, value, response.content)
    assert "merger" in response.json()


@pytest.mark.parametrize("query", ["merger=999999", "runbook=999999", "wave=999999", "phase=999"])
def test_an_unknown_id_selects_nothing(world, query):
    response = client_for(world, "viewer").get(f"/api/v1/steps/?{query}")
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.parametrize(("resource", "query"), [
    ("waves", "runbook=999999"), ("calendar-rules", "merger=999999"), ("dependencies", "predecessor=999999"),
    ("comments", "step=999999"), ("harmonisations", "merger=999999"), ("system-instances", "system=999999"),
])
def test_model_id_filters_answer_like_the_others(world, resource, query):
    """Formerly django-filter's ModelChoiceFilter: an unknown id was a 400 "select a valid choice"."""
    response = client_for(world, "viewer").get(f"/api/v1/{resource}/?{query}")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


def test_own_ids_still_filter(world):
    client = client_for(world, "viewer")
    runbook = world.a.runbook.pk if hasattr(world.a, "runbook") else world.step(world.a, "").runbook_id
    body = client.get(f"/api/v1/steps/?runbook={runbook}&page_size=500").json()
    assert body["count"] > 0 and all(row["runbook"] == runbook for row in body["results"])
    assert client.get(f"/api/v1/steps/?merger={world.b.pk}").json()["count"] == 0  # not yours: nothing


@pytest.mark.parametrize("query", ["phase=0.5", "object_id=1.5", "page=0"])
def test_whole_numbers_only(world, query):
    resource = "events" if query.startswith("object_id") else "checkpoints"
    response = client_for(world, "viewer").get(f"/api/v1/{resource}/?{query}")
    assert response.status_code in (400, 404)


# --- 3. JSON 404 under /api/ -------------------------------------------------------------------------


@override_settings(DEBUG=False)
@pytest.mark.parametrize("path", ["/api/v1/steps/1.5/", "/api/v1/freeze-windows/5.04e-98/",
                                  "/api/v1/mergers/0.5/progress/", "/api/v1/no-such-list/"])
def test_unmatched_api_paths_are_a_json_404(world, path):
    response = client_for(world, "chief").get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in json.loads(response.content)


@override_settings(DEBUG=False)
def test_the_feed_path_answers_404_in_the_feeds_content_type(world):
    response = client_for(world, "chief").get("/api/v1/mergers/null,null/milestones.ics")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/calendar")


@override_settings(DEBUG=False)
def test_pages_outside_the_api_keep_the_html_404(world):
    response = client_for(world, "chief").get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("pk", ["0", "-1", "abc", "99999999"])
def test_non_existing_ids_are_a_json_404(world, pk):
    response = client_for(world, "chief").get(f"/api/v1/steps/{pk}/")
    assert response.status_code == 404 and "detail" in response.json()


# --- 4. empty values of typed filters ----------------------------------------------------------------


@pytest.mark.parametrize(("resource", "parameter"), [
    ("calendar-rules", "blocks"), ("calendar-rules", "kind"), ("calendar-rules", "is_active"),
    ("freeze-windows", "blocks"), ("mergers", "dispensation_status"), ("mergers", "is_synthetic"),
    ("steps", "status"), ("steps", "critical"), ("steps", "merger"), ("steps", "due_after"),
    ("harmonisations", "strategy"), ("dependencies", "type"), ("events", "since"), ("mergers", "page"),
    ("conversions", "page_size"),
])
def test_an_empty_typed_filter_is_400_naming_it(world, resource, parameter):
    response = client_for(world, "viewer").get(f"/api/v1/{resource}/?{parameter}=")
    assert response.status_code == 400, (resource, parameter, response.content)
    assert parameter in response.json()


@pytest.mark.parametrize(("resource", "parameter"), [("mergers", "code"), ("steps", "municipality"),
                                                     ("steps", "search"), ("systems", "vendor")])
def test_an_empty_free_text_filter_means_no_filter(world, resource, parameter):
    client = client_for(world, "viewer")
    assert client.get(f"/api/v1/{resource}/?{parameter}=").json()["count"] == client.get(
        f"/api/v1/{resource}/").json()["count"]


def test_a_nul_in_search_is_400_naming_search(world):
    response = client_for(world, "viewer").get("/api/v1/domains/?search=a%00b")
    assert response.status_code == 400
    assert "search" in response.json()


def test_an_empty_format_is_400_naming_it(world):
    step = world.step(world.a, "")
    response = client_for(world, "viewer").get(f"/api/v1/steps/{step.pk}/?format=")
    assert response.status_code == 400 and "format" in response.json()


# --- what the schema states beyond the four groups (found by the same run) ---------------------------


def test_text_and_date_filters_document_what_they_refuse(schema):
    assert _param(schema, "/api/v1/mergers/", "get", "code")["schema"]["maxLength"] == 4
    assert "pattern" in _param(schema, "/api/v1/mergers/", "get", "code")["schema"]
    assert "pattern" in _param(schema, "/api/v1/steps/", "get", "search")["schema"]
    assert _param(schema, "/api/v1/steps/", "get", "due_after")["schema"]["pattern"].startswith("^(199")
    assert "414" in schema["paths"]["/api/v1/steps/"]["get"]["responses"]


@pytest.mark.parametrize(("field", "value"), [("name", 0), ("is_inferred", 0), ("capacity", "3")])
def test_json_bodies_are_not_coerced(db, field, value):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory, VendorFactory

    VendorFactory(code="fujitsu")
    staff = APIClient()
    staff.force_authenticate(UserFactory(username="staff", is_staff=True))
    if field == "name":
        url, body = "/api/v1/freeze-windows/", {"name": 0, "start": "2006-06-01", "end": "2006-06-30",
                                                "blocks": "work"}
    else:
        url, body = "/api/v1/vendor-capacity-periods/", {
            "vendor": "fujitsu", "start": "2006-06-01", "end": "2006-06-30", "capacity": 1, "note": "",
            "is_inferred": False, field: value}
    response = staff.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    body[field] = {"name": "Sommer", "is_inferred": False, "capacity": 3}[field]
    assert staff.post(url, body, format="json").status_code == 201
