"""Generic permission tests of an API endpoint, as mixins (after NetBox's ``utilities/testing/api.py``).

An endpoint's test class names its resource, says how to find one of its objects in a merger, and mixes in
what the endpoint offers; every role then gets a test of every method, and every write a test that merger B
(nobody's here) is out of reach::

    class TestDependencies(ListTests, RetrieveTests, CreateTests, DeleteTests):
        resource = "dependencies"

        def object_in(self, world, merger):
            return Dependency.objects.filter(runbook__merger=merger).first().pk

        creates = {"dependency_add": Write(body=..., expect=(401, 403, 403, 403, 201, 403, 400))}
        deletes = {"dependency_remove": Write(target=..., expect=(401, 403, 403, 403, 204, 403, 404))}

The roles (``ROLES``) are those of ``tests.support.worlds.ApiWorld``: anonymous, a viewer, a coordinator of
member 2 of merger A, a KMD advisor, A's IT chief, a read-only token of A's chief, and an outsider. A write
the role may not make, and every write to merger B, changes nothing (``counts``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest

from audit.events import ACCESS_VERBS
from audit.models import Event
from municipalities.models import Merger, Municipality
from runbook.models import CheckpointSignoff, Comment, Dependency, Step
from systems.models import System, SystemInstance
from tests.support.api import client_for, if_match
from tests.support.worlds import ApiWorld

ROLES = ("anonymous", "viewer", "coordinator", "advisor", "chief", "readonly", "outsider")


@dataclass(frozen=True)
class Scene:
    """A merger a test writes to, with two of its members: for merger A the coordinator's own
    municipality and another; for merger B its second and third members."""

    world: ApiWorld
    merger: Merger
    own: Municipality
    other: Municipality
    extra_system: System

    @classmethod
    def of(cls, world: ApiWorld, merger: Merger, extra_system: System) -> Scene:
        if merger.pk == world.a.pk:
            own, other = world.own_municipality, world.other_municipality
        else:
            own, other = merger.members.order_by("code")[1], merger.members.order_by("code")[2]
        return cls(world=world, merger=merger, own=own, other=other, extra_system=extra_system)


@dataclass(frozen=True)
class Write:
    """One write to the endpoint: the object it targets (a pk; none for a create), what it sends, and
    the status each role gets, in ``ROLES`` order."""

    expect: tuple[int, ...]
    target: Callable[[Scene], int] | None = None
    body: Callable[[Scene], dict] | None = None
    #: a command on the object (``/<pk>/<command>/``)
    command: str = ""
    #: an accepted write leaves an audit Event (a queued replan leaves its events to the run)
    records_event: bool = True

    def __post_init__(self):
        if len(self.expect) != len(ROLES):
            raise ValueError(f"one expected status per role ({', '.join(ROLES)}), not {self.expect}")


def counts() -> dict:
    """What a refused write must leave as it was."""
    return {
        # a token's use is recorded (logins) even when the write is refused; that is no change
        "events": Event.objects.exclude(verb__in=ACCESS_VERBS).count(),
        "dependencies": Dependency.objects.count(),
        "comments": Comment.objects.count(),
        "signoffs": CheckpointSignoff.objects.count(),
        "instances": SystemInstance.objects.count(),
        "steps": Step.objects.count(),
        "step_versions": sorted(Step.objects.values_list("version", flat=True)),
        "step_status": sorted(Step.objects.values_list("status", flat=True)),
        "mergers": sorted(Merger.objects.values_list("version", "dispensation_status")),
    }


def over(attribute: str, *, per_role: bool = True):
    """Parametrise a mixin's test over the writes the endpoint declares in ``attribute`` (by name), and per
    role with its expected status unless ``per_role`` is false."""

    def mark(test):
        test.writes_from, test.per_role = attribute, per_role
        return test

    return mark


class EndpointTests:
    """The base of the mixins: where the endpoint lives and how its tests are parametrised."""

    resource: ClassVar[str]

    def object_in(self, world: ApiWorld, merger: Merger) -> int:
        """The pk of one object of the endpoint in ``merger``."""
        raise NotImplementedError

    def url(self, pk: int | None = None, command: str = "") -> str:
        path = f"/api/v1/{self.resource}/"
        if pk is not None:
            path += f"{pk}/"
        return path + (f"{command}/" if command else "")

    def pytest_generate_tests(self, metafunc):
        attribute = getattr(metafunc.function, "writes_from", None)
        if attribute is None:
            return
        writes = getattr(self, attribute, None)
        if not writes:
            raise TypeError(f"{type(self).__name__} mixes in the tests of {attribute} but declares none")
        if not metafunc.function.per_role:
            metafunc.parametrize("name", list(writes))
            return
        cases = [
            (name, role, write.expect[i]) for name, write in writes.items() for i, role in enumerate(ROLES)
        ]
        metafunc.parametrize(("name", "role", "expected"), cases, ids=[f"{n}-{r}" for n, r, _ in cases])

    def send(self, world, extra_system, *, role: str, merger: Merger, method: str, write: Write):
        """``write`` to ``merger`` as ``role``, with the If-Match of the client's own read of the object; the
        response, and ``counts()`` just before it."""
        client = client_for(world, role)
        scene = Scene.of(world, merger, extra_system)
        url = self.url(write.target(scene) if write.target else None, write.command)
        body = write.body(scene) if write.body else None
        headers = if_match(client, url)
        before = counts()
        return getattr(client, method)(url, body, format="json", **headers), before

    def check_write(self, world, extra_system, role: str, expected: int, method: str, write: Write):
        """As ``role``, ``write`` to merger A gets ``expected``; refused, it changes nothing."""
        response, before = self.send(
            world, extra_system, role=role, merger=world.a, method=method, write=write
        )

        assert response.status_code == expected, response.content
        if expected >= 400:
            assert counts() == before
        elif write.records_event:
            assert counts()["events"] > before["events"], "every write leaves an Event"

    def check_other_merger(self, world, extra_system, method: str, write: Write):
        """The chief of A reaches nothing of merger B: 404 (or 400 naming the field for references in a
        body), and nothing changes."""
        response, before = self.send(
            world, extra_system, role="chief", merger=world.b, method=method, write=write
        )

        assert response.status_code in (400, 404), response.content
        if response.status_code == 400:
            assert set(response.json()) & {"predecessor", "successor", "step", "municipality", "runbook"}
        assert counts() == before


# --- reads ------------------------------------------------------------------------------------------------


class ListTests(EndpointTests):
    """The collection: 401 for anonymous, 200 for every signed-in role. Scoped endpoints list merger A's
    object to A's roles but never merger B's, and nothing to the outsider; reference data (``global_data``)
    is everyone's."""

    global_data: ClassVar[bool] = False

    @pytest.mark.parametrize("role", ROLES)
    def test_list(self, world, role):
        own, foreign = self.object_in(world, world.a), self.object_in(world, world.b)
        response = client_for(world, role).get(self.url())
        if role == "anonymous":
            assert response.status_code == 401
            return
        assert response.status_code == 200
        if self.global_data:
            return
        ids = {row["id"] for row in response.json()["results"]}
        if role == "outsider":
            assert ids == set()
        else:
            assert own in ids and foreign not in ids


