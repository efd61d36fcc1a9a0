"""The demo data set: seeded once, it is the Tønder merger on 15 March 2006; seeded again, nothing changes."""
from __future__ import annotations

import datetime as dt
import graphlib
import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo import reform
from demo.people import DEMO_PASSWORD, DEMO_USERS
from demo.second import BASELINE_NAME, SECOND_MERGER
from demo.seed import seed_demo
from municipalities.models import DispensationStatus, Merger, Municipality, Role
from runbook.drejebog import STEPS, VERSION, template_install
from runbook.models import (
    Blocks,
    CalendarRule,
    CheckpointSignoff,
    Comment,
    Dependency,
    DependencyType,
    Direction,
    FreezeWindow,
    PlanTag,
    RuleKind,
    RunbookTemplate,
    Scope,
    Step,
    StepKind,
    StepStatus,
    TemplateDependency,
    TemplateStep,
)
from systems.models import Conversion, Domain, Harmonisation, LegalBinding, Vendor, VendorCapacityPeriod

pytestmark = pytest.mark.django_db


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
    assert first.version == VERSION == 2
    assert TemplateStep.objects.filter(template=first).count() == len(STEPS) == 38
    assert TemplateDependency.objects.filter(successor__template=first).count() == sum(len(s.after) for s in STEPS)
    kinds = dict(TemplateStep.objects.filter(template=first).values_list("number", "kind"))
    assert kinds[26] == StepKind.CHECKPOINT
    assert kinds[10] == StepKind.TASK  # the committee's decision is recorded, not signed by the vendor
    assert kinds[29] == StepKind.CUTOVER
    assert kinds[32] == kinds[34] == StepKind.MILESTONE
    assert kinds[3] == StepKind.TASK


def test_template_v2_leaves_an_existing_v1_alone():
    old = RunbookTemplate.objects.create(name="Drejebog for kommunal IT-sammenlægning", version=1)
    new = template_install()
    assert new.pk != old.pk and new.version == 2
    assert not old.steps.exists()


def test_template_follows_the_drejebog_rules():
    template = template_install()
    steps = {s.number: s for s in template.steps.all()}
    deps = {
        (d.predecessor.number, d.successor.number): d.area
        for d in TemplateDependency.objects.filter(successor__template=template).select_related(
            "predecessor", "successor"
        )
    }
    # just in time: preparation is planned as late as possible, per area
    for number in (22, 24, 26, 27, 28, 30):
        assert steps[number].direction == Direction.ALAP, number
        assert steps[number].scope == Scope.AREA, number
    assert steps[25].direction == Direction.ALAP and steps[25].scope == Scope.MERGER
    assert steps[31].direction == Direction.ASAP
    assert {n for n, s in steps.items() if s.data_areas_only} == {22, 24, 30}
    assert {n for n, s in steps.items() if s.needs_users} == {26, 28, 30}
    tags = {n: s.plan_tag for n, s in steps.items() if s.plan_tag}
    assert tags == {26: PlanTag.REHEARSAL, 28: PlanTag.TRAINING, 34: PlanTag.FIRST_PAYROLL,
                    35: PlanTag.RECONCILIATION}
    assert steps[19].scope == Scope.CONVERSION
    assert steps[34].name == "Første lønudbetaling i den nye kommune"
    # area-restricted dependencies
    assert deps[22, 25] == "payroll" and deps[21, 25] == ""
    assert deps[25, 26] == "payroll" and deps[24, 26] == "" and deps[20, 26] == ""
    assert deps[17, 29] == "infrastructure" and deps[18, 29] == "telephony" and deps[23, 29] == "esdh"
    assert deps[31, 34] == "payroll" and deps[31, 38] == "finance"
    for pred in (26, 27, 28, 30):
        assert deps[pred, 29] == "", pred
    assert (15, 22) in deps and (27, 30) in deps and (13, 28) in deps and (14, 28) in deps
    assert (33, 36) in deps and (38, 36) in deps and (29, 31) in deps and (31, 32) in deps
    assert steps[38].post_merger and steps[38].duration_days == 40
    # after the legal date: what follows the go-lives (which may be on the legal day itself) and after
    assert {n for n, s in steps.items() if s.post_merger} == {31, 32, 33, 34, 35, 36, 37, 38}
    # inferred per the brief's Basis column (S = sourced, I = inferred)
    assert not steps[10].is_inferred and not steps[26].is_inferred and not steps[29].is_inferred
    assert steps[22].is_inferred and steps[28].is_inferred and steps[34].is_inferred


