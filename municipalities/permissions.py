"""The policy: who may do what in a merger. One module, used by the admin, the API and the pages.

| role                  | may                                                                          |
|-----------------------|------------------------------------------------------------------------------|
| IT chief              | everything in the merger's plan: inventory, decisions, steps, waves,         |
|                       | dispensation, members                                                        |
| municipal coordinator | its own municipality's inventory; status of steps assigned to it; comment    |
| vendor advisor        | read the merger; comment; sign checkpoints; status of its vendor's steps     |
| viewer                | read                                                                         |

Someone with no role in a merger does not see it at all (404, not 403): every list, detail, admin page and
selector reads through ``Model.objects.restrict(user)`` (``core.querysets``), and the services that act ask
:func:`merger_access` again. A superuser may do everything. Reference data every merger shares is changed
by staff (:func:`may_edit_national`); a token by its owner or a superuser (:func:`may_manage_token`).
Read-only API tokens are handled by the API layer on top of this (they never write).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def may_edit_national(user) -> bool:
    """May ``user`` change the reference data every merger shares (vendors' capacity, areas' legal binding,
    the national calendar)? Staff and superusers; None is the system (seeding, tasks), which may."""
    if user is None:
        return True
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))


def may_manage_token(user, token) -> bool:
    """May ``user`` issue or revoke ``token`` (an API or feed token)? Its owner and superusers; None is the
    system, which may."""
    if user is None:
        return True
    return user.pk == token.user_id or bool(getattr(user, "is_superuser", False))
