"""Instantiation, dependencies (cycles), status transitions and their audit events."""
import datetime as dt

import pytest

from audit.models import Event
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from municipalities.models import Role
from runbook.models import (
    CheckpointSignoff,
    Dependency,
    DependencyType,
    Direction,
    PlanTag,
    Scope,
    Step,
    StepKind,
    StepStatus,
)
from runbook.services import (
    checkpoint_sign,
    comment_add,
    dependency_add,
    runbook_instantiate,
    step_transition,
    step_update,
)
from systems.models import Conversion, Domain, Harmonisation, Interface, Strategy
from tests.factories import (
    DomainFactory,
    MembershipFactory,
    MergerFactory,
    MunicipalityFactory,
    SystemFactory,
    SystemInstanceFactory,
    UserFactory,
    VendorFactory,
    merger_with_runbook,
    small_template,
    template_from,
)

pytestmark = pytest.mark.django_db


def steps(merger, **filters):
    return Step.objects.filter(runbook=merger.runbook, **filters)


# --- instantiation --------------------------------------------------------------------------------


def test_instantiate_creates_steps_per_scope(merger):
    # given 3 members × 2 domains: every member's instance is converted, the survivor's too (6)
    assert Conversion.objects.filter(harmonisation__merger=merger).count() == 6
    # then: 3 merger-scope steps, 2 × 2 area steps, 6 conversion steps
    assert steps(merger, template_step__scope="merger").count() == 3
    assert steps(merger, template_step__scope="area").count() == 4
    assert steps(merger, template_step__scope="conversion").count() == 6
    for conversion in Conversion.objects.filter(harmonisation__merger=merger):
        assert steps(merger, conversion=conversion).count() == 1
    cutovers = steps(merger, kind=StepKind.CUTOVER)
    assert cutovers.count() == 2 and all(c.assignee_vendor.code == "kmd" for c in cutovers)
    # the IT chief owns the chief's steps
    assert set(steps(merger, responsible_role=Role.IT_CHIEF).values_list("owner__username", flat=True)) == {"chief"}


def test_instantiate_wires_dependencies_inside_the_runbook(merger):
    deps = Dependency.objects.filter(runbook=merger.runbook).select_related("predecessor", "successor")
    assert deps and all(d.predecessor.runbook_id == d.successor.runbook_id == merger.runbook.pk for d in deps)
    # 1→2: fan out to each area (2); 2→3: each conversion after its own area (6); 3→4: fan in (6);
    # 4→5: fan out (2); 5→6: fan in (2)
    assert deps.count() == 2 + 6 + 6 + 2 + 2
    for conv_step in steps(merger, template_step__scope="conversion"):
        (pred,) = [d.predecessor for d in deps if d.successor_id == conv_step.pk]
        assert pred.harmonisation_id == conv_step.harmonisation_id


# a template with the v2 features: area-restricted dependencies, data-areas-only steps, copied fields
AREA, MERGER, CONV = Scope.AREA, Scope.MERGER, Scope.CONVERSION
RICH_STEPS = [
    (1, "Forbered", StepKind.TASK, 2, MERGER),
    (2, "Konvertér", StepKind.TASK, 2, CONV),
    (3, "Prøvekonvertér", StepKind.TASK, 2, AREA),
    (4, "Kør parallelt", StepKind.TASK, 2, MERGER),
    (5, "Hold generalprøve", StepKind.CHECKPOINT, 2, AREA),
    (6, "Uddan brugerne", StepKind.TASK, 2, AREA),
    (7, "Omlæg systemet", StepKind.CUTOVER, 1, AREA),
    (8, "Første lønudbetaling", StepKind.MILESTONE, 0, MERGER),
]
RICH_DEPS = [
    (1, 2), (2, 3), (1, 3), (3, 4, "pay"), (3, 5), (4, 5, "pay"), (5, 6), (5, 7), (6, 7), (7, 8, "pay"),
    (1, 4, "pay"),  # neither side is area-scoped: the restriction is ignored
]
RICH_FIELDS = {
    3: {"data_areas_only": True, "direction": Direction.ALAP},
    5: {"direction": Direction.ALAP, "needs_users": True, "plan_tag": PlanTag.REHEARSAL},
    6: {"direction": Direction.ALAP, "needs_users": True, "plan_tag": PlanTag.TRAINING},
    8: {"plan_tag": PlanTag.FIRST_PAYROLL},
}


