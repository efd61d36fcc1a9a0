"""Municipalities, the mergers they form, and who works on each merger."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.querysets import RestrictedQuerySet
from core.validation import planning_date_validator


class Municipality(models.Model):
    """A municipality (kommune) as it was before the 2007 reform, or one that stayed unchanged."""

    code = models.CharField(_("code"), max_length=4, unique=True, help_text=_("Danmarks Statistik code"))
    name = models.CharField(_("name"), max_length=100)
    county = models.CharField(_("county"), max_length=100, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)
    code_inferred = models.BooleanField(
        _("code inferred"), default=False, help_text=_("The code is inferred, not verified in a source.")
    )
    population_inferred = models.BooleanField(
        _("population inferred"), default=False, help_text=_("The population is inferred, not verified.")
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    merger_path = "mergers"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="municipality_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_inferred(self) -> bool:
        return self.code_inferred or self.population_inferred


class DispensationStatus(models.TextChoices):
    NONE = "none", pgettext_lazy("dispensation status", "None")
    APPLIED = "applied", _("Applied for")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class Merger(models.Model):
    """A merger of municipalities into a new one on a legal date (e.g. Tønder Kommune, 2007-01-01).

    With a granted dispensation from the Interior Ministry, systems may be cut over from
    ``dispensation_date`` (a rolling merger); without one, every cutover is on the legal date (big bang).
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("new code"), max_length=4, unique=True)
    legal_date = models.DateField(_("legal date"), validators=[planning_date_validator])
    members = models.ManyToManyField(
        Municipality, related_name="mergers", verbose_name=_("member municipalities")
    )
    dispensation_status = models.CharField(
        _("dispensation status"),
        max_length=10,
        choices=DispensationStatus.choices,
        default=DispensationStatus.NONE,
    )
    dispensation_date = models.DateField(
        _("dispensation date"),
        validators=[planning_date_validator],
        null=True,
        blank=True,
        help_text=_("Earliest allowed cutover (requested while applied, granted when granted)."),
    )
    dispensation_reference = models.CharField(_("decision reference"), max_length=200, blank=True)
    is_synthetic = models.BooleanField(
        _("synthetic"), default=False, help_text=_("Generated test data, not a real merger.")
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    merger_path = "pk"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("merger")
        verbose_name_plural = _("mergers")
        constraints = [
            models.CheckConstraint(
                condition=Q(dispensation_date__isnull=True) | Q(dispensation_date__lt=models.F("legal_date")),
                name="merger_dispensation_before_legal_date",
            ),
            models.CheckConstraint(
                condition=~Q(dispensation_status="granted") | Q(dispensation_date__isnull=False),
                name="merger_granted_dispensation_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("merger-dashboard", kwargs={"merger_id": self.pk})

    @property
    def dispensation_granted(self) -> bool:
        return self.dispensation_status == DispensationStatus.GRANTED

    @property
    def gate_date(self):
        """The earliest day a cutover may go live under the current dispensation state."""
        return self.dispensation_date if self.dispensation_granted else self.legal_date


class Role(models.TextChoices):
    IT_CHIEF = "it_chief", _("IT chief")
    COORDINATOR = "coordinator", _("Municipal coordinator")
    VENDOR_ADVISOR = "vendor_advisor", _("Vendor advisor")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A user's role in one merger. A coordinator belongs to a municipality, an advisor to a vendor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    merger = models.ForeignKey(
        Merger, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("merger")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    vendor = models.ForeignKey(
        "systems.Vendor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("vendor"),
    )

    merger_path = "merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["merger", "role", "user"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "merger", "role"], name="membership_unique_role"),
            models.CheckConstraint(
                condition=~Q(role="coordinator") | Q(municipality__isnull=False),
                name="membership_coordinator_has_municipality",
            ),
            models.CheckConstraint(
                condition=~Q(role="vendor_advisor") | Q(vendor__isnull=False),
                name="membership_advisor_has_vendor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.merger}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the raw value is shown once at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(_("read-only"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class FeedToken(models.Model):
    """A read-only secret in a calendar subscription URL (iCal feed). Revocable."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens", verbose_name=_("user")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"