def test_seed_counts(seeded):
    counts = seeded
    assert counts["municipalities"] == 6 + 5  # Tønder's six and Aabenraa's five
    assert counts["mergers"] == 2
    assert counts["users"] == len(DEMO_USERS) == 10
    assert 150 < Step.objects.filter(runbook__merger__code="550").count() <= 250
    assert counts["conversions"] > 0 and counts["dependencies"] > counts["steps"]
    assert counts["calendar_rules"] == 7 and counts["vendor_capacity_periods"] == 1


def test_seed_facts(seeded):
    merger = Merger.objects.get(code="550")
    assert merger.name == "Tønder Kommune"
    assert merger.legal_date == dt.date(2007, 1, 1)
    assert merger.dispensation_status == DispensationStatus.APPLIED
    assert merger.dispensation_date == dt.date(2006, 7, 1)
    assert merger.members.count() == 6
    loegumkloster = Municipality.objects.get(name="Løgumkloster")
    assert (loegumkloster.code, loegumkloster.code_inferred, loegumkloster.population) == ("521", False, 6846)
    # every code is verified now, and Nørre-Rangstrup is spelt officially
    assert not Municipality.objects.filter(code_inferred=True).exists()
    assert sorted(merger.members.values_list("code", flat=True)) == ["505", "517", "521", "525", "531", "541"]
    assert Municipality.objects.get(code="525").name == "Nørre-Rangstrup"
    assert Municipality.objects.get(name="Bredebro").population_inferred
    assert sum(merger.members.values_list("population", flat=True)) == 42_645
    kmd = Vendor.objects.get(code="kmd")
    assert kmd.weekly_cutover_capacity == 26 and kmd.capacity_inferred
    (summer,) = VendorCapacityPeriod.objects.filter(vendor=kmd)
    assert (summer.start, summer.end, summer.capacity, summer.is_inferred) == (
        dt.date(2006, 6, 19), dt.date(2006, 8, 13), 10, True
    )


def test_seed_calendar(seeded):
    # KMD's national closure is the one dated window, and it blocks user work too (V)
    (closure,) = FreezeWindow.objects.all()
    assert (closure.vendor.code, closure.start, closure.end) == ("kmd", dt.date(2006, 12, 22), dt.date(2007, 1, 1))
    assert closure.blocks == Blocks.WORK and not closure.is_inferred and closure.merger is None
    # the recurring rules, all national and inferred
    rules = CalendarRule.objects.all()
    assert not rules.filter(merger__isnull=False).exists() and not rules.filter(is_inferred=False).exists()
    summer = rules.get(kind=RuleKind.SUMMER_HOLIDAY)
    assert (summer.name, summer.week_from, summer.week_to, summer.blocks, summer.domain) == (
        "Fællesferie", 28, 30, Blocks.WORK, None
    )
    payroll = rules.get(kind=RuleKind.PAYROLL_RUN)
    assert (payroll.name, payroll.domain.code, payroll.days) == ("Lønkørsel", "payroll", 5)
    payouts = rules.filter(kind=RuleKind.PAYOUT_RUN)
    assert set(payouts.values_list("domain__code", flat=True)) == {
        "sickness_benefit", "pensions", "housing_benefit", "social_assistance"
    }
    assert set(payouts.values_list("name", "days")) == {("Udbetaling af ydelser", 3)}
    year_end = rules.get(kind=RuleKind.YEAR_END)
    assert (year_end.domain.code, year_end.month_from, year_end.day_from, year_end.month_to, year_end.day_to) == (
        "finance", 12, 1, 12, 31
    )


def test_seed_removes_the_old_dated_payroll_windows():
    payroll = Domain.objects.create(code="payroll", name="Løn og personale")
    FreezeWindow.objects.create(name="Lønkørsel januar 2006", start=dt.date(2006, 1, 27),
                                end=dt.date(2006, 1, 31), domain=payroll, is_inferred=True)
    FreezeWindow.objects.create(name="Årsafslutning, økonomi", start=dt.date(2006, 12, 1),
                                end=dt.date(2006, 12, 31), is_inferred=True)
    seed_demo()
    assert list(FreezeWindow.objects.values_list("name", flat=True)) == ["KMD's landsdækkende lukkeperiode"]
    assert Domain.objects.get(code="payroll").binding == LegalBinding.LEGAL_DATE


