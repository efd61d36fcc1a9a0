"""Creating a merger's runbook from a drejebog template and the merger's harmonisation decisions."""
from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import runbook_instantiated_event
from core.exceptions import ApplicationError, PermissionDeniedError
from municipalities.models import Membership, Merger, Role
from municipalities.permissions import Action, merger_access
from runbook.models import (
    Dependency,
    DependencyType,
    Runbook,
    RunbookTemplate,
    Scope,
    Step,
    StepKind,
    TemplateDependency,
)
from runbook.services.dependencies import dependency_path
from runbook.services.replan import plan_changed
from systems.models import Conversion, Harmonisation, Interface


def _area_key(h: Harmonisation) -> str:
    return h.domain.code


def _conversion_key(c: Conversion) -> str:
    return f"{c.harmonisation.domain.code}-{c.source_instance.municipality.code}"


def _is_data_area(domain) -> bool:
    """An area with conversions of its own: it holds data and is not converted centrally (as CPR is)."""
    return domain.holds_data and not domain.central_conversion


def _area_step_names(ts, h: Harmonisation) -> tuple[str, str, str]:
    """Danish name, English name and description of an area-scoped copy of ``ts``.

    The cutover of a centrally converted area (CPR) is no conversion of its own: locally its interfaces
    are re-pointed to the new municipality code.
    """
    domain = h.domain
    name_en_area = domain.name_en or domain.name
    if ts.kind == StepKind.CUTOVER and domain.central_conversion:
        return (
            f"Peg snitfladerne om: {domain.name}",
            f"Re-point the interfaces: {name_en_area}",
            "Konverteres centralt; lokalt peges snitfladerne om til den nye kommunekode.",
        )
    return f"{ts.name}: {domain.name}", f"{ts.name_en or ts.name}: {name_en_area}", ts.description


def _interface_area_pairs(merger: Merger) -> list[tuple[str, str]]:
    """(source area, target area) of every recorded interface between two of the merger's members'
    instances whose systems lie in different areas, deduplicated, in a stable order."""
    members = list(merger.members.values_list("pk", flat=True))
    rows = (
        Interface.objects.filter(source__municipality__in=members, target__municipality__in=members)
        .values_list("source__system__domain__code", "target__system__domain__code")
        .order_by("pk")
    )
    pairs: list[tuple[str, str]] = []
    for source, target in rows:
        if source != target and (source, target) not in pairs:
            pairs.append((source, target))
    return pairs


