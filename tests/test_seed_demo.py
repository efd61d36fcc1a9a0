"""The demo data set: seeded once, it is the Tønder merger on 15 March 2006; seeded again, nothing changes."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from mergeplan.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from municipalities.models import DispensationStatus, Merger, Municipality, Role
from runbook.drejebog import STEPS, template_install
from runbook.models import (
    CheckpointSignoff,
    Comment,
    Dependency,
    FreezeWindow,
    Step,
    StepKind,
    StepStatus,
    TemplateDependency,
    TemplateStep,
)
from systems.models import Conversion, Harmonisation, Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def all_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


@pytest.fixture
def seeded():
    return seed_demo()


def test_template_install_is_idempotent():
    # given / when
    first = template_install()
    second = template_install()
    # then
    assert first.pk == second.pk
    assert TemplateStep.objects.filter(template=first).count() == 37
    assert TemplateDependency.objects.filter(successor__template=first).count() == sum(len(s.after) for s in STEPS)
    kinds = dict(TemplateStep.objects.filter(template=first).values_list("number", "kind"))
    assert kinds[10] == kinds[26] == StepKind.CHECKPOINT
    assert kinds[29] == StepKind.CUTOVER
    assert kinds[32] == kinds[34] == StepKind.MILESTONE
    assert kinds[3] == StepKind.TASK


def test_seed_counts(seeded):
    counts = seeded
    assert counts["municipalities"] == 6
    assert counts["mergers"] == 1
    assert counts["users"] == len(DEMO_USERS) == 10
    assert 40 < counts["steps"] <= 150
    assert counts["conversions"] > 0 and counts["dependencies"] > counts["steps"]


def test_seed_facts(seeded):
    merger = Merger.objects.get(code="550")
    assert merger.name == "Tønder Kommune"
    assert merger.legal_date == dt.date(2007, 1, 1)
    assert merger.dispensation_status == DispensationStatus.APPLIED
    assert merger.dispensation_date == dt.date(2006, 7, 1)
    assert merger.members.count() == 6
    loegumkloster = Municipality.objects.get(name="Løgumkloster")
    assert (loegumkloster.code, loegumkloster.code_inferred, loegumkloster.population) == ("521", False, 6846)
    assert Municipality.objects.get(name="Tønder").code_inferred
    assert Municipality.objects.get(name="Bredebro").population_inferred
    assert sum(Municipality.objects.values_list("population", flat=True)) == 42_645
    assert Vendor.objects.get(code="kmd").weekly_cutover_capacity == 2
    assert FreezeWindow.objects.filter(vendor__code="kmd", start=dt.date(2006, 12, 22),
                                       end=dt.date(2007, 1, 1), is_inferred=False).exists()
    assert FreezeWindow.objects.filter(domain__code="payroll", is_inferred=True).count() == 12


def test_seed_users_and_memberships(seeded):
    User = get_user_model()  # noqa: N806
    bent = User.objects.get(username="bent")
    assert bent.check_password(DEMO_PASSWORD)
    assert bent.memberships.get().role == Role.IT_CHIEF
    assert User.objects.get(username="admin").is_superuser
    advisor = User.objects.get(username="kmd-raadgiver").memberships.get()
    assert (advisor.role, advisor.vendor.code) == (Role.VENDOR_ADVISOR, "kmd")
    coordinator = User.objects.get(username="koord-noerre-rangstrup").memberships.get()
    assert (coordinator.role, coordinator.municipality.name) == (Role.COORDINATOR, "Nørre Rangstrup")


def test_seed_runbook_shape(seeded):
    merger = Merger.objects.get(code="550")
    steps = Step.objects.filter(runbook__merger=merger)
    cutovers = steps.filter(kind=StepKind.CUTOVER)
    harmonisations = Harmonisation.objects.filter(merger=merger)
    # one cutover per harmonised area, each with its domain and vendor, lasting 1–3 days
    assert cutovers.count() == harmonisations.count() >= 8
    assert set(cutovers.values_list("domain", flat=True)) == set(harmonisations.values_list("domain", flat=True))
    assert all(1 <= d <= 3 for d in cutovers.values_list("duration_days", flat=True))
    assert not cutovers.filter(assignee_vendor__isnull=True).exists()
    # the mapping tables are drawn up once per conversion, by the old municipality
    mapping = steps.filter(template_step__number=19)
    assert mapping.count() == Conversion.objects.filter(harmonisation__merger=merger).count()
    assert not mapping.filter(assignee_municipality__isnull=True).exists()
    assert steps.filter(post_merger=True).count() == 5


def test_seed_progress_on_demo_date(seeded):
    steps = Step.objects.filter(runbook__merger__code="550")
    done = steps.filter(status=StepStatus.DONE)
    assert done.count() >= 5
    assert not done.filter(actual_finish__isnull=True).exists()
    assert not done.filter(actual_finish__gt=dt.date(2006, 3, 15)).exists()
    assert steps.get(key="1").actual_start.strftime("%Y-%m") == "2005-11"
    assert steps.filter(status=StepStatus.IN_PROGRESS).count() >= 2
    blocked = steps.get(status=StepStatus.BLOCKED)  # exactly one
    assert Comment.objects.filter(step=blocked).exists()
    # nothing is done before its predecessors
    for dep in Dependency.objects.filter(successor__in=done).select_related("predecessor"):
        assert dep.predecessor.status == StepStatus.DONE
    checkpoint = steps.get(key="10")
    assert checkpoint.kind == StepKind.CHECKPOINT
    assert CheckpointSignoff.objects.filter(step=checkpoint).count() == 1


def test_seed_twice_changes_nothing(seeded):
    # given
    before = all_counts()
    progress = list(Step.objects.order_by("pk").values_list("pk", "status", "actual_start", "actual_finish"))
    # when
    again = seed_demo()
    # then
    assert again == seeded
    assert all_counts() == before
    assert list(Step.objects.order_by("pk").values_list("pk", "status", "actual_start", "actual_finish")) == progress


def test_seed_keeps_later_changes(seeded):
    """Re-seeding does not undo what the users did since (here: a decision and the dispensation)."""
    merger = Merger.objects.get(code="550")
    Merger.objects.filter(pk=merger.pk).update(dispensation_status=DispensationStatus.GRANTED)
    Step.objects.filter(runbook__merger=merger, key="13").update(status=StepStatus.IN_PROGRESS,
                                                                 actual_start=dt.date(2006, 3, 15))
    seed_demo()
    assert Merger.objects.get(pk=merger.pk).dispensation_status == DispensationStatus.GRANTED
    assert Step.objects.get(runbook__merger=merger, key="13").status == StepStatus.IN_PROGRESS


def test_command_twice_gives_same_counts():
    out = io.StringIO()
    call_command("seed_demo", stdout=out, skip_checks=True)
    first = all_counts()
    call_command("seed_demo", stdout=out, skip_checks=True)
    assert all_counts() == first
    assert "municipalities" in out.getvalue() and "steps" in out.getvalue()
