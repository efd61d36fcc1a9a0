"""The audit trail's one table: an :class:`Event` per change, written by the recorders of :mod:`audit.events`."""
from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet


class Event(models.Model):
    """The audit trail: who changed what, when, from what to what. Written by services only."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        help_text=_("Empty when the system (a background task) made the change."),
    )
    merger = models.ForeignKey(
        "municipalities.Merger", on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    verb = models.CharField(_("what"), max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(_("object"), max_length=250)
    changes = models.JSONField(_("changes"), default=dict, blank=True, help_text=_("field: [before, after]"))
    message = models.TextField(_("message"), blank=True)

    merger_path = "merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["merger", "-created_at"], name="event_merger_created"),
            models.Index(fields=["content_type", "object_id"], name="event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.object_repr}"
