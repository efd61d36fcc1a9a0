"""Every endpoint and action × every role → the expected status; rejected writes change nothing.

One class per endpoint, its tests from the mixins of ``tests.support.endpoints``: a new endpoint gets its
permission tests by declaring its class here. Roles: anonymous, viewer, coordinator (of member 2 of merger
A), vendor advisor (KMD, member of merger A only), IT chief (of A), a read-only token (of A's chief), and an
outsider (no merger). Objects of merger B are outside everyone's scope here: 404.
"""
from __future__ import annotations

from audit.models import Event
from municipalities.models import Merger
from runbook.models import Comment, Dependency, Step
from runbook.services import comment_add
from systems.models import Conversion, Domain, Harmonisation, System, SystemInstance, Vendor
from tests.support.api import client_for, if_match, loose_instance
from tests.support.endpoints import (
    CommandTests,
    CreateTests,
    DeleteTests,
    ListTests,
    RetrieveTests,
    SubresourceTests,
    UpdateTests,
    Write,
)

# expected statuses, in ROLES order: anonymous, viewer, coordinator, advisor, chief, readonly, outsider

# --- reference data: everyone signed in reads it ----------------------------------------------------------


class TestVendors(ListTests, RetrieveTests):
    resource = "vendors"
    global_data = True

    def object_in(self, world, merger):
        return Vendor.objects.first().pk


class TestDomains(ListTests, RetrieveTests):
    resource = "domains"
    global_data = True

    def object_in(self, world, merger):
        domain = Domain.objects.order_by("pk").first() if merger.pk == world.a.pk else Domain.objects.last()
        return domain.pk


class TestSystems(ListTests, RetrieveTests):
    resource = "systems"
    global_data = True

    def object_in(self, world, merger):
        return System.objects.filter(instances__municipality__mergers=merger).first().pk


# --- a merger's data: its roles only ----------------------------------------------------------------------


class TestMunicipalities(ListTests, RetrieveTests):
    resource = "municipalities"

    def object_in(self, world, merger):
        return merger.members.order_by("code").first().pk


class TestMergers(ListTests, RetrieveTests, SubresourceTests, UpdateTests, CommandTests):
    resource = "mergers"
    subresources = ("schedule/", "progress/", "milestones.ics")

    def object_in(self, world, merger):
        return merger.pk

    updates = {
        "dispensation": Write(
            target=lambda s: s.merger.pk,
            body=lambda s: {"dispensation_status": "granted", "dispensation_date": "2006-07-01"},
            expect=(401, 403, 403, 403, 200, 403, 404),
        ),
    }
    commands = {
        # 202: the replan is queued, and its events come with the run
        "recompute": Write(
            target=lambda s: s.merger.pk, command="recompute", records_event=False,
            expect=(401, 403, 403, 403, 202, 403, 404),
        ),
    }


class TestSystemInstances(ListTests, RetrieveTests, CreateTests, UpdateTests, DeleteTests):
    resource = "system-instances"

    def object_in(self, world, merger):
        return SystemInstance.objects.filter(municipality__mergers=merger).first().pk

    creates = {
        "instance_add_own": Write(
            body=lambda s: {"municipality": s.own.code, "system": s.extra_system.pk},
            expect=(401, 403, 201, 403, 201, 403, 400),
        ),
        "instance_add_other": Write(
            body=lambda s: {"municipality": s.other.code, "system": s.extra_system.pk},
            expect=(401, 403, 403, 403, 201, 403, 400),
        ),
    }
    updates = {
        "instance_patch_own": Write(
            target=lambda s: SystemInstance.objects.filter(municipality=s.own).first().pk,
            body=lambda s: {"notes": "Kører på ny server"},
            expect=(401, 403, 200, 403, 200, 403, 404),
        ),
        "instance_patch_other": Write(
            target=lambda s: SystemInstance.objects.filter(municipality=s.other).first().pk,
            body=lambda s: {"notes": "Kører på ny server"},
            expect=(401, 403, 403, 403, 200, 403, 404),
        ),
    }
    deletes = {
        "instance_delete_own": Write(
            target=lambda s: loose_instance(s.own, s.extra_system).pk,
            expect=(401, 403, 204, 403, 204, 403, 404),
        ),
    }


class TestHarmonisations(ListTests, RetrieveTests):
    resource = "harmonisations"

    def object_in(self, world, merger):
        return Harmonisation.objects.filter(merger=merger).first().pk


