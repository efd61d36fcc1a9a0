"""The policy: what each role may do, and what an outsider sees (nothing)."""
import pytest

from municipalities.models import Merger, Role
from municipalities.permissions import Action, accesses_for, merger_access
from runbook.models import Step
from tests.factories import MembershipFactory, UserFactory, VendorFactory, merger_with_runbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    chief = UserFactory(username="chief")
    merger = merger_with_runbook(chief=chief)
    other_merger = merger_with_runbook()
    conv_step = Step.objects.filter(runbook=merger.runbook, conversion__isnull=False).first()
    own_municipality = conv_step.assignee_municipality
    kmd = conv_step.assignee_vendor
    users = {
        "chief": chief,
        "coordinator": UserFactory(username="coord"),
        "advisor": UserFactory(username="advisor"),
        "other_vendor_advisor": UserFactory(username="other-advisor"),
        "viewer": UserFactory(username="viewer"),
        "outsider": UserFactory(username="outsider"),
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    MembershipFactory(user=users["coordinator"], merger=merger, role=Role.COORDINATOR, municipality=own_municipality)
    MembershipFactory(user=users["advisor"], merger=merger, role=Role.VENDOR_ADVISOR, vendor=kmd)
    MembershipFactory(
        user=users["other_vendor_advisor"], merger=merger, role=Role.VENDOR_ADVISOR, vendor=VendorFactory(code="sd")
    )
    MembershipFactory(user=users["viewer"], merger=merger, role=Role.VIEWER)
    MembershipFactory(user=users["outsider"], merger=other_merger, role=Role.IT_CHIEF)
    other_step = Step.objects.filter(runbook=merger.runbook, conversion__isnull=False).exclude(
        assignee_municipality=own_municipality
    ).first()
    return merger, users, conv_step, other_step


# role → (view, comment, edit plan, edit merger, transition own step, transition other step, sign)
EXPECTED = {
    "chief": (True, True, True, True, True, True, True),
    "coordinator": (True, True, False, False, True, False, False),
    "advisor": (True, True, False, False, True, True, True),
    "other_vendor_advisor": (True, True, False, False, False, False, True),
    "viewer": (True, False, False, False, False, False, False),
    "outsider": (False, False, False, False, False, False, False),
    "superuser": (True, True, True, True, True, True, True),
}


@pytest.mark.parametrize("who", EXPECTED)
def test_policy_matrix(world, who):
    merger, users, own_step, other_step = world
    access = merger_access(users[who], merger)
    got = (
        access.can_view,
        access.allows(Action.COMMENT),
        access.allows(Action.EDIT_PLAN),
        access.allows(Action.EDIT_MERGER),
        access.allows(Action.TRANSITION_STEP, own_step),
        access.allows(Action.TRANSITION_STEP, other_step),
        access.allows(Action.SIGN_CHECKPOINT),
    )
    assert got == EXPECTED[who]


def test_coordinator_edits_only_own_inventory(world):
    merger, users, own_step, _ = world
    access = merger_access(users["coordinator"], merger)
    assert access.allows(Action.EDIT_INVENTORY, own_step.assignee_municipality)
    others = merger.members.exclude(pk=own_step.assignee_municipality_id)
    assert not any(access.allows(Action.EDIT_INVENTORY, m) for m in others)


def test_scope_choke_point(world):
    merger, users, *_ = world
    assert list(Merger.objects.restrict(users["viewer"])) == [merger]
    assert merger not in Merger.objects.restrict(users["outsider"])
    steps = Step.objects.restrict(users["outsider"])
    assert not steps.filter(runbook__merger=merger).exists() and steps.exists()
    assert Step.objects.restrict(users["superuser"]).count() == Step.objects.count()
    assert set(accesses_for(users["chief"])) == {merger.pk}


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    merger, *_ = world
    assert not merger_access(AnonymousUser(), merger).can_view
    assert not Merger.objects.restrict(AnonymousUser()).exists()


def test_merger_access_is_one_query(world, django_assert_num_queries):
    merger, users, *_ = world
    with django_assert_num_queries(1):
        merger_access(users["coordinator"], merger)
