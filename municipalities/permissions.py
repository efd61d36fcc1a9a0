"""The policy: who may do what in a merger. One module, used by the admin, the API and the pages.

| role                  | may                                                                          |
|-----------------------|------------------------------------------------------------------------------|
| IT chief              | everything in the merger's plan: inventory, decisions, steps, waves,         |
|                       | dispensation, members                                                        |
| municipal coordinator | its own municipality's inventory; status of steps assigned to it; comment    |
| vendor advisor        | read the merger; comment; sign checkpoints; status of its vendor's steps     |
| viewer                | read                                                                         |

Someone with no role in a merger does not see it at all (404, not 403). A superuser may do everything.
Read-only API tokens are handled by the API layer on top of this (they never write).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import QuerySet

from .models import Membership, Merger, Role


class Action(StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    EDIT_MERGER = "edit_merger"  # dispensation, members, dates
    EDIT_PLAN = "edit_plan"  # steps, dependencies, waves, baselines, recompute
    EDIT_DECISIONS = "edit_decisions"  # harmonisations and the conversions they imply
    EDIT_INVENTORY = "edit_inventory"  # system instances of a municipality (needs the municipality)
    TRANSITION_STEP = "transition_step"  # change a step's status (needs the step)
    SIGN_CHECKPOINT = "sign_checkpoint"  # go/no-go (needs the step)


@dataclass(frozen=True)
class MergerAccess:
    """What one user holds in one merger; built with one query and then asked many questions."""

    merger_id: int
    roles: frozenset[str] = frozenset()
    municipality_ids: frozenset[int] = frozenset()
    vendor_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    _extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def can_view(self) -> bool:
        return self.is_superuser or bool(self.roles)

    @property
    def is_chief(self) -> bool:
        return self.is_superuser or Role.IT_CHIEF in self.roles

    def signing_role(self) -> str | None:
        """The role in which this user signs a checkpoint (chief first), or None."""
        if self.is_chief:
            return Role.IT_CHIEF
        if Role.VENDOR_ADVISOR in self.roles:
            return Role.VENDOR_ADVISOR
        return None

    def allows(self, action: Action, obj=None) -> bool:
        """May this user do ``action`` (on ``obj``: a Step, a Municipality or a SystemInstance)?"""
        if not self.can_view:
            return False
        if action == Action.VIEW or self.is_chief:
            return True
        if action == Action.COMMENT:
            return bool(self.roles & {Role.COORDINATOR, Role.VENDOR_ADVISOR})
        if action == Action.EDIT_INVENTORY:
            municipality_id = getattr(obj, "municipality_id", getattr(obj, "pk", None))
            return Role.COORDINATOR in self.roles and municipality_id in self.municipality_ids
        if action == Action.TRANSITION_STEP:
            if obj is None:
                return False
            return (
                Role.COORDINATOR in self.roles and obj.assignee_municipality_id in self.municipality_ids
            ) or (Role.VENDOR_ADVISOR in self.roles and obj.assignee_vendor_id in self.vendor_ids)
        if action == Action.SIGN_CHECKPOINT:
            return Role.VENDOR_ADVISOR in self.roles
        return False  # EDIT_MERGER, EDIT_PLAN, EDIT_DECISIONS: the IT chief only


def merger_access(user, merger: Merger | int) -> MergerAccess:
    """The user's access to one merger (one query; none for anonymous users)."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    if not getattr(user, "is_authenticated", False):
        return MergerAccess(merger_id=merger_id)
    if user.is_superuser:
        return MergerAccess(merger_id=merger_id, is_superuser=True, roles=frozenset({Role.IT_CHIEF}))
    rows = list(
        Membership.objects.filter(user=user, merger_id=merger_id).values_list("role", "municipality_id", "vendor_id")
    )
    return MergerAccess(
        merger_id=merger_id,
        roles=frozenset(r for r, _, _ in rows),
        municipality_ids=frozenset(m for _, m, _ in rows if m),
        vendor_ids=frozenset(v for _, _, v in rows if v),
    )


def accesses_for(user) -> dict[int, MergerAccess]:
    """Access to every merger the user belongs to, keyed by merger id (one query)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if user.is_superuser:
        return {
            pk: MergerAccess(merger_id=pk, is_superuser=True, roles=frozenset({Role.IT_CHIEF}))
            for pk in Merger.objects.values_list("pk", flat=True)
        }
    grouped: dict[int, list[tuple[str, int | None, int | None]]] = {}
    for merger_id, role, municipality_id, vendor_id in Membership.objects.filter(user=user).values_list(
        "merger_id", "role", "municipality_id", "vendor_id"
    ):
        grouped.setdefault(merger_id, []).append((role, municipality_id, vendor_id))
    return {
        merger_id: MergerAccess(
            merger_id=merger_id,
            roles=frozenset(r for r, _, _ in rows),
            municipality_ids=frozenset(m for _, m, _ in rows if m),
            vendor_ids=frozenset(v for _, _, v in rows if v),
        )
        for merger_id, rows in grouped.items()
    }


def visible_mergers(user) -> QuerySet[Merger]:
    """The mergers a user may see. Everything else is 404 to them."""
    if not getattr(user, "is_authenticated", False):
        return Merger.objects.none()
    if user.is_superuser:
        return Merger.objects.all()
    return Merger.objects.filter(memberships__user=user).distinct()


def restrict(queryset: QuerySet, user, *, merger_path: str) -> QuerySet:
    """Filter any queryset to the user's mergers. ``merger_path`` is the lookup to the merger id,
    e.g. ``"runbook__merger"`` for steps or ``"id"`` for mergers. The one choke point for scope."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_superuser:
        return queryset
    lookup = f"{merger_path}__in" if merger_path != "id" else "pk__in"
    return queryset.filter(**{lookup: Membership.objects.filter(user=user).values("merger_id")})
