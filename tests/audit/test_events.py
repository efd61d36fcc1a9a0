"""The audit trail's verbs and recorders: every verb renders as a sentence in both languages, and creating
and revoking API and calendar feed tokens is recorded (by the service, the settings pages and the admin)."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from audit.events import ACCESS_VERBS, Verb, api_token_created_event
from audit.models import Event
from municipalities.models import ApiToken, FeedToken
from municipalities.tokens import api_token_create, api_token_revoke, feed_token_create, feed_token_revoke
from runbook.models import Step
from runbook.selectors.history import event_sentences
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _token_events(token, verb):
    return Event.objects.filter(verb=verb, content_type=ContentType.objects.get_for_model(token), object_id=token.pk)


#: A sign-off is rendered from the decision it records; every other verb reads without field changes.
_CHANGES = {Verb.CHECKPOINT_SIGNED: {"signoff_it_chief": [None, "go"]}}


@pytest.mark.parametrize("verb", list(Verb))
def test_every_verb_renders_as_a_sentence_in_danish_and_in_english(verb):
    # given: an event of the verb about a step, by the system
    event = Event(verb=verb, content_type=ContentType.objects.get_for_model(Step), object_id=1,
                  object_repr="Omlæg lønsystemet", merger_id=None, changes=_CHANGES.get(verb, {}))
    # when
    with translation.override("da"):
        danish = event_sentences(event).text
    with translation.override("en"):
        english = event_sentences(event).text
    # then: a sentence, not a raw key, in each language
    assert danish and english and danish != english
    assert "_" not in danish + english  # no raw key such as "status_changed"


def test_the_stored_verbs_are_the_strings_the_pages_and_the_api_know():
    assert Verb.STATUS_CHANGED == "status_changed" and Verb("freezewindow_removed") is Verb.FREEZEWINDOW_REMOVED
    assert all(len(v.value) <= Event._meta.get_field("verb").max_length for v in Verb)
    assert {v.value for v in ACCESS_VERBS} >= {"login_succeeded", "token_used", "api_token_revoked"}


def test_creating_and_revoking_an_api_token_is_recorded_once():
    # given
    owner = UserFactory(username="bent")
    # when
    token, _raw = api_token_create(user=owner, name="Rapportering", read_only=True)
    # then: the owner issued it, no merger
    created = _token_events(token, Verb.API_TOKEN_CREATED).get()
    assert (created.actor, created.merger_id, created.object_repr) == (owner, None, str(token))
    # when: revoked twice
    api_token_revoke(token=token, actor=owner)
    api_token_revoke(token=ApiToken.objects.get(pk=token.pk), actor=owner)
    # then: one event, with the moment it was revoked
    revoked = _token_events(token, Verb.API_TOKEN_REVOKED).get()
    token.refresh_from_db()
    assert revoked.actor == owner
    assert revoked.changes == {"revoked_at": [None, token.revoked_at.isoformat()]}


def test_a_token_issued_by_an_administrator_or_revoked_by_the_system_names_who_did_it():
    owner, root = UserFactory(), UserFactory(is_staff=True, is_superuser=True)
    token, _raw = api_token_create(user=owner, name="Drift", actor=root)
    assert _token_events(token, Verb.API_TOKEN_CREATED).get().actor == root
    api_token_revoke(token=token, actor=None)
    assert _token_events(token, Verb.API_TOKEN_REVOKED).get().actor is None


def test_a_new_calendar_link_records_its_creation_and_the_revocation_of_the_old_one():
    user = UserFactory()
    first, _raw = feed_token_create(user=user)
    second, _raw = feed_token_create(user=user)
    assert _token_events(first, Verb.FEED_TOKEN_CREATED).get().actor == user
    assert _token_events(first, Verb.FEED_TOKEN_REVOKED).get().actor == user
    assert FeedToken.objects.get(pk=first.pk).revoked_at is not None
    feed_token_revoke(token=second, actor=user)
    assert _token_events(second, Verb.FEED_TOKEN_REVOKED).count() == 1


def test_the_settings_pages_record_token_creation_and_revocation(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("settings-tokens"), {"name": "Rapportering", "expires_days": ""})
    assert response.status_code == 201
    token = ApiToken.objects.get(user=user)
    assert _token_events(token, Verb.API_TOKEN_CREATED).get().actor == user
    client.post(reverse("settings-token-revoke", args=[token.pk]))
    assert _token_events(token, Verb.API_TOKEN_REVOKED).get().actor == user


def test_the_admin_records_the_administrator_who_issued_a_token(client):
    root = UserFactory(is_staff=True, is_superuser=True)
    owner = UserFactory()
    client.force_login(root)
    response = client.post(reverse("admin:municipalities_apitoken_add"), {"user": owner.pk, "name": "Drift"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=owner)
    assert _token_events(token, Verb.API_TOKEN_CREATED).get().actor == root


def test_a_token_event_reads_as_a_sentence():
    owner = UserFactory(first_name="Bent", last_name="Johannsen")
    token = ApiToken.objects.create(user=owner, name="Rapportering", prefix="mpa_abcd", key_hash="x" * 64)
    event = Event.objects.select_related("actor").get(pk=api_token_created_event(token=token, actor=owner).pk)
    with translation.override("en"):
        assert event_sentences(event).text == f"Bent Johannsen added {token}."
    assert get_user_model().objects.count() == 1