class RetrieveTests(EndpointTests):
    """An object of merger A and one of merger B: 401/401 for anonymous; 200/200 for reference data
    (``global_data``); 404/404 for the outsider; 200/404 for A's roles."""

    global_data: ClassVar[bool] = False

    @pytest.mark.parametrize("role", ROLES)
    def test_retrieve(self, world, role):
        own, foreign = self.object_in(world, world.a), self.object_in(world, world.b)
        client = client_for(world, role)
        codes = (client.get(self.url(own)).status_code, client.get(self.url(foreign)).status_code)
        if role == "anonymous":
            assert codes == (401, 401)
        elif self.global_data:
            assert codes == (200, 200)
        elif role == "outsider":
            assert codes == (404, 404)
        else:
            assert codes == (200, 404)


class SubresourceTests(EndpointTests):
    """Reads under an object (``subresources``, each relative to the object's URL): 401 for anonymous, 404
    for the outsider and for merger B's object, 200 for A's roles on A's."""

    subresources: ClassVar[tuple[str, ...]]

    @pytest.mark.parametrize("role", ROLES)
    def test_subresources(self, world, role):
        client = client_for(world, role)
        own, foreign = self.object_in(world, world.a), self.object_in(world, world.b)
        codes = [client.get(self.url(own) + sub).status_code for sub in self.subresources]
        foreign_codes = [client.get(self.url(foreign) + sub).status_code for sub in self.subresources]
        expected = {"anonymous": 401, "outsider": 404}.get(role, 200)
        assert codes == [expected] * len(self.subresources)
        assert foreign_codes == [401 if role == "anonymous" else 404] * len(self.subresources)


# --- writes -----------------------------------------------------------------------------------------------


class CreateTests(EndpointTests):
    """POST to the collection, for each write in ``creates``."""

    creates: ClassVar[dict[str, Write]]

    @over("creates")
    def test_create(self, world, extra_system, name, role, expected):
        self.check_write(world, extra_system, role, expected, "post", self.creates[name])

    @over("creates", per_role=False)
    def test_create_in_other_merger(self, world, extra_system, name):
        self.check_other_merger(world, extra_system, "post", self.creates[name])


class UpdateTests(EndpointTests):
    """PATCH an object, for each write in ``updates``."""

    updates: ClassVar[dict[str, Write]]

    @over("updates")
    def test_update(self, world, extra_system, name, role, expected):
        self.check_write(world, extra_system, role, expected, "patch", self.updates[name])

    @over("updates", per_role=False)
    def test_update_in_other_merger(self, world, extra_system, name):
        self.check_other_merger(world, extra_system, "patch", self.updates[name])


class DeleteTests(EndpointTests):
    """DELETE an object, for each write in ``deletes``."""

    deletes: ClassVar[dict[str, Write]]

    @over("deletes")
    def test_delete(self, world, extra_system, name, role, expected):
        self.check_write(world, extra_system, role, expected, "delete", self.deletes[name])

    @over("deletes", per_role=False)
    def test_delete_in_other_merger(self, world, extra_system, name):
        self.check_other_merger(world, extra_system, "delete", self.deletes[name])


class CommandTests(EndpointTests):
    """POST a command on an object (``Write.command``: ``/<pk>/<command>/``), for each write in
    ``commands``."""

    commands: ClassVar[dict[str, Write]]

    @over("commands")
    def test_command(self, world, extra_system, name, role, expected):
        self.check_write(world, extra_system, role, expected, "post", self.commands[name])

    @over("commands", per_role=False)
    def test_command_in_other_merger(self, world, extra_system, name):
        self.check_other_merger(world, extra_system, "post", self.commands[name])