@pytest.fixture
def rich():
    """Two members, areas pay, fin (data), net (no data) and cpr (central); interfaces pay → fin (twice,
    from both members), cpr → pay, fin → pay (a reverse feed: would close a cycle), net → net-less none."""
    a, b = MunicipalityFactory(code="801"), MunicipalityFactory(code="802")
    outsider = MunicipalityFactory(code="803")
    merger = MergerFactory(members=[a, b])
    kmd = VendorFactory(code="kmd", name="KMD")
    areas = {
        "pay": DomainFactory(code="pay", position=1),
        "fin": DomainFactory(code="fin", position=2),
        "net": DomainFactory(code="net", position=3, holds_data=False),
        "cpr": DomainFactory(code="cpr", name="CPR-snitflade", position=4, central_conversion=True),
    }
    from systems.services import harmonisation_apply

    inst = {}
    for code, domain in areas.items():
        system = SystemFactory(vendor=kmd, domain=domain, name=f"KMD {code}")
        for m in (a, b, outsider):
            inst[code, m.code] = SystemInstanceFactory(municipality=m, system=system)
        h = Harmonisation.objects.create(
            merger=merger, domain=domain, target_system=system, strategy=Strategy.KEEP,
            surviving_instance=inst[code, "801"],
        )
        harmonisation_apply(harmonisation=h)
    Interface.objects.create(source=inst["pay", "801"], target=inst["fin", "801"])
    Interface.objects.create(source=inst["pay", "802"], target=inst["fin", "802"])
    Interface.objects.create(source=inst["cpr", "801"], target=inst["pay", "801"])
    Interface.objects.create(source=inst["fin", "802"], target=inst["pay", "802"])
    Interface.objects.create(source=inst["pay", "801"], target=inst["pay", "802"])  # same area: ignored
    Interface.objects.create(source=inst["net", "803"], target=inst["fin", "803"])  # not members: ignored
    template = template_from(RICH_STEPS, RICH_DEPS, name="Rig", fields=RICH_FIELDS)
    runbook_instantiate(merger=merger, template=template)
    merger.refresh_from_db()
    return merger


def links(merger, **filters):
    return set(
        Dependency.objects.filter(runbook=merger.runbook, **filters).values_list(
            "predecessor__key", "successor__key"
        )
    )


def test_instantiate_honours_data_areas_only_and_the_conversions(rich):
    keys = set(steps(rich).values_list("key", flat=True))
    # conversions only for data areas, both members' codes (the survivor's too)
    assert {k for k in keys if k.startswith("2-")} == {"2-pay-801", "2-pay-802", "2-fin-801", "2-fin-802"}
    # the trial conversion is data_areas_only; the other area steps exist for every area
    assert {k for k in keys if k.startswith("3-")} == {"3-pay", "3-fin"}
    assert {k for k in keys if k.startswith("7-")} == {"7-pay", "7-fin", "7-net", "7-cpr"}
    assert not Domain.objects.get(code="net").harmonisations.get().conversions.exists()


def test_instantiate_restricts_dependencies_to_their_area(rich):
    assert links(rich, successor__key="4") == {("3-pay", "4"), ("1", "4")}
    assert links(rich, predecessor__key="4") == {("4", "5-pay")}
    assert links(rich, successor__key="8") == {("7-pay", "8")}
    # unrestricted ones still fan out, within the same area
    assert links(rich, predecessor__key="1", successor__template_step__number=3) == {("1", "3-pay"), ("1", "3-fin")}
    assert links(rich, successor__key="5-fin") == {("3-fin", "5-fin")}
    assert links(rich, successor__key="7-net") == {("5-net", "7-net"), ("6-net", "7-net")}


def test_instantiate_copies_direction_users_and_tags(rich):
    rehearsal = steps(rich, key="5-pay").get()
    assert (rehearsal.direction, rehearsal.needs_users, rehearsal.plan_tag) == (
        Direction.ALAP, True, PlanTag.REHEARSAL
    )
    training = steps(rich, key="6-cpr").get()
    assert (training.direction, training.needs_users, training.plan_tag) == (Direction.ALAP, True, PlanTag.TRAINING)
    assert steps(rich, key="8").get().plan_tag == PlanTag.FIRST_PAYROLL
    cutover = steps(rich, key="7-fin").get()
    assert (cutover.direction, cutover.needs_users, cutover.plan_tag) == (Direction.ASAP, False, "")
    template_types = set(
        Dependency.objects.filter(runbook=rich.runbook).exclude(type=DependencyType.FINISH_TO_FINISH)
        .values_list("type", "lag_days")
    )
    assert template_types == {(DependencyType.FINISH_TO_START, 0)}


