"""Danish by default, English one click away (Django's set_language view, a form in every page)."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_danish_by_default_and_english_after_one_post(world):
    client = world.client("chief")
    url = reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk})
    # given the default language
    before = client.get(url).content.decode()
    assert '<html lang="da">' in before
    assert "15. mar. 2006" in before  # the planning date in the footer, in the pages' Danish date format
    assert 'name="language" value="en"' in before  # the switch is on the page
    # when the user presses "English"
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    # then the page is in English, and offers Danish back
    after = client.get(url).content.decode()
    assert '<html lang="en">' in after
    assert "15 Mar 2006" in after
    assert 'name="language" value="da"' in after


def test_switch_works_on_the_login_page(db):
    from django.test import Client

    client = Client()
    body = client.get(reverse("login")).content.decode()
    assert 'action="/i18n/setlang/"' in body
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert '<html lang="en">' in client.get(reverse("login")).content.decode()


def test_an_english_browser_still_gets_danish_until_the_user_switches(world):
    client = world.client("chief")
    url = reverse("merger-dashboard", kwargs={"merger_id": world.merger.pk})
    assert '<html lang="da">' in client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    assert '<html lang="en">' in client.get(url, HTTP_ACCEPT_LANGUAGE="da").content.decode()
