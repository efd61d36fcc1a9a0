"""What people say about the steps: the go/no-go sign-offs of checkpoints and the comments."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet
from municipalities.models import Role
from runbook.models.choices import SignoffDecision
from runbook.models.plan import Step


class CheckpointSignoff(models.Model):
    """A go/no-go sign-off of a checkpoint step. Dual: one by the IT chief, one by the vendor advisor."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="signoffs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    decision = models.CharField(_("decision"), max_length=6, choices=SignoffDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    override_reason = models.TextField(
        _("override reason"), blank=True,
        help_text=_("Why the decision was given before the checkpoint's predecessors were done."),
    )
    signed_at = models.DateTimeField(_("signed"), default=timezone.now)

    merger_path = "step__runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["step", "signed_at"]
        verbose_name = _("checkpoint sign-off")
        verbose_name_plural = _("checkpoint sign-offs")
        constraints = [
            models.UniqueConstraint(fields=["step", "role"], name="signoff_one_per_role"),
            models.CheckConstraint(
                condition=Q(role__in=["it_chief", "vendor_advisor"]), name="signoff_role_chief_or_advisor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} — {self.get_role_display()}: {self.get_decision_display()}"


class Comment(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    merger_path = "step__runbook__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["step", "created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="comment_not_empty")]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"
