"""The one choke point for merger scope: ``Model.objects.restrict(user)``.

Every model that belongs to a merger says once how to reach it, as a class attribute ``merger_path`` (the
lookup to the merger, e.g. ``"runbook__merger"`` for steps, ``"pk"`` for the merger itself; None for
national rows such as vendors, areas and templates, which every signed-in user reads). A model whose
merger may be empty and whose rows without one are national (freeze windows, calendar rules) also sets
``merger_optional = True``.

``restrict`` keeps the rows of the mergers in which the user holds a membership (a subquery on the user's
``memberships``), those of every merger for a superuser, nothing for an anonymous user. Lists, details, the admin,
exports and pages read through it, so an object outside the user's mergers is a 404 everywhere. Which
*actions* a user may take there is the policy's question (``municipalities.permissions``), not this one's.
"""
from __future__ import annotations

from functools import cache

from django.db import models
from django.db.models import Q


@cache
def _crosses_many(model: type[models.Model], path: str) -> bool:
    """Whether ``path`` passes a to-many relation (a municipality belongs to several mergers), so that a
    join on it could repeat a row."""
    if path == "pk":
        return False
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model
    return False


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what one user may see (see the module docstring)."""

    def restrict(self, user) -> RestrictedQuerySet:
        """The rows of ``user``'s mergers, and national rows for every signed-in user.

        A superuser's mergers are all of them: every row, except that a model reached through several
        mergers (a municipality, its inventory) lists only the rows that belong to a merger at all."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        path = getattr(self.model, "merger_path", None)
        if path is None:
            return self
        many = _crosses_many(self.model, path)
        if user.is_superuser:
            if not many:
                return self
            condition = Q(**{f"{path}__isnull": False})
        else:
            condition = Q(**{f"{path}__in": user.memberships.values("merger_id")})
            if getattr(self.model, "merger_optional", False):
                condition = Q(**{f"{path}__isnull": True}) | condition
        if many:
            # a subquery of keys rather than a join: each row once, whatever the ordering
            return self.filter(pk__in=self.model._base_manager.filter(condition).values("pk"))
        return self.filter(condition)