def test_seed_domains_and_bindings(seeded):
    binding = dict(Domain.objects.values_list("code", "binding"))
    assert LegalBinding.MAY_FOLLOW not in binding.values()
    assert not Domain.objects.filter(binding_latest__isnull=False).exists()
    assert {c for c, b in binding.items() if b == LegalBinding.LEGAL_DATE} == {
        "payroll", "finance", "cpr", "property_tax"
    }
    assert {c for c, b in binding.items() if b == LegalBinding.DISPENSATION} == {
        "sickness_benefit", "pensions", "housing_benefit", "social_assistance", "debt_collection", "bbr"
    }
    assert {c for c, b in binding.items() if b == LegalBinding.FREE} == {"esdh", "infrastructure", "telephony"}
    assert set(Domain.objects.filter(holds_data=False).values_list("code", flat=True)) == {
        "infrastructure", "telephony"
    }
    assert list(Domain.objects.filter(central_conversion=True).values_list("code", flat=True)) == ["cpr"]
    assert not Domain.objects.filter(binding_inferred=False).exists()
    assert not Domain.objects.filter(binding_note="").exists()
    assert Domain.objects.get(code="telephony").name == "Telefoni og hjemmesider"
    assert Domain.objects.get(code="pensions").name == "Sociale pensioner"


def test_seed_conversions_include_the_seats_own_code(seeded):
    merger = Merger.objects.get(code="550")
    converted = Conversion.objects.filter(harmonisation__merger=merger)
    payroll = converted.filter(harmonisation__domain__code="payroll")
    assert sorted(payroll.values_list("source_instance__municipality__code", flat=True)) == [
        "505", "517", "521", "525", "531", "541"
    ]
    # the surviving instance (Tønder's) is converted too: its records move from 541 to 550
    h = Harmonisation.objects.get(merger=merger, domain__code="payroll")
    assert payroll.filter(source_instance=h.surviving_instance).exists()
    assert not converted.filter(harmonisation__domain__code__in=["cpr", "infrastructure", "telephony"]).exists()
    for code in ("property_tax", "debt_collection", "bbr"):
        assert converted.filter(harmonisation__domain__code=code).count() == 6, code


def test_seed_users_and_memberships(seeded):
    User = get_user_model()  # noqa: N806
    bent = User.objects.get(username="bent")
    assert bent.check_password(DEMO_PASSWORD)
    assert bent.memberships.get().role == Role.IT_CHIEF
    assert User.objects.get(username="admin").is_superuser
    advisor = User.objects.get(username="kmd-raadgiver").memberships.get(merger__code="550")
    assert (advisor.role, advisor.vendor.code) == (Role.VENDOR_ADVISOR, "kmd")
    coordinator = User.objects.get(username="koord-noerre-rangstrup").memberships.get()
    assert (coordinator.role, coordinator.municipality.name) == (Role.COORDINATOR, "Nørre-Rangstrup")


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
    post = set(steps.filter(post_merger=True).values_list("key", flat=True))
    assert post == {"32", "33", "34", "35", "36", "37", "38"} | {k for k in post if k.startswith("31-")}
    assert {k for k in post if k.startswith("31-")} == {f"31-{c.domain.code}" for c in cutovers}
    assert steps.get(key="1").runbook.template.version == 2
    # the wiring (template, area restrictions, interfaces) leaves no cycle
    graph: dict[int, set[int]] = {}
    for pred, succ in Dependency.objects.filter(runbook__merger=merger).values_list("predecessor", "successor"):
        graph.setdefault(succ, set()).add(pred)
    assert len(list(graphlib.TopologicalSorter(graph).static_order())) > 0


def _direct_predecessors(step):
    return Step.objects.filter(successor_links__successor=step)


def test_seed_every_cutover_has_its_training_and_dress_rehearsal_before_it(seeded):
    cutovers = Step.objects.filter(runbook__merger__code="550", kind=StepKind.CUTOVER).select_related("domain")
    assert cutovers.count() == 13
    for cutover in cutovers:
        before = _direct_predecessors(cutover).filter(domain=cutover.domain)
        assert before.filter(plan_tag=PlanTag.TRAINING).count() == 1, cutover.key
        assert before.filter(plan_tag=PlanTag.REHEARSAL, kind=StepKind.CHECKPOINT).count() == 1, cutover.key


def test_seed_area_specific_steps(seeded):
    steps = Step.objects.filter(runbook__merger__code="550")
    keys = set(steps.values_list("key", flat=True))
    # trial conversion, functional test and emergency procedures only for areas that hold data and are
    # not converted centrally
    for area in ("cpr", "infrastructure", "telephony"):
        assert not {f"22-{area}", f"24-{area}", f"30-{area}"} & keys, area
        assert f"28-{area}" in keys and f"26-{area}" in keys
    for area in ("payroll", "finance", "esdh", "property_tax", "bbr"):
        assert {f"22-{area}", f"24-{area}", f"30-{area}"} <= keys, area
    assert not steps.filter(template_step__number=19, domain__code="cpr").exists()
    cpr = steps.get(key="29-cpr")
    assert cpr.name.startswith("Peg snitfladerne om") and cpr.name_en.startswith("Re-point the interfaces")
    # only the payroll dress rehearsal waits for the parallel payroll run; the run for payroll's trial
    parallel = steps.get(key="25")
    assert set(Step.objects.filter(predecessor_links__predecessor=parallel).values_list("key", flat=True)) == {
        "26-payroll"
    }
    assert set(_direct_predecessors(parallel).values_list("key", flat=True)) == {"21", "22-payroll"}
    assert set(_direct_predecessors(steps.get(key="34")).values_list("key", flat=True)) == {"31-payroll"}
    assert set(_direct_predecessors(steps.get(key="38")).values_list("key", flat=True)) == {"31-finance"}
    assert "17" in _direct_predecessors(steps.get(key="29-infrastructure")).values_list("key", flat=True)
    assert "17" not in _direct_predecessors(steps.get(key="29-payroll")).values_list("key", flat=True)
    # copied from the template
    assert steps.get(key="28-payroll").needs_users and steps.get(key="28-payroll").direction == Direction.ALAP
    assert steps.get(key="34").plan_tag == PlanTag.FIRST_PAYROLL


