"""Go/no-go checkpoints in words: who still has to say go, and who said what.

The rules (who signs, when a checkpoint passes) live in ``runbook.services.checkpoint_sign``; this module
only reads already loaded sign-offs and turns them into sentences for the pages and the API.
"""
from __future__ import annotations

from django.utils.translation import gettext as _

from municipalities.models import Role
from runbook.models import SignoffDecision

#: A checkpoint needs a 'go' from each of these roles (dual sign-off) to pass.
SIGNOFF_ROLES = (Role.IT_CHIEF, Role.VENDOR_ADVISOR)


def missing_go_roles(signoffs) -> list[str]:
    """The roles among ``SIGNOFF_ROLES`` without a 'go' in ``signoffs`` (already loaded sign-offs)."""
    go = {s.role for s in signoffs if s.decision == SignoffDecision.GO}
    return [r for r in SIGNOFF_ROLES if r not in go]


def missing_go_message(roles) -> str:
    """Who still has to say go, as one sentence ("Missing: the vendor advisor's go."); "" when nobody."""
    roles = set(roles)
    if roles >= {Role.IT_CHIEF, Role.VENDOR_ADVISOR}:
        return _("Missing: the go of the IT chief and of the vendor advisor.")
    if Role.IT_CHIEF in roles:
        return _("Missing: the IT chief's go.")
    if Role.VENDOR_ADVISOR in roles:
        return _("Missing: the vendor advisor's go.")
    return ""


def role_as_subject(role: str) -> str:
    """The signing role as the subject of a sentence ("The vendor advisor")."""
    if role == Role.IT_CHIEF:
        return _("The IT chief")
    if role == Role.VENDOR_ADVISOR:
        return _("The vendor advisor")
    return str(Role(role).label) if role in Role.values else role


def person(user) -> str:
    """A user's name as shown in sentences: the full name, else the user name; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