@transaction.atomic
def runbook_instantiate(*, merger: Merger, template: RunbookTemplate, actor=None) -> Runbook:
    """Create the merger's runbook from a drejebog template and the harmonisation decisions.

    Template steps scoped "merger" become one step; "area" steps one per harmonisation (domain), or only
    per area that holds data and is not converted centrally when the template step says
    ``data_areas_only``; "conversion" steps one per conversion. Direction, ``needs_users`` and the plan tag
    are copied. Template dependencies (type and lag kept) are wired between the copies: within the same
    area or conversion where both sides have one, fanned out or in where scopes differ; a dependency with
    an ``area`` takes only that area's copies of its area-bound side. Finally every recorded interface
    between two members' instances in different areas A → B makes B's cutover finish no earlier than A's
    (finish-to-finish, lag 0): a system that feeds on another goes live with it or after it.

    The merger's IT chief (or the system: ``actor`` None) creates it.
    """
    if actor is not None and not merger_access(actor, merger).allows(Action.EDIT_PLAN):
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))
    if Runbook.objects.filter(merger=merger).exists():
        raise ApplicationError(_("This merger already has a runbook."), field="merger")

    runbook = Runbook.objects.create(merger=merger, template=template)
    harmonisations = list(
        merger.harmonisations.select_related("domain", "target_system__vendor").order_by("domain__position", "pk")
    )
    conversions = list(
        Conversion.objects.filter(harmonisation__merger=merger)
        .select_related("harmonisation__domain", "harmonisation__target_system__vendor", "source_instance__municipality")
        .order_by("harmonisation__domain__position", "source_instance__municipality__code", "pk")
    )
    chief = (
        Membership.objects.filter(merger=merger, role=Role.IT_CHIEF).order_by("pk").values_list("user_id", flat=True)
    ).first()
    template_steps = list(template.steps.select_related("phase").order_by("number"))
    domain_code = {h.pk: h.domain.code for h in harmonisations}

    new_steps: list[Step] = []
    # (template step id) -> list of (scope, harmonisation id | conversion | None, Step)
    copies: dict[int, list[tuple[str, object, Step]]] = defaultdict(list)
    sequence = 0
    for ts in template_steps:
        base = {
            "runbook": runbook,
            "template_step": ts,
            "phase": ts.phase,
            "kind": ts.kind,
            "duration_days": ts.duration_days,
            "responsible_role": ts.responsible_role,
            "post_merger": ts.post_merger,
            "direction": ts.direction,
            "needs_users": ts.needs_users,
            "plan_tag": ts.plan_tag,
            "owner_id": chief if ts.responsible_role == Role.IT_CHIEF else None,
        }
        if ts.scope == Scope.MERGER:
            sequence += 1
            step = Step(
                key=str(ts.number), sequence=sequence, name=ts.name, name_en=ts.name_en,
                description=ts.description, **base,
            )
            copies[ts.pk].append(("merger", None, step))
            new_steps.append(step)
        elif ts.scope == Scope.AREA:
            for h in harmonisations:
                if ts.data_areas_only and not _is_data_area(h.domain):
                    continue
                sequence += 1
                name, name_en, description = _area_step_names(ts, h)
                step = Step(
                    key=f"{ts.number}-{_area_key(h)}",
                    sequence=sequence,
                    name=name,
                    name_en=name_en,
                    description=description,
                    domain=h.domain,
                    harmonisation=h,
                    assignee_vendor=h.target_system.vendor,
                    **base,
                )
                copies[ts.pk].append(("area", h.pk, step))
                new_steps.append(step)
        else:
            for c in conversions:
                h = c.harmonisation
                if ts.data_areas_only and not _is_data_area(h.domain):
                    continue
                sequence += 1
                label = f"{c.source_instance.municipality.name} → {h.target_system.name}"
                step = Step(
                    key=f"{ts.number}-{_conversion_key(c)}",
                    sequence=sequence,
                    name=f"{ts.name}: {label}",
                    name_en=f"{ts.name_en or ts.name}: {label}",
                    description=ts.description,
                    domain=h.domain,
                    harmonisation=h,
                    conversion=c,
                    assignee_municipality=c.source_instance.municipality,
                    assignee_vendor=h.target_system.vendor,
                    **base,
                )
                copies[ts.pk].append(("conversion", c, step))
                new_steps.append(step)
    Step.objects.bulk_create(new_steps, batch_size=500)

    def area_of(scope: str, ref) -> int | None:
        if scope == "area":
            return ref
        if scope == "conversion":
            return ref.harmonisation_id
        return None

    deps: list[Dependency] = []
    for td in TemplateDependency.objects.filter(successor__template=template).order_by("pk"):
        for p_scope, p_ref, p_step in copies[td.predecessor_id]:
            p_area = area_of(p_scope, p_ref)
            if td.area and p_area is not None and domain_code[p_area] != td.area:
                continue
            for s_scope, s_ref, s_step in copies[td.successor_id]:
                if p_scope == s_scope == "conversion" and p_ref.pk != s_ref.pk:
                    continue
                s_area = area_of(s_scope, s_ref)
                if td.area and s_area is not None and domain_code[s_area] != td.area:
                    continue
                if p_area is not None and s_area is not None and p_area != s_area:
                    continue
                deps.append(
                    Dependency(
                        runbook=runbook, predecessor=p_step, successor=s_step, type=td.type, lag_days=td.lag_days
                    )
                )

    # interfaces: the receiving area's cutover finishes with or after the sending area's
    edges: dict[int, list[int]] = defaultdict(list)
    for d in deps:
        edges[d.predecessor.pk].append(d.successor.pk)
    cutovers = {
        s.domain.code: s for s in new_steps if s.kind == StepKind.CUTOVER and s.domain is not None
    }
    for source, target in _interface_area_pairs(merger):
        pred, succ = cutovers.get(source), cutovers.get(target)
        if pred is None or succ is None or succ.pk in edges[pred.pk] or dependency_path(edges, succ.pk, pred.pk):
            continue  # an area without a cutover, or the reverse feed is wired already (no cycles)
        deps.append(
            Dependency(
                runbook=runbook, predecessor=pred, successor=succ, type=DependencyType.FINISH_TO_FINISH, lag_days=0
            )
        )
        edges[pred.pk].append(succ.pk)
    Dependency.objects.bulk_create(deps, batch_size=1000)
    runbook_instantiated_event(
        runbook=runbook, actor=actor, steps=len(new_steps), dependencies=len(deps), template=template
    )
    plan_changed(merger.pk)
    return runbook
