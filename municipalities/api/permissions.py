"""The API's permission checks on top of the policy (``municipalities.permissions``): a read-only token
never writes, and a viewset asks the policy whether the user may act in a merger.

:class:`ReadOnlyTokenPermission` is named in the REST framework settings, so this module must not import
``rest_framework.views`` (or anything that does): that import reads the settings, which name this module.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions

from municipalities.models import ApiToken, FeedToken
from municipalities.permissions import Action, merger_access


class ReadOnlyTokenPermission(permissions.BasePermission):
    """Read-only API tokens and feed tokens never write, whatever the user may do."""

    message = gettext_lazy("This token is read-only.")

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        auth = getattr(request, "auth", None)
        if isinstance(auth, FeedToken):
            return False
        return not (isinstance(auth, ApiToken) and auth.read_only)


class PolicyMixin:
    """Asks the one policy module (``municipalities.permissions``) whether the user may act.

    Objects outside the user's mergers never reach this (the querysets are restricted: 404); a user who
    may see but not change gets a 403.
    """

    def require(self, action: Action, *, merger_id: int, obj=None) -> None:
        access = merger_access(self.request.user, merger_id)
        if not access.allows(action, obj):
            raise exceptions.PermissionDenied(_("You do not have permission to do this."))
