"""The one choke point for merger scope: ``Model.objects.restrict(user)`` (core/querysets.py).

Each model names its way to the merger once (``merger_path``); the admin, the API and the pages read it
from there. Outsiders see nothing of a merger, a superuser every merger, everyone signed in the national
rows, an anonymous user nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from audit.models import Event
from core.querysets import RestrictedQuerySet
from municipalities.models import Membership, Merger, Municipality, Role
from runbook.models import Comment, FreezeWindow, Step
from runbook.services import comment_add
from systems.models import Conversion, Harmonisation, SystemInstance, Vendor
from systems.services import vendor_capacity_set
from tests.factories import MembershipFactory, MunicipalityFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db

OUR_APPS = ("municipalities", "systems", "runbook", "audit")


@pytest.fixture
def world():
    chief = UserFactory(username="scope-chief")
    merger = merger_with_runbook(municipalities=2, domains=1, chief=chief)
    other = merger_with_runbook(municipalities=2, domains=1)
    viewer = UserFactory(username="scope-viewer")
    MembershipFactory(user=viewer, merger=merger, role=Role.VIEWER)
    outsider = UserFactory(username="scope-outsider")
    root = UserFactory(username="scope-root", is_superuser=True, is_staff=True)
    return merger, other, {"chief": chief, "viewer": viewer, "outsider": outsider, "root": root}


def test_every_model_with_a_merger_path_has_the_restricted_manager(world):
    *_, users = world
    declared = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS and hasattr(m, "merger_path")]
    assert {m.__name__ for m in declared} >= {"Merger", "Step", "Event", "SystemInstance", "FreezeWindow", "Vendor"}
    for model in declared:
        assert isinstance(model.objects.all(), RestrictedQuerySet), model
        list(model.objects.restrict(users["viewer"])[:1])  # the declared path resolves


def test_the_admin_reads_the_path_from_the_model_only():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OUR_APPS:
            assert "merger_path" not in vars(type(model_admin)), type(model_admin).__name__


def test_members_see_their_merger_only(world):
    merger, other, users = world
    for who in ("chief", "viewer"):
        assert list(Merger.objects.restrict(users[who])) == [merger]
        steps = Step.objects.restrict(users[who])
        assert set(steps.values_list("runbook__merger", flat=True)) == {merger.pk}
        assert set(Conversion.objects.restrict(users[who]).values_list("harmonisation__merger", flat=True)) == {
            merger.pk}
    assert not Merger.objects.restrict(users["outsider"]).exists()
    assert not Step.objects.restrict(users["outsider"]).exists()


def test_a_superuser_sees_every_merger_and_an_anonymous_user_nothing(world):
    _merger, _other, users = world
    assert Step.objects.restrict(users["root"]).count() == Step.objects.count()
    assert Merger.objects.restrict(users["root"]).count() == 2
    for model in (Merger, Step, Vendor, Municipality, FreezeWindow):
        assert not model.objects.restrict(AnonymousUser()).exists()


def test_national_rows_are_read_by_everyone_signed_in(world):
    merger, other, users = world
    national = FreezeWindow.objects.create(name="Landsdækkende", start=dt.date(2006, 7, 1), end=dt.date(2006, 7, 7))
    own = FreezeWindow.objects.create(name="Egen", start=dt.date(2006, 8, 1), end=dt.date(2006, 8, 2), merger=merger)
    foreign = FreezeWindow.objects.create(name="Anden", start=dt.date(2006, 8, 1), end=dt.date(2006, 8, 2),
                                          merger=other)
    assert set(FreezeWindow.objects.restrict(users["viewer"])) == {national, own}
    assert set(FreezeWindow.objects.restrict(users["outsider"])) == {national}
    assert set(FreezeWindow.objects.restrict(users["root"])) == {national, own, foreign}
    assert Vendor.objects.restrict(users["outsider"]).count() == Vendor.objects.count()


def test_events_without_a_merger_are_the_superusers_only(world):
    merger, _other, users = world
    step = Step.objects.filter(runbook__merger=merger).first()
    comment_add(step=step, author=users["chief"], body="Hej")
    vendor_capacity_set(vendor=Vendor.objects.first(), capacity=5, actor=None)
    national = Event.objects.get(merger__isnull=True, verb="vendor_capacity_changed")
    assert national not in Event.objects.restrict(users["chief"])
    assert Event.objects.restrict(users["chief"]).filter(merger=merger).exists()
    assert national in Event.objects.restrict(users["root"])
    assert Comment.objects.restrict(users["viewer"]).count() == 1


def test_a_municipality_in_two_mergers_is_listed_once(world):
    merger, other, users = world
    shared = merger.members.first()
    other.members.add(shared)
    MembershipFactory(user=users["viewer"], merger=other, role=Role.VIEWER)
    codes = list(Municipality.objects.restrict(users["viewer"]).values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == Municipality.objects.filter(mergers__in=[merger, other]).distinct().count()
    instances = list(SystemInstance.objects.restrict(users["viewer"]).values_list("pk", flat=True))
    assert len(instances) == len(set(instances))


def test_a_superuser_lists_only_municipalities_that_belong_to_a_merger(world):
    _merger, _other, users = world
    unchanged = MunicipalityFactory(name="Uændret")
    assert unchanged not in Municipality.objects.restrict(users["root"])
    assert Municipality.objects.restrict(users["root"]).count() == Municipality.objects.count() - 1
    client = APIClient()
    client.force_login(users["root"])
    names = [row["name"] for row in client.get("/api/v1/municipalities/?page_size=500").json()["results"]]
    assert "Uændret" not in names and names


def test_restrict_is_one_subquery_on_the_users_memberships(world, django_assert_num_queries):
    _merger, _other, users = world
    sql = str(Harmonisation.objects.restrict(users["chief"]).query)
    assert Membership._meta.db_table in sql and "IN (SELECT" in sql
    with django_assert_num_queries(1):
        list(Step.objects.restrict(users["chief"]))