def test_instantiate_names_the_central_cutover_as_re_pointing_the_interfaces(rich):
    cpr = steps(rich, key="7-cpr").get()
    assert cpr.name == "Peg snitfladerne om: CPR-snitflade"
    assert cpr.name_en.startswith("Re-point the interfaces")
    assert steps(rich, key="7-pay").get().name == "Omlæg systemet: Pay"


def test_instantiate_adds_finish_to_finish_links_for_interfaces(rich):
    ff = Dependency.objects.filter(runbook=rich.runbook, type=DependencyType.FINISH_TO_FINISH)
    # pay → fin once (deduplicated), cpr → pay; fin → pay would close a cycle with pay → fin: left out;
    # interfaces inside one area and those of non-members add nothing
    assert set(ff.values_list("predecessor__key", "successor__key")) == {("7-pay", "7-fin"), ("7-cpr", "7-pay")}
    assert ff.count() == 2 and set(ff.values_list("lag_days", flat=True)) == {0}


def test_instantiate_twice_is_refused_and_records_an_event(merger):
    assert Event.objects.filter(verb="runbook_instantiated", merger=merger).count() == 1
    with pytest.raises(ApplicationError):
        runbook_instantiate(merger=merger, template=small_template("again"))


# --- dependencies ---------------------------------------------------------------------------------


def test_dependency_add_rejects_a_cycle_and_names_it(merger, chief):
    first = steps(merger, key="1").get()
    golive = steps(merger, key="6").get()
    before = Dependency.objects.count()
    with pytest.raises(ApplicationError) as exc:
        dependency_add(predecessor=golive, successor=first, actor=chief)
    assert exc.value.code == "cycle"
    # the message names the cycle, from the new successor round to itself: 1 → 2-area0 → … → 6 → 1
    assert exc.value.extra["cycle"][0] == exc.value.extra["cycle"][-1] == first.pk
    assert "1 → 2-area0 → 3-area0-" in exc.value.message and exc.value.message.endswith("→ 5-area0 → 6 → 1")
    assert Dependency.objects.count() == before


def test_dependency_add_records_event(merger, chief):
    a, b = steps(merger, key="1").get(), steps(merger, key="4").get()
    dependency_add(predecessor=a, successor=b, lag_days=2, actor=chief)
    assert Event.objects.filter(verb="dependency_added", object_id=b.pk, actor=chief).exists()


def test_dependency_add_rejects_self_and_other_runbook(merger, chief):
    other = merger_with_runbook()
    a = steps(merger, key="1").get()
    with pytest.raises(ApplicationError):
        dependency_add(predecessor=a, successor=a, actor=chief)
    with pytest.raises(ApplicationError) as exc:
        dependency_add(predecessor=a, successor=other.runbook.steps.first(), actor=chief)
    assert exc.value.field == "successor"


# --- transitions ----------------------------------------------------------------------------------


def test_not_done_before_predecessors_unless_overridden(merger, chief):
    step = steps(merger, template_step__number=2).first()
    with pytest.raises(ApplicationError) as exc:
        step_transition(step=step, status=StepStatus.DONE, actor=chief)
    assert exc.value.code == "predecessors_not_done" and exc.value.field == "status"
    step.refresh_from_db()
    assert step.status == StepStatus.NOT_STARTED and not Event.objects.filter(verb="status_changed").exists()

    step = step_transition(step=step, status=StepStatus.DONE, actor=chief, override_reason="Aftalt på styregruppemøde")
    assert step.status == StepStatus.DONE
    assert step.actual_finish == dt.date(2006, 3, 15) and step.override_reason.startswith("Aftalt")
    event = Event.objects.get(verb="status_changed", object_id=step.pk)
    assert event.actor == chief and event.changes["status"] == ["not_started", "done"]
    assert event.message == "Aftalt på styregruppemøde"


def test_transition_in_order_sets_dates_and_versions(merger, chief, settings):
    first = steps(merger, key="1").get()
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 1)
    first = step_transition(step=first, status=StepStatus.IN_PROGRESS, actor=chief)
    assert first.actual_start == dt.date(2006, 3, 1) and first.version == 2
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 8)
    first = step_transition(step=first, status=StepStatus.DONE, actor=chief)
    assert (first.actual_start, first.actual_finish) == (dt.date(2006, 3, 1), dt.date(2006, 3, 8))
    area = steps(merger, template_step__number=2).first()
    assert step_transition(step=area, status=StepStatus.DONE, actor=chief).status == StepStatus.DONE