class TestConversions(ListTests, RetrieveTests):
    resource = "conversions"

    def object_in(self, world, merger):
        return Conversion.objects.filter(harmonisation__merger=merger).first().pk


class TestRunbooks(ListTests, RetrieveTests):
    resource = "runbooks"

    def object_in(self, world, merger):
        return merger.runbook.pk


class TestSteps(ListTests, RetrieveTests, CreateTests, UpdateTests, DeleteTests, CommandTests):
    resource = "steps"

    def object_in(self, world, merger):
        return Step.objects.filter(runbook__merger=merger).first().pk

    creates = {
        "step_create": Write(
            body=lambda s: {"runbook": s.merger.runbook.pk, "name": "Ny opgave", "phase": 1},
            expect=(401, 403, 403, 403, 201, 403, 400),
        ),
    }
    updates = {
        "step_patch": Write(
            target=lambda s: s.world.step(s.merger, "1").pk,
            body=lambda s: {"description": "Ny beskrivelse"},
            expect=(401, 403, 403, 403, 200, 403, 404),
        ),
    }
    deletes = {
        "step_delete": Write(
            target=lambda s: s.world.step(s.merger, "2-").pk,
            expect=(401, 403, 403, 403, 204, 403, 404),
        ),
    }
    commands = {
        "transition_own": Write(
            target=lambda s: s.world.step(s.merger, "3-", s.own).pk, command="transition",
            body=lambda s: {"status": "in_progress"},
            expect=(401, 403, 200, 200, 200, 403, 404),
        ),
        "transition_other": Write(
            target=lambda s: s.world.step(s.merger, "3-", s.other).pk, command="transition",
            body=lambda s: {"status": "in_progress"},
            expect=(401, 403, 403, 200, 200, 403, 404),
        ),
        "transition_chief_step": Write(
            target=lambda s: s.world.step(s.merger, "1").pk, command="transition",
            body=lambda s: {"status": "in_progress"},
            expect=(401, 403, 403, 403, 200, 403, 404),
        ),
    }


class TestMilestones(ListTests, RetrieveTests):
    resource = "milestones"

    def object_in(self, world, merger):
        return Step.objects.filter(runbook__merger=merger, kind="milestone").first().pk


class TestCheckpoints(ListTests, RetrieveTests, CommandTests):
    resource = "checkpoints"

    def object_in(self, world, merger):
        return world.checkpoint(merger).pk

    commands = {
        "sign": Write(
            target=lambda s: s.world.checkpoint(s.merger).pk, command="sign",
            body=lambda s: {"decision": "go", "override_reason": "before the rehearsal, on purpose"},
            expect=(401, 403, 403, 200, 200, 403, 404),
        ),
    }


class TestDependencies(ListTests, RetrieveTests, CreateTests, DeleteTests):
    resource = "dependencies"

    def object_in(self, world, merger):
        return Dependency.objects.filter(runbook__merger=merger).first().pk

    creates = {
        "dependency_add": Write(
            body=lambda s: {
                "predecessor": s.world.step(s.merger, "1").pk, "successor": s.world.step(s.merger, "6").pk,
            },
            expect=(401, 403, 403, 403, 201, 403, 400),
        ),
    }
    deletes = {
        "dependency_remove": Write(
            target=lambda s: Dependency.objects.filter(runbook__merger=s.merger).order_by("pk").first().pk,
            expect=(401, 403, 403, 403, 204, 403, 404),
        ),
    }


class TestComments(ListTests, RetrieveTests, CreateTests):
    resource = "comments"

    def object_in(self, world, merger):
        """A comment of the merger's chief on its first step (the factory merger has none)."""
        chief = Merger.objects.get(pk=merger.pk).memberships.get(role="it_chief").user
        comment_add(step=Step.objects.filter(runbook__merger=merger).first(), author=chief, body="Hej")
        return Comment.objects.filter(step__runbook__merger=merger).first().pk

    creates = {
        "comment": Write(
            body=lambda s: {"step": s.world.step(s.merger, "1").pk, "body": "Tak for det"},
            expect=(401, 403, 201, 201, 201, 403, 400),
        ),
    }


class TestEvents(ListTests, RetrieveTests):
    resource = "events"

    def object_in(self, world, merger):
        return Event.objects.filter(merger=merger).first().pk


# --- tokens -----------------------------------------------------------------------------------------------


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
