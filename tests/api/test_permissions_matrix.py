"""Every endpoint and action × every role → the expected status; rejected writes change nothing.

Roles: anonymous, viewer, coordinator (of member 2 of merger A), vendor advisor (KMD, member of merger A
only), IT chief (of A), a read-only token (of A's chief), and an outsider (no merger). Objects of merger
B are outside everyone's scope here: 404.
"""
from __future__ import annotations

import pytest

from audit.events import ACCESS_VERBS
from audit.models import Event
from municipalities.models import Merger
from runbook.models import CheckpointSignoff, Comment, Dependency, Step
from systems.models import SystemInstance
from tests.api.conftest import client_for, if_match, loose_instance

ROLES = ["anonymous", "viewer", "coordinator", "advisor", "chief", "readonly", "outsider"]

# --- reads -------------------------------------------------------------------------------------------

SCOPED = ["municipalities", "mergers", "system-instances", "harmonisations", "conversions", "runbooks", "steps",
          "milestones", "checkpoints", "dependencies", "comments", "events"]
GLOBAL = ["vendors", "domains", "systems"]


def _object_of(world, resource: str, merger):
    """One object of ``resource`` in ``merger`` (its id)."""
    from runbook.models import Comment as C
    from runbook.services import comment_add
    from systems.models import Conversion, Harmonisation

    match resource:
        case "municipalities":
            return merger.members.order_by("code").first().pk
        case "mergers":
            return merger.pk
        case "system-instances":
            return SystemInstance.objects.filter(municipality__mergers=merger).first().pk
        case "harmonisations":
            return Harmonisation.objects.filter(merger=merger).first().pk
        case "conversions":
            return Conversion.objects.filter(harmonisation__merger=merger).first().pk
        case "runbooks":
            return merger.runbook.pk
        case "steps":
            return Step.objects.filter(runbook__merger=merger).first().pk
        case "milestones":
            return Step.objects.filter(runbook__merger=merger, kind="milestone").first().pk
        case "checkpoints":
            return world.checkpoint(merger).pk
        case "dependencies":
            return Dependency.objects.filter(runbook__merger=merger).first().pk
        case "comments":
            chief = Merger.objects.get(pk=merger.pk).memberships.get(role="it_chief").user
            comment_add(step=Step.objects.filter(runbook__merger=merger).first(), author=chief, body="Hej")
            return C.objects.filter(step__runbook__merger=merger).first().pk
        case "events":
            return Event.objects.filter(merger=merger).first().pk
        case "vendors":
            from systems.models import Vendor

            return Vendor.objects.first().pk
        case "domains":
            from systems.models import Domain

            return Domain.objects.order_by("pk").first().pk if merger is world.a else Domain.objects.last().pk
        case "systems":
            from systems.models import System

            return System.objects.filter(instances__municipality__mergers=merger).first().pk
    raise AssertionError(resource)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", SCOPED + GLOBAL)
def test_read(world, role, resource):
    client = client_for(world, role)
    own = _object_of(world, resource, world.a)
    foreign = _object_of(world, resource, world.b)

    lst = client.get(f"/api/v1/{resource}/")
    detail = client.get(f"/api/v1/{resource}/{own}/")
    other = client.get(f"/api/v1/{resource}/{foreign}/")

    if role == "anonymous":
        assert (lst.status_code, detail.status_code, other.status_code) == (401, 401, 401)
        return
    assert lst.status_code == 200
    ids = {row["id"] for row in lst.json()["results"]}
    if resource in GLOBAL:
        assert (detail.status_code, other.status_code) == (200, 200)
    elif role == "outsider":
        assert ids == set()
        assert (detail.status_code, other.status_code) == (404, 404)
    else:
        assert own in ids and foreign not in ids
        assert (detail.status_code, other.status_code) == (200, 404)


@pytest.mark.parametrize("role", ROLES)
def test_read_merger_subresources(world, role):
    client = client_for(world, role)
    urls = [f"/api/v1/mergers/{world.a.pk}/schedule/", f"/api/v1/mergers/{world.a.pk}/progress/",
            f"/api/v1/mergers/{world.a.pk}/milestones.ics"]
    codes = [client.get(u).status_code for u in urls]
    foreign = [client.get(u.replace(f"/{world.a.pk}/", f"/{world.b.pk}/")).status_code for u in urls]
    expected = {"anonymous": 401, "outsider": 404}.get(role, 200)
    assert codes == [expected] * 3
    assert foreign == [401 if role == "anonymous" else 404] * 3


# --- writes ------------------------------------------------------------------------------------------


def _counts() -> dict:
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