def test_forbidden_transitions_and_reasons(merger, chief):
    step = steps(merger, key="1").get()
    with pytest.raises(ApplicationError) as exc:
        step_transition(step=step, status=StepStatus.BLOCKED, actor=chief)
    assert exc.value.field == "reason"
    step_transition(step=step, status=StepStatus.SKIPPED, actor=chief)
    with pytest.raises(ApplicationError):
        step_transition(step=step, status=StepStatus.DONE, actor=chief)  # skipped → done is not a transition
    with pytest.raises(ApplicationError):
        step_transition(step=step, status="finished", actor=chief)


def test_stale_version_is_a_conflict_not_an_overwrite(merger, chief):
    step = steps(merger, key="1").get()
    step_transition(step=step, status=StepStatus.IN_PROGRESS, actor=chief, expected_version=1)
    with pytest.raises(ConflictError):
        step_transition(step=step, status=StepStatus.DONE, actor=chief, expected_version=1)
    assert steps(merger, key="1").get().status == StepStatus.IN_PROGRESS


def test_checkpoint_needs_both_go_signoffs(merger, chief):
    advisor = UserFactory(username="advisor")
    MembershipFactory(user=advisor, merger=merger, role=Role.VENDOR_ADVISOR, vendor=steps(merger, kind="cutover")[0].assignee_vendor)
    for s in steps(merger).exclude(kind=StepKind.CHECKPOINT).filter(template_step__number__lt=4):
        Step.objects.filter(pk=s.pk).update(status=StepStatus.DONE, actual_start=dt.date(2006, 1, 2), actual_finish=dt.date(2006, 1, 3))
    checkpoint = steps(merger, kind=StepKind.CHECKPOINT).get()
    with pytest.raises(ApplicationError) as exc:
        step_transition(step=checkpoint, status=StepStatus.DONE, actor=chief)
    assert exc.value.code == "signoff_missing"
    checkpoint_sign(step=checkpoint, actor=chief, decision="go", comment="Klar")
    with pytest.raises(ApplicationError):
        checkpoint_sign(step=checkpoint, actor=advisor, decision="no_go", comment="")
    checkpoint_sign(step=checkpoint, actor=advisor, decision="go", comment="KMD er klar")
    assert CheckpointSignoff.objects.filter(step=checkpoint).count() == 2
    # the second go passes the checkpoint (tests/runbook/test_checkpoints.py)
    assert Step.objects.get(pk=checkpoint.pk).status == StepStatus.DONE
    assert Event.objects.filter(verb="checkpoint_signed", object_id=checkpoint.pk).count() == 2


def test_role_rules_for_transitions(merger, chief):
    conversion_step = steps(merger, template_step__number=3).first()
    own = UserFactory()
    MembershipFactory(user=own, merger=merger, role=Role.COORDINATOR, municipality=conversion_step.assignee_municipality)
    other_municipality = merger.members.exclude(pk=conversion_step.assignee_municipality_id).first()
    other = UserFactory()
    MembershipFactory(user=other, merger=merger, role=Role.COORDINATOR, municipality=other_municipality)
    viewer = UserFactory()
    MembershipFactory(user=viewer, merger=merger, role=Role.VIEWER)
    outsider = UserFactory()
    for user in (other, viewer, outsider):
        with pytest.raises(PermissionDeniedError):
            step_transition(step=conversion_step, status=StepStatus.IN_PROGRESS, actor=user)
    assert step_transition(step=conversion_step, status=StepStatus.IN_PROGRESS, actor=own).status == "in_progress"
    with pytest.raises(PermissionDeniedError):
        checkpoint_sign(step=steps(merger, kind="checkpoint").get(), actor=own, decision="go")
    with pytest.raises(PermissionDeniedError):
        comment_add(step=conversion_step, author=viewer, body="hej")
    assert comment_add(step=conversion_step, author=own, body="Data er klar").body == "Data er klar"


def test_step_update_validates_and_records(merger, chief):
    step = steps(merger, key="1").get()
    with pytest.raises(ApplicationError) as exc:
        step_update(step=step, actor=chief, data={"status": "done"})
    assert exc.value.field == "status"
    milestone = steps(merger, kind="milestone").get()
    with pytest.raises(ApplicationError) as exc:
        step_update(step=milestone, actor=chief, data={"duration_days": 2})
    assert exc.value.field == "duration_days"
    step = step_update(step=step, actor=chief, data={"duration_days": 8})
    assert step.duration_days == 8
    assert Event.objects.get(verb="step_updated").changes == {"duration_days": [5, 8]}
    viewer = UserFactory()
    MembershipFactory(user=viewer, merger=merger, role=Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        step_update(step=step, actor=viewer, data={"duration_days": 9})
