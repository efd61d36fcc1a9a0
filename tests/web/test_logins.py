"""Logins: lockout per account and per address (django-axes), the lockout page, and the audit trail of logins
and API token use (issue 11, item 5)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.db.models import F, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.events import Verb
from audit.models import Event
from municipalities.models import ApiToken
from municipalities.tokens import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKED_DA = "For mange mislykkede loginforsøg"


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    """The defaults, pinned: whatever the environment says, these tests mean 5 failures and 15 minutes."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 50
    settings.LOGIN_TRUSTED_PROXY_COUNT = 0


def _login(client: Client, username: str, password: str, url: str | None = None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def _age_attempts(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def _failures(username: str) -> int:
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0


def test_wrong_passwords_lock_the_account_until_the_cool_off_is_over():
    UserFactory(username="bent")
    client = Client()
    codes = [_login(client, "bent", "wrong").status_code for _ in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]  # the fifth failure locks

    locked = _login(client, "bent", "pw")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    body = locked.content.decode()
    assert LOCKED_DA in body
    assert "Vent 15 minutter, før du prøver igen." in body
    assert 'lang="da"' in body and 'class="card narrow"' in body  # the login card's look
    assert "_auth_user_id" not in client.session

    _age_attempts(16)
    unlocked = _login(client, "bent", "pw")
    assert unlocked.status_code == 302
    assert unlocked["Location"] == reverse("home")


def test_lockout_page_in_english_when_chosen():
    UserFactory(username="bent")
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(5):
        _login(client, "bent", "wrong")
    body = _login(client, "bent", "pw").content.decode()
    assert "Too many failed login attempts" in body
    assert "Wait 15 minutes before you try again." in body


def test_a_locked_account_does_not_lock_colleagues_at_the_same_address():
    UserFactory(username="bent")
    UserFactory(username="kirsten")
    client = Client()
    for _ in range(6):
        _login(client, "bent", "wrong")
    assert _login(client, "kirsten", "pw").status_code == 302


def test_a_locked_account_stays_locked_from_another_address():
    UserFactory(username="bent")
    for _ in range(5):
        _login(Client(REMOTE_ADDR="10.0.0.1"), "bent", "wrong")
    assert _login(Client(REMOTE_ADDR="10.0.0.2"), "bent", "pw").status_code == 429


def test_one_address_trying_many_accounts_is_locked_out(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    UserFactory(username="kirsten")
    spray = Client(REMOTE_ADDR="10.0.0.9")
    codes = [_login(spray, f"user{n}", "sommer2006").status_code for n in range(8)]
    assert codes[:7] == [200] * 7 and codes[7] == 429
    assert _login(spray, "kirsten", "pw").status_code == 429
    assert _login(Client(REMOTE_ADDR="10.0.0.10"), "kirsten", "pw").status_code == 302  # elsewhere: fine


def test_admin_login_is_locked_out_too():
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    url = reverse("admin:login")
    codes = [_login(client, "admin", "wrong", url).status_code for _ in range(5)]
    assert codes[-1] == 429
    locked = _login(client, "admin", "pw", url)
    assert locked.status_code == 429
    assert LOCKED_DA in locked.content.decode()
    assert f'href="{url}"' in locked.content.decode()


def test_success_failure_and_lockout_are_recorded_in_the_audit_trail():
    user = UserFactory(username="bent")
    user_type = ContentType.objects.get_for_model(get_user_model())
    client = Client(REMOTE_ADDR="10.1.2.3")

    assert _login(client, "bent", "pw").status_code == 302
    succeeded = Event.objects.get(verb=Verb.LOGIN_SUCCEEDED)
    assert (succeeded.actor, succeeded.content_type, succeeded.object_id, succeeded.merger) == (
        user, user_type, user.pk, None)
    assert "10.1.2.3" in succeeded.message and "/login/" in succeeded.message

    _login(Client(), "ingen-sådan", "x")
    unknown = Event.objects.get(verb=Verb.LOGIN_FAILED)
    assert (unknown.actor, unknown.content_type, unknown.object_id, unknown.object_repr) == (
        None, user_type, 0, "ingen-sådan")

    for _ in range(7):
        _login(Client(), "bent", "wrong")
    failed = Event.objects.filter(verb=Verb.LOGIN_FAILED, object_id=user.pk)
    assert failed.count() == 7 == _failures("bent")
    assert {e.object_repr for e in failed} == {"bent"}
    locked = Event.objects.get(verb=Verb.LOGIN_LOCKED_OUT)  # once per lockout, not per refused attempt
    assert (locked.object_id, locked.object_repr) == (user.pk, "bent")


def test_administrators_see_login_events_filtered_by_verb():
    UserFactory(username="bent")
    _login(Client(), "bent", "wrong")
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    response = client.get(reverse("admin:audit_event_changelist"), {"verb": Verb.LOGIN_FAILED})
    assert response.status_code == 200
    body = response.content.decode()
    assert Verb.LOGIN_FAILED in body and "bent" in body


def test_api_tokens_are_not_affected_by_the_lockout_and_their_use_is_recorded_once():
    user = UserFactory(username="bent")
    token, raw = api_token_create(user=user, name="Rapportering")
    for _ in range(6):
        _login(Client(), "bent", "wrong")
    assert _login(Client(), "bent", "pw").status_code == 429

    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [api.get("/api/v1/mergers/").status_code for _ in range(3)] == [200] * 3
    used = Event.objects.filter(verb=Verb.TOKEN_USED)
    assert used.count() == 1
    assert (used[0].actor, used[0].object_id, used[0].merger) == (user, token.pk, None)

    # last_used_at is written every 5 minutes at most, the event once an hour at most
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=10))
    api.get("/api/v1/mergers/")
    assert used.count() == 1
    Event.objects.filter(verb=Verb.TOKEN_USED).update(created_at=F("created_at") - dt.timedelta(hours=2))
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=10))
    api.get("/api/v1/mergers/")
    assert used.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers, "
                    "so parallel attempts would test its file lock, not the row locks the count relies on")
@pytest.mark.django_db(transaction=True)
def test_thirty_parallel_wrong_passwords_lock_out_and_every_attempt_is_recorded():
    UserFactory(username="bent")
    attempts = 30
    barrier = threading.Barrier(attempts)
    codes: list[int] = []
    errors: list[BaseException] = []

    def attempt():
        try:
            client = Client()  # its own client, and in this thread its own database connection
            barrier.wait(timeout=30)
            codes.append(_login(client, "bent", "wrong").status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    assert len(codes) == attempts
    assert set(codes) <= {200, 429}
    assert codes.count(200) <= 4  # at most the first four failures are answered with the form
    assert _failures("bent") == attempts
    assert Event.objects.filter(verb=Verb.LOGIN_FAILED, object_repr="bent").count() == attempts
    assert Event.objects.filter(verb=Verb.LOGIN_LOCKED_OUT, object_repr="bent").count() >= 1
    locked = _login(Client(), "bent", "pw")
    assert locked.status_code == 429 and LOCKED_DA in locked.content.decode()
