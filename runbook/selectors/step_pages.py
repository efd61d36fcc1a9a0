"""Reads behind the runbook's step pages: the step list and its filters, one step of a merger, the rows
around a step on its detail page, and the checkpoint cards of the review page.

Each function runs a fixed number of queries whatever the size of the runbook.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from audit.models import Event
from municipalities.models import Merger
from municipalities.permissions import MergerAccess
from runbook.models import CheckpointSignoff, Comment, Dependency, Phase, Step
from runbook.selectors.my_steps import checkpoints_to_sign, concern_q
from systems.models import Domain


def merger_steps(merger: Merger) -> QuerySet[Step]:
    """The merger's steps with what a step row shows (phase, owner, assignees, domain), unordered."""
    return Step.objects.filter(runbook__merger=merger).select_related(
        "phase", "owner", "assignee_municipality", "assignee_vendor", "domain"
    )


def step_filter_choices(merger: Merger) -> dict:
    """Phases, member municipalities and domains of a merger as filter choices (three queries)."""
    phases = [
        {"id": p.pk, "label": f"{p.number}. {p.display_name()}"}
        for p in Phase.objects.filter(template__runbooks__merger=merger).order_by("number")
    ]
    municipalities = [{"id": pk, "label": name} for pk, name in merger.members.order_by("name").values_list("pk", "name")]
    domains = [
        {"id": d.pk, "label": d.display_name()}
        for d in Domain.objects.filter(harmonisations__merger=merger).order_by("position", "code").distinct()
    ]
    return {"phases": phases, "municipalities": municipalities, "domains": domains}


def steps_filtered(qs: QuerySet[Step], filters: dict, user) -> QuerySet[Step]:
    """``qs`` narrowed by the step list's filters (phase, municipality, domain, status, critical, conversion,
    and "mine" when ``filters["_access"]`` holds the user's access to the merger)."""
    if filters.get("phase"):
        qs = qs.filter(phase_id=filters["phase"])
    if filters.get("municipality"):
        qs = qs.filter(assignee_municipality_id=filters["municipality"])
    if filters.get("domain"):
        qs = qs.filter(domain_id=filters["domain"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("critical"):
        qs = qs.filter(is_critical=True)
    if filters.get("conversion"):
        qs = qs.filter(conversion_id=filters["conversion"])
    if filters.get("mine") and filters.get("_access") is not None:
        access = filters["_access"]
        qs = qs.filter(concern_q(user.pk, {access.merger_id: access}))
    return qs


def runbook_rows(merger: Merger, filters: dict, user) -> list[Step]:
    """The step list of the runbook page: the merger's steps, filtered, by phase and sequence (one query)."""
    return list(steps_filtered(merger_steps(merger), filters, user).order_by("phase__number", "sequence", "pk"))


def merger_step(merger: Merger, step_id: int) -> Step | None:
    """The merger's step ``step_id`` with its runbook, wave and template step, or None (one query)."""
    return merger_steps(merger).select_related("runbook", "wave", "template_step").filter(pk=step_id).first()


@dataclass(frozen=True)
class StepSurroundings:
    """What the step page shows around a step: its links, comments, audit events and sign-offs."""

    preds: list[Dependency]
    succs: list[Dependency]
    comments: list[Comment]
    events: list[Event]
    signoffs: list[CheckpointSignoff]


def step_links(step: Step) -> tuple[list[Dependency], list[Dependency]]:
    """The step's links to its predecessors and to its successors, each by the other step's sequence
    (two queries)."""
    preds = list(
        Dependency.objects.filter(successor=step).select_related("predecessor").order_by("predecessor__sequence")
    )
    succs = list(
        Dependency.objects.filter(predecessor=step).select_related("successor").order_by("successor__sequence")
    )
    return preds, succs


def step_surroundings(step: Step) -> StepSurroundings:
    """A step's predecessors and successors (by sequence), comments (oldest first), its latest 100 audit
    events (newest first) and sign-offs (in the order signed): five queries."""
    preds, succs = step_links(step)
    comments = list(Comment.objects.filter(step=step).select_related("author").order_by("created_at", "pk"))
    events = list(
        Event.objects.filter(content_type__app_label="runbook", content_type__model="step", object_id=step.pk)
        .select_related("actor").order_by("-created_at", "-pk")[:100]
    )
    signoffs = list(CheckpointSignoff.objects.filter(step=step).select_related("user").order_by("signed_at"))
    return StepSurroundings(preds=preds, succs=succs, comments=comments, events=events, signoffs=signoffs)


@dataclass(frozen=True)
class ReviewCheckpoints:
    """The review page's checkpoints: those awaiting the user's sign-off and those they signed go."""

    awaiting: list[Step]
    signed: list[Step]
    awaiting_count: int
    signed_count: int


def review_checkpoints(accesses: dict[int, MergerAccess], *, limit: int) -> ReviewCheckpoints:
    """Checkpoints awaiting the user's sign-off and those already signed go, counted in SQL and the soonest
    ``limit`` of each loaded (with sign-offs and predecessors for the awaiting cards): four queries."""
    to_sign, signed_go = checkpoints_to_sign(accesses)
    counts = to_sign.aggregate(awaiting=Count("pk", filter=~signed_go), signed=Count("pk", filter=signed_go))
    awaiting = list(
        to_sign.exclude(signed_go)
        .select_related("runbook__merger", "phase")
        .prefetch_related(
            "signoffs__user", Prefetch("predecessor_links", queryset=Dependency.objects.select_related("predecessor"))
        )
        .order_by("planned_finish", "runbook__merger__name", "sequence")[:limit]
    )
    signed = list(to_sign.filter(signed_go).select_related("runbook__merger")
                  .order_by("planned_finish", "runbook__merger__name", "sequence")[:limit])
    return ReviewCheckpoints(awaiting=awaiting, signed=signed, awaiting_count=counts["awaiting"],
                             signed_count=counts["signed"])


