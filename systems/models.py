"""The IT inventory (vendors, functional areas, systems, who runs what) and the harmonisation decisions."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.i18n import BilingualNameMixin
from core.querysets import RestrictedQuerySet
from core.validation import planning_date_validator


class Vendor(models.Model):
    """A system vendor, e.g. KMD. Its weekly cutover capacity limits go-lives across all mergers."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    weekly_cutover_capacity = models.PositiveSmallIntegerField(
        _("cutovers per week"),
        null=True,
        blank=True,
        help_text=_("At most this many go-lives per week across every merger; empty means unlimited."),
    )
    capacity_inferred = models.BooleanField(
        _("capacity inferred"), default=True, help_text=_("The weekly capacity is an assumption, not a source.")
    )
    is_inferred = models.BooleanField(_("inferred"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_cutover_capacity__isnull=True) | Q(weekly_cutover_capacity__gte=1),
                name="vendor_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LegalBinding(models.TextChoices):
    """How an area's go-live is bound to the legal date of the merger (see docs/planning-rules.md)."""

    LEGAL_DATE = "legal_date", _("Bound to the legal date")
    DISPENSATION = "dispensation", _("Legal date unless dispensation")
    FREE = "free", _("Free (any date up to the legal date)")
    MAY_FOLLOW = "may_follow", _("May follow after the legal date")


class Domain(BilingualNameMixin, models.Model):
    """A functional area of municipal IT: payroll, finance, ESDH, sickness benefit, infrastructure …

    ``binding`` says how its go-live relates to the legal date; ``holds_data`` and ``central_conversion``
    decide whether its instances get conversions (tables, trial conversion) of their own.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name (Danish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    binding = models.CharField(
        _("legal binding"), max_length=12, choices=LegalBinding.choices, default=LegalBinding.DISPENSATION
    )
    binding_latest = models.DateField(
        _("latest go-live"),
        validators=[planning_date_validator],
        null=True,
        blank=True,
        help_text=_("For areas that may follow: the latest go-live allowed after the legal date."),
    )
    binding_inferred = models.BooleanField(_("binding inferred"), default=True)
    binding_note = models.TextField(_("binding note"), blank=True, help_text=_("What the binding rests on."))
    holds_data = models.BooleanField(
        _("holds data"), default=True, help_text=_("Only areas that hold data get conversion tables.")
    )
    central_conversion = models.BooleanField(
        _("converted centrally"),
        default=False,
        help_text=_("Converted centrally (e.g. CPR); locally only the interfaces are re-pointed."),
    )

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.name


class VendorCapacityPeriod(models.Model):
    """A period in which a vendor manages a different number of go-lives per ISO week (e.g. the summer)."""

    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, related_name="capacity_periods", verbose_name=_("vendor")
    )
    start = models.DateField(_("first day"), validators=[planning_date_validator])
    end = models.DateField(_("last day"), validators=[planning_date_validator])
    capacity = models.PositiveSmallIntegerField(_("cutovers per week"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_inferred = models.BooleanField(_("inferred"), default=True)

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["vendor", "start"]
        verbose_name = _("vendor capacity period")
        verbose_name_plural = _("vendor capacity periods")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="capacity_period_end_not_before_start"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.capacity} ({self.start} – {self.end})"


class System(models.Model):
    """A vendor's product in a domain, e.g. KMD Sag (ESDH)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="systems", verbose_name=_("vendor"))
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="systems", verbose_name=_("domain"))
    name = models.CharField(_("name"), max_length=100)
    is_inferred = models.BooleanField(_("inferred"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    merger_path = None  # national: every signed-in user reads them
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["domain", "vendor", "name"]
        verbose_name = _("system")
        verbose_name_plural = _("systems")
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="system_unique_name_per_vendor")]

    def __str__(self) -> str:
        return self.name


class Hosting(models.TextChoices):
    SHARED = "shared", pgettext_lazy("hosting", "Shared")
    DECENTRAL = "decentral", _("Decentral")
    VENDOR = "vendor", _("Vendor-hosted")


class SystemInstance(models.Model):
    """A municipality runs a system."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="system_instances",
        verbose_name=_("municipality"),
    )
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="instances", verbose_name=_("system"))
    hosting = models.CharField(_("hosting"), max_length=10, choices=Hosting.choices, default=Hosting.DECENTRAL)
    is_inferred = models.BooleanField(_("inferred"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    merger_path = "municipality__mergers"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "system"]
        verbose_name = _("system instance")
        verbose_name_plural = _("system instances")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "system"], name="instance_unique_per_municipality"),
        ]

    def __str__(self) -> str:
        return f"{self.system} @ {self.municipality.name}"


class Interface(models.Model):
    """One system instance feeds another (e.g. payroll → finance)."""

    source = models.ForeignKey(
        SystemInstance, on_delete=models.CASCADE, related_name="outgoing", verbose_name=pgettext_lazy("interface", "source")
    )
    target = models.ForeignKey(
        SystemInstance, on_delete=models.CASCADE, related_name="incoming", verbose_name=pgettext_lazy("interface", "target")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    merger_path = "source__municipality__mergers"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("interface")
        verbose_name_plural = _("interfaces")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="interface_unique_pair"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="interface_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class Strategy(models.TextChoices):
    KEEP = "keep", _("Keep (one existing system survives)")
    CONVERT = "convert", _("Convert (to another existing system)")
    NEW = "new", _("New system")


class Harmonisation(models.Model):
    """The decision for a merger and a domain: which system survives, and how.

    In an area that holds data and is not converted centrally, every instance in the domain becomes a
    Conversion into the target system — the surviving one too, since its records move from the old
    municipality code to the new one; the conversions are derived by ``systems.services.harmonisation_apply``, never typed by hand.
    """

    merger = models.ForeignKey(
        "municipalities.Merger", on_delete=models.CASCADE, related_name="harmonisations", verbose_name=_("merger")
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="harmonisations", verbose_name=_("domain"))
    target_system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="harmonisations", verbose_name=_("target system")
    )
    strategy = models.CharField(_("strategy"), max_length=10, choices=Strategy.choices)
    surviving_instance = models.ForeignKey(
        SystemInstance,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("surviving instance"),
        help_text=_("For 'keep': the instance that continues as the merged municipality's system."),
    )
    rationale = models.TextField(_("rationale"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True, validators=[planning_date_validator])
    is_inferred = models.BooleanField(_("inferred"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    merger_path = "merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["merger", "domain"]
        verbose_name = _("harmonisation")
        verbose_name_plural = _("harmonisations")
        constraints = [
            models.UniqueConstraint(fields=["merger", "domain"], name="harmonisation_one_per_domain"),
            models.CheckConstraint(
                condition=~Q(strategy="keep") | Q(surviving_instance__isnull=False),
                name="harmonisation_keep_names_survivor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merger} / {self.domain}: {self.target_system}"


class ConversionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Conversion(models.Model):
    """A system instance whose data moves into the harmonisation's target system under the new code."""

    harmonisation = models.ForeignKey(
        Harmonisation, on_delete=models.CASCADE, related_name="conversions", verbose_name=_("harmonisation")
    )
    source_instance = models.ForeignKey(
        SystemInstance, on_delete=models.PROTECT, related_name="conversions", verbose_name=_("source instance")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ConversionStatus.choices, default=ConversionStatus.PLANNED
    )

    merger_path = "harmonisation__merger"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["harmonisation", "source_instance"]
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")
        constraints = [
            models.UniqueConstraint(
                fields=["harmonisation", "source_instance"], name="conversion_unique_per_instance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_instance} → {self.harmonisation.target_system}"
