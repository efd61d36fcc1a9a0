"""The error pages: Danish by default, the site's look and navigation, a way back; JSON under /api/."""
from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from core import errors
from mergeplan import urls

pytestmark = pytest.mark.django_db


def test_the_handlers_are_the_sites():
    assert urls.handler400 == "core.errors.bad_request"
    assert urls.handler403 == "core.errors.permission_denied"
    assert urls.handler404 == "core.errors.page_not_found"
    assert urls.handler500 == "core.errors.server_error"


def test_404_in_danish_with_the_navigation_and_a_way_back(world):
    # given a signed-in chief, when she follows a dead link
    response = world.client("chief").get("/m/999999/nowhere/")
    # then a Danish page in the site's look, with the main navigation and the way home
    body = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="da">' in body
    assert "Siden findes ikke" in body
    assert f'href="{reverse("review")}"' in body  # the site navigation
    assert f'href="{reverse("home")}"' in body and "Til mine sammenlægninger" in body
    assert "css/mergeplan.css" in body
    assert "Page not found" not in body and "Traceback" not in body


def test_404_for_a_merger_outside_the_users_role_is_the_same_page(world):
    response = world.client("outsider").get(reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk}))
    assert response.status_code == 404 and "Siden findes ikke" in response.content.decode()


def test_404_signed_out_offers_the_login():
    body = Client().get("/no/such/page/").content.decode()
    assert f'href="{reverse("login")}"' in body and "Log ind" in body


def test_404_in_english_after_the_switch(world):
    client = world.client("chief")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get("/no/such/page/").content.decode()
    assert '<html lang="en">' in body and "Page not found" in body


def test_404_under_the_api_stays_json(world):
    response = world.client("chief").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in json.loads(response.content)


def test_403_names_the_refusal_and_leads_back(world):
    # a viewer may see the merger but not change its dispensation
    response = world.client("viewer").get(reverse("merger-dispensation", kwargs={"merger_id": world.merger.pk}))
    body = response.content.decode()
    assert response.status_code == 403
    assert "Ikke tilladt" in body
    assert "Kun IT-chefen" in body  # the service's own reason
    assert f'href="{reverse("home")}"' in body


def test_csrf_failure_explains_what_to_do(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["chief"])
    response = client.post(reverse("logout"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "Formularen er udløbet" in body and "Intet blev gemt" in body


def test_400_for_a_request_the_site_cannot_read():
    response = Client().get("/", HTTP_HOST="evil.example")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Ugyldig forespørgsel" in body and 'href="/"' in body


@pytest.mark.urls("tests.web.error_urls")
def test_500_is_the_sites_page_without_the_failure(world):
    client = world.client("chief")
    client.raise_request_exception = False
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Noget gik galt" in body and 'href="/"' in body
    assert "a failure the page must not show" not in body


@pytest.mark.urls("tests.web.error_urls")
def test_500_under_the_api_is_json(world):
    client = world.client("chief")
    client.raise_request_exception = False
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"


def test_500_renders_without_a_request_context():
    # a request that never passed the middleware: no session, no user
    request = RequestFactory().get("/somewhere/")
    response = errors.server_error(request)
    assert response.status_code == 500 and b"mergeplan" in response.content
