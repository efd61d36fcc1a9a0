"""Admin of the inventory (vendors, domains, systems, instances, interfaces) and the decisions."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from municipalities.admin import ReadOnlyAdmin, ReadOnlyInline, ScopedAdmin, ScopedRelatedFilter
from municipalities.permissions import Action

from .models import (
    Conversion,
    Domain,
    Harmonisation,
    Interface,
    System,
    SystemInstance,
    Vendor,
    VendorCapacityPeriod,
)
from .services import (
    BINDING_FIELDS,
    CAPACITY_PERIOD_FIELDS,
    domain_binding_check,
    domain_binding_set,
    harmonisation_apply,
    vendor_capacity_period_delete,
    vendor_capacity_period_save,
    vendor_capacity_set,
)


@admin.register(Vendor)
class VendorAdmin(ScopedAdmin):
    list_display = ("name", "code", "weekly_cutover_capacity", "is_inferred", "updated_at")
    list_filter = ("is_inferred",)
    search_fields = ("name", "code")
    readonly_fields = ("updated_at",)

    def save_model(self, request, obj, form, change):
        """A new capacity goes through ``vendor_capacity_set``: recorded, and every merger the vendor
        serves is replanned."""
        if not change or "weekly_cutover_capacity" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        capacity = obj.weekly_cutover_capacity
        obj.weekly_cutover_capacity = Vendor.objects.get(pk=obj.pk).weekly_cutover_capacity
        form.changed_data.remove("weekly_cutover_capacity")
        if form.changed_data:
            super().save_model(request, obj, form, change)
        obj.weekly_cutover_capacity = vendor_capacity_set(
            vendor=obj, capacity=capacity, actor=request.user
        ).weekly_cutover_capacity


class DomainAdminForm(forms.ModelForm):
    """An area with its legal binding; ``binding_latest`` is required for ``may_follow`` and must come
    after the legal date (the error stands at that field)."""

    class Meta:
        model = Domain
        fields = ("code", "name", "name_en", "position", "binding", "binding_latest", "binding_inferred",
                  "binding_note", "holds_data", "central_conversion")

    def clean(self):
        data = super().clean()
        if "binding" in data:
            try:
                domain_binding_check(binding=data["binding"], binding_latest=data.get("binding_latest"))
            except ApplicationError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(Domain)
class DomainAdmin(ScopedAdmin):
    """Areas are shared by every merger: a changed binding goes through ``domain_binding_set`` (recorded,
    and every merger with a cutover in the area is replanned)."""

    form = DomainAdminForm
    list_display = ("name", "name_en", "code", "position", "binding", "binding_latest", "binding_inferred",
                    "holds_data", "central_conversion")
    list_filter = ("binding", "binding_inferred", "holds_data", "central_conversion")
    search_fields = ("name", "name_en", "code")
    ordering = ("position", "code")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "position")}),
        (_("Legal binding"), {"fields": ("binding", "binding_latest", "binding_inferred", "binding_note")}),
        (_("Conversion"), {"fields": ("holds_data", "central_conversion")}),
    )

    def save_model(self, request, obj, form, change):
        changed = [name for name in BINDING_FIELDS if name in form.changed_data]
        if not change or not changed:
            super().save_model(request, obj, form, change)
            return
        data = {name: getattr(obj, name) for name in changed}
        stored = Domain.objects.get(pk=obj.pk)
        for name in changed:
            setattr(obj, name, getattr(stored, name))
            form.changed_data.remove(name)
        if form.changed_data:
            super().save_model(request, obj, form, change)
        domain = domain_binding_set(domain=obj, actor=request.user, data=data)
        for name in BINDING_FIELDS:
            setattr(obj, name, getattr(domain, name))


@admin.register(VendorCapacityPeriod)
class VendorCapacityPeriodAdmin(ScopedAdmin):
    """A vendor's go-lives per week in a period; saved through ``vendor_capacity_period_save`` (recorded,
    the vendor's mergers replanned)."""

    list_display = ("vendor", "start", "end", "capacity", "note", "is_inferred")
    list_filter = ("vendor", "is_inferred")
    list_select_related = ("vendor",)
    search_fields = ("vendor__name", "note")
    date_hierarchy = "start"
    fields = ("vendor", "start", "end", "capacity", "note", "is_inferred")

    def save_model(self, request, obj, form, change):
        data = {name: getattr(obj, name) for name in CAPACITY_PERIOD_FIELDS}
        period = vendor_capacity_period_save(
            period=VendorCapacityPeriod(pk=obj.pk) if change else None, actor=request.user, data=data
        )
        obj.pk = period.pk

    def delete_model(self, request, obj):
        vendor_capacity_period_delete(period=obj, actor=request.user)