def test_seed_interfaces_make_cutovers_finish_together_or_later(seeded):
    ff = Dependency.objects.filter(runbook__merger__code="550", type=DependencyType.FINISH_TO_FINISH)
    pairs = set(ff.values_list("predecessor__key", "successor__key"))
    assert pairs == {
        ("29-payroll", "29-finance"),
        ("29-cpr", "29-payroll"),
        ("29-sickness_benefit", "29-finance"),
        ("29-social_assistance", "29-finance"),
    }
    assert set(ff.values_list("lag_days", flat=True)) == {0}


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
    assert blocked.key == "16"
    # the committee's decision is in progress, recorded by meeting and agenda item, with no sign-offs
    decision = steps.get(key="10")
    assert (decision.kind, decision.status) == (StepKind.TASK, StepStatus.IN_PROGRESS)
    assert not CheckpointSignoff.objects.exists()
    assert Comment.objects.filter(
        step=decision, author__username="bent", body__contains="dagsordenens punkt 7 (antaget)"
    ).exists()


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


# --- the second merger and the baselines ------------------------------------------------------------


def test_seed_second_merger_from_the_reform_served_by_the_advisor(seeded):
    aabenraa = Merger.objects.get(code=SECOND_MERGER)
    # the real merger of the reform: its name, code and members as in the map
    (real,) = [n for n in reform.reform_map().mergers if n.code == SECOND_MERGER]
    assert aabenraa.name == real.merger_name == "Aabenraa Kommune"
    assert sorted(aabenraa.members.values_list("code", flat=True)) == sorted(m.code for m in real.members) == [
        "503", "519", "529", "539", "545"
    ]
    assert not set(aabenraa.members.values_list("pk", flat=True)) & set(
        Merger.objects.get(code="550").members.values_list("pk", flat=True))
    # generated as load_reform generates, and marked inferred
    harmonisations = Harmonisation.objects.filter(merger=aabenraa)
    assert harmonisations.exists() and not harmonisations.filter(is_inferred=False).exists()
    steps = Step.objects.filter(runbook__merger=aabenraa)
    assert steps.filter(kind=StepKind.CUTOVER, assignee_vendor__code="kmd").exists()
    assert steps.filter(status=StepStatus.DONE).exists()  # the assumed progress of 15 March 2006
    # the KMD advisor serves both; the other demo users only Tønder
    User = get_user_model()  # noqa: N806
    advisor = User.objects.get(username="kmd-raadgiver")
    assert set(advisor.memberships.values_list("merger__code", "role", "vendor__code")) == {
        ("550", Role.VENDOR_ADVISOR, "kmd"), (SECOND_MERGER, Role.VENDOR_ADVISOR, "kmd")
    }
    assert not User.objects.get(username="bent").memberships.filter(merger=aabenraa).exists()


def test_command_captures_the_starting_baseline_once():
    from runbook.models import Baseline, BaselineEntry

    call_command("seed_demo", stdout=io.StringIO(), skip_checks=True)
    baselines = Baseline.objects.filter(name=BASELINE_NAME)
    assert sorted(baselines.values_list("runbook__merger__code", flat=True)) == ["550", "580"]
    for b in baselines:
        steps = Step.objects.filter(runbook=b.runbook)
        assert BaselineEntry.objects.filter(baseline=b).count() == steps.count()
        # the plan as scheduled: the entries carry the planned dates
        assert BaselineEntry.objects.filter(baseline=b, planned_start__isnull=False).count() == steps.filter(
            planned_start__isnull=False).count() > 0
        assert b.captured_at.date() == dt.date(2006, 3, 15)
    call_command("seed_demo", stdout=io.StringIO(), skip_checks=True)
    assert Baseline.objects.filter(name=BASELINE_NAME).count() == 2
