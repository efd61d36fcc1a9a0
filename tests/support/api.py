"""API clients as the tests use them: one per role, and writes made with the ``If-Match`` a careful client
sends."""
from __future__ import annotations

import re

from rest_framework.test import APIClient

from systems.models import SystemInstance
from tests.support.worlds import ApiWorld


def client_for(world: ApiWorld, role: str) -> APIClient:
    """A client acting as ``role``: ``anonymous``, a session user, or ``readonly`` (a Bearer token)."""
    client = APIClient()
    if role == "anonymous":
        return client
    if role == "readonly":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens['readonly']}")
        return client
    client.force_login(world.users[role])
    return client


def if_match(client: APIClient, url: str) -> dict:
    """The ``If-Match`` of a write to ``url`` (an object or a command on it): the ETag of the object as
    this client reads it. Empty for a collection, or when the client may not read the object (the write is
    then refused before its precondition is looked at)."""
    detail = re.match(r"^(/api/v1/[\w-]+/\d+/)", url)
    if detail is None:
        return {}
    response = client.get(detail.group(1))
    return {"HTTP_IF_MATCH": response.headers["ETag"]} if response.status_code == 200 else {}


def written(client: APIClient, method: str, url: str, body=None, **extra):
    """A write as a careful client makes it: with the ``If-Match`` of its own read of the object."""
    return getattr(client, method)(url, body, format="json", **if_match(client, url), **extra)


def loose_instance(municipality, system) -> SystemInstance:
    """An instance no harmonisation refers to (so it may be deleted)."""
    return SystemInstance.objects.create(municipality=municipality, system=system)