@admin.register(System)
class SystemAdmin(ScopedAdmin):
    list_display = ("name", "vendor", "domain", "is_inferred")
    list_filter = ("vendor", "domain", "is_inferred")
    search_fields = ("name", "vendor__name", "domain__name")
    list_select_related = ("vendor", "domain")
    autocomplete_fields = ("vendor", "domain")


@admin.register(SystemInstance)
class SystemInstanceAdmin(ScopedAdmin):
    change_action = Action.EDIT_INVENTORY
    list_display = ("system", "municipality", "domain", "vendor", "hosting", "is_inferred")
    list_filter = ("hosting", "is_inferred", "system__domain", "system__vendor",
                   ("municipality", ScopedRelatedFilter))
    search_fields = ("system__name", "municipality__name", "municipality__code")
    list_select_related = ("system__vendor", "system__domain", "municipality")
    autocomplete_fields = ("municipality", "system")
    readonly_fields = ("updated_at",)

    @admin.display(description=Domain._meta.verbose_name, ordering="system__domain__position")
    def domain(self, obj: SystemInstance) -> Domain:
        return obj.system.domain

    @admin.display(description=Vendor._meta.verbose_name, ordering="system__vendor__name")
    def vendor(self, obj: SystemInstance) -> Vendor:
        return obj.system.vendor


@admin.register(Interface)
class InterfaceAdmin(ScopedAdmin):
    change_action = Action.EDIT_INVENTORY
    list_display = ("source", "target", "description")
    search_fields = ("description", "source__system__name", "target__system__name", "source__municipality__name")
    list_select_related = ("source__system", "source__municipality", "target__system", "target__municipality")
    autocomplete_fields = ("source", "target")

    def allows(self, request, action, obj=None):
        # the coordinator of the source's municipality edits its interfaces
        return super().allows(request, action, obj.source if obj is not None and action != Action.VIEW else obj)

    def merger_ids_of(self, obj):
        if isinstance(obj, SystemInstance):
            return list(obj.municipality.mergers.values_list("pk", flat=True))
        return super().merger_ids_of(obj)


class ConversionInline(ReadOnlyInline):
    model = Conversion
    fields = ("source_instance", "status")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "source_instance__system", "source_instance__municipality", "harmonisation__target_system"
        )


@admin.register(Harmonisation)
class HarmonisationAdmin(ScopedAdmin):
    change_action = Action.EDIT_DECISIONS
    list_display = ("merger", "domain", "target_system", "strategy", "surviving_instance", "decided_on",
                    "conversion_count", "is_inferred")
    list_filter = ("strategy", "is_inferred", ("merger", ScopedRelatedFilter), "domain")
    search_fields = ("merger__name", "domain__name", "target_system__name", "rationale")
    list_select_related = ("merger", "domain", "target_system", "surviving_instance__system",
                           "surviving_instance__municipality")
    autocomplete_fields = ("merger", "target_system", "surviving_instance")
    readonly_fields = ("updated_at",)
    inlines = (ConversionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_conversions=Count("conversions"))

    @admin.display(description=Conversion._meta.verbose_name_plural, ordering="_conversions")
    def conversion_count(self, obj: Harmonisation) -> int:
        return obj._conversions

    def save_model(self, request, obj, form, change):
        """Saving a decision derives its conversions again (``harmonisation_apply``)."""
        super().save_model(request, obj, form, change)
        harmonisation_apply(harmonisation=obj, actor=request.user)


@admin.register(Conversion)
class ConversionAdmin(ReadOnlyAdmin):
    """Conversions are derived from the decisions, never typed by hand."""

    list_display = ("source_instance", "target", "merger", "status")
    list_filter = ("status", "harmonisation__domain", ("harmonisation__merger", ScopedRelatedFilter))
    search_fields = ("source_instance__system__name", "source_instance__municipality__name")
    list_select_related = ("source_instance__system", "source_instance__municipality",
                           "harmonisation__target_system", "harmonisation__merger")

    @admin.display(description=Harmonisation._meta.get_field("target_system").verbose_name)
    def target(self, obj: Conversion) -> System:
        return obj.harmonisation.target_system

    @admin.display(description=Harmonisation._meta.get_field("merger").verbose_name)
    def merger(self, obj: Conversion):
        return obj.harmonisation.merger