def _write(world, action: str, merger, extra_system):
    """(method, url, body) of one write of ``action`` against ``merger``."""
    own = world.own_municipality if merger is world.a else merger.members.order_by("code")[1]
    other = world.other_municipality if merger is world.a else merger.members.order_by("code")[2]
    match action:
        case "step_patch":
            return "patch", f"/api/v1/steps/{world.step(merger, '1').pk}/", {"description": "Ny beskrivelse"}
        case "transition_own":
            return "post", f"/api/v1/steps/{world.step(merger, '3-', own).pk}/transition/", {"status": "in_progress"}
        case "transition_other":
            return ("post", f"/api/v1/steps/{world.step(merger, '3-', other).pk}/transition/",
                    {"status": "in_progress"})
        case "transition_chief_step":
            return "post", f"/api/v1/steps/{world.step(merger, '1').pk}/transition/", {"status": "in_progress"}
        case "sign":
            return ("post", f"/api/v1/checkpoints/{world.checkpoint(merger).pk}/sign/",
                    {"decision": "go", "override_reason": "before the rehearsal, on purpose"})
        case "dispensation":
            return ("patch", f"/api/v1/mergers/{merger.pk}/",
                    {"dispensation_status": "granted", "dispensation_date": "2006-07-01"})
        case "recompute":
            return "post", f"/api/v1/mergers/{merger.pk}/recompute/", None
        case "dependency_add":
            return ("post", "/api/v1/dependencies/",
                    {"predecessor": world.step(merger, "1").pk, "successor": world.step(merger, "6").pk})
        case "dependency_remove":
            dep = Dependency.objects.filter(runbook__merger=merger).order_by("pk").first()
            return "delete", f"/api/v1/dependencies/{dep.pk}/", None
        case "step_create":
            return "post", "/api/v1/steps/", {"runbook": merger.runbook.pk, "name": "Ny opgave", "phase": 1}
        case "step_delete":
            return "delete", f"/api/v1/steps/{world.step(merger, '2-').pk}/", None
        case "comment":
            return "post", "/api/v1/comments/", {"step": world.step(merger, "1").pk, "body": "Tak for det"}
        case "instance_add_own":
            return "post", "/api/v1/system-instances/", {"municipality": own.code, "system": extra_system.pk}
        case "instance_add_other":
            return "post", "/api/v1/system-instances/", {"municipality": other.code, "system": extra_system.pk}
        case "instance_patch_own":
            inst = SystemInstance.objects.filter(municipality=own).first()
            return "patch", f"/api/v1/system-instances/{inst.pk}/", {"notes": "Kører på ny server"}
        case "instance_patch_other":
            inst = SystemInstance.objects.filter(municipality=other).first()
            return "patch", f"/api/v1/system-instances/{inst.pk}/", {"notes": "Kører på ny server"}
        case "instance_delete_own":
            inst = loose_instance(own, extra_system)
            return "delete", f"/api/v1/system-instances/{inst.pk}/", None
    raise AssertionError(action)


#: action → expected status per role (anonymous, viewer, coordinator, advisor, chief, readonly, outsider)
WRITES = {
    "step_patch":            (401, 403, 403, 403, 200, 403, 404),
    "transition_own":        (401, 403, 200, 200, 200, 403, 404),
    "transition_other":      (401, 403, 403, 200, 200, 403, 404),
    "transition_chief_step": (401, 403, 403, 403, 200, 403, 404),
    "sign":                  (401, 403, 403, 200, 200, 403, 404),
    "dispensation":          (401, 403, 403, 403, 200, 403, 404),
    "recompute":             (401, 403, 403, 403, 202, 403, 404),
    "dependency_add":        (401, 403, 403, 403, 201, 403, 400),
    "dependency_remove":     (401, 403, 403, 403, 204, 403, 404),
    "step_create":           (401, 403, 403, 403, 201, 403, 400),
    "step_delete":           (401, 403, 403, 403, 204, 403, 404),
    "comment":               (401, 403, 201, 201, 201, 403, 400),
    "instance_add_own":      (401, 403, 201, 403, 201, 403, 400),
    "instance_add_other":    (401, 403, 403, 403, 201, 403, 400),
    "instance_patch_own":    (401, 403, 200, 403, 200, 403, 404),
    "instance_patch_other":  (401, 403, 403, 403, 200, 403, 404),
    "instance_delete_own":   (401, 403, 204, 403, 204, 403, 404),
}
CASES = [(action, role, codes[i]) for action, codes in WRITES.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("action", "role", "expected"), CASES, ids=[f"{a}-{r}" for a, r, _ in CASES])
def test_write(world, extra_system, action, role, expected):
    client = client_for(world, role)
    method, url, body = _write(world, action, world.a, extra_system)
    headers = if_match(client, url)
    before = _counts()

    response = getattr(client, method)(url, body, format="json", **headers)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert _counts() == before
    elif action != "recompute":
        assert _counts()["events"] > before["events"], "every write leaves an Event"


@pytest.mark.parametrize("action", list(WRITES))
def test_write_to_other_merger_is_404_and_changes_nothing(world, extra_system, action):
    """The chief of A reaches nothing of merger B: 404 (or 400 naming the field for references in a body)."""
    client = client_for(world, "chief")
    method, url, body = _write(world, action, world.b, extra_system)
    headers = if_match(client, url)
    before = _counts()

    response = getattr(client, method)(url, body, format="json", **headers)

    assert response.status_code in (400, 404), response.content
    if response.status_code == 400:
        assert set(response.json()) & {"predecessor", "successor", "step", "municipality", "runbook"}
    assert _counts() == before


def test_read_only_token_reads(world):
    client = client_for(world, "readonly")
    assert client.get("/api/v1/steps/").status_code == 200
    assert client.get(f"/api/v1/mergers/{world.a.pk}/").status_code == 200


def test_read_write_token_writes(world):
    client = client_for(world, "anonymous")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens['chief_rw']}")
    step = world.step(world.a, "1")
    url = f"/api/v1/steps/{step.pk}/"
    response = client.patch(url, {"description": "Via token"}, format="json", **if_match(client, url))
    assert response.status_code == 200
    assert Event.objects.filter(verb="step_updated", object_id=step.pk, actor=world.users["chief"]).exists()
