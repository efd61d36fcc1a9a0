"""Serializers of the inventory and the decisions: output and input kept apart."""
from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from core.validation import planning_date_validator
from municipalities.models import Municipality
from systems.models import (
    Conversion,
    Domain,
    Harmonisation,
    Hosting,
    LegalBinding,
    System,
    SystemInstance,
    Vendor,
    VendorCapacityPeriod,
)


class VendorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "code", "name", "weekly_cutover_capacity", "is_inferred", "updated_at"]
        read_only_fields = fields


class DomainSerializer(serializers.ModelSerializer):
    """An area with its legal binding: how its go-lives relate to the legal date (``binding_latest`` for
    ``may_follow``), whether that is inferred, and whether it holds data or is converted centrally."""

    class Meta:
        model = Domain
        fields = ["id", "code", "name", "name_en", "position", "binding", "binding_latest", "binding_inferred",
                  "binding_note", "holds_data", "central_conversion"]
        read_only_fields = fields


class DomainBindingInput(StrictSerializer):
    """PATCH of an area's legal binding (staff)."""

    binding = serializers.ChoiceField(choices=LegalBinding.choices, required=False)
    binding_latest = serializers.DateField(required=False, allow_null=True, validators=[planning_date_validator])
    binding_inferred = serializers.BooleanField(required=False)
    binding_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    holds_data = serializers.BooleanField(required=False)
    central_conversion = serializers.BooleanField(required=False)


class VendorCapacityPeriodSerializer(serializers.ModelSerializer):
    vendor = serializers.CharField(source="vendor.code", read_only=True)

    class Meta:
        model = VendorCapacityPeriod
        fields = ["id", "vendor", "start", "end", "capacity", "note", "is_inferred"]
        read_only_fields = fields


class VendorCapacityPeriodInput(StrictSerializer):
    """A vendor (code) manages ``capacity`` go-lives per ISO week from ``start`` to ``end`` (staff)."""

    vendor = serializers.SlugRelatedField(slug_field="code", queryset=Vendor.objects.all())
    start = serializers.DateField(validators=[planning_date_validator])
    end = serializers.DateField(validators=[planning_date_validator])
    capacity = serializers.IntegerField(min_value=0, max_value=1000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)
    is_inferred = serializers.BooleanField(required=False)


class VendorCapacityPeriodUpdateInput(VendorCapacityPeriodInput):
    vendor = serializers.SlugRelatedField(slug_field="code", queryset=Vendor.objects.all(), required=False)
    start = serializers.DateField(required=False, validators=[planning_date_validator])
    end = serializers.DateField(required=False, validators=[planning_date_validator])
    capacity = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class SystemSerializer(serializers.ModelSerializer):
    vendor = serializers.CharField(source="vendor.code", read_only=True)
    domain = serializers.CharField(source="domain.code", read_only=True)

    class Meta:
        model = System
        fields = ["id", "name", "vendor", "domain", "is_inferred", "notes"]
        read_only_fields = fields


class SystemInstanceSerializer(serializers.ModelSerializer):
    municipality = serializers.CharField(source="municipality.code", read_only=True)
    system_name = serializers.CharField(source="system.name", read_only=True)
    vendor = serializers.CharField(source="system.vendor.code", read_only=True)
    domain = serializers.CharField(source="system.domain.code", read_only=True)

    class Meta:
        model = SystemInstance
        fields = [
            "id", "municipality", "system", "system_name", "vendor", "domain", "hosting", "is_inferred",
            "notes", "updated_at",
        ]
        read_only_fields = fields


class SystemInstanceCreateInput(StrictSerializer):
    """A municipality (code) runs a system (id)."""

    municipality = serializers.SlugRelatedField(slug_field="code", queryset=Municipality.objects.all())
    system = serializers.PrimaryKeyRelatedField(queryset=System.objects.all())
    hosting = serializers.ChoiceField(choices=Hosting.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    is_inferred = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, municipalities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if municipalities is not None:
            self.fields["municipality"].queryset = municipalities


class SystemInstanceUpdateInput(StrictSerializer):
    hosting = serializers.ChoiceField(choices=Hosting.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    is_inferred = serializers.BooleanField(required=False)


class HarmonisationSerializer(serializers.ModelSerializer):
    domain = serializers.CharField(source="domain.code", read_only=True)
    target_system_name = serializers.CharField(source="target_system.name", read_only=True)
    vendor = serializers.CharField(source="target_system.vendor.code", read_only=True)

    class Meta:
        model = Harmonisation
        fields = [
            "id", "merger", "domain", "target_system", "target_system_name", "vendor", "strategy",
            "surviving_instance", "rationale", "decided_on", "is_inferred", "updated_at",
        ]
        read_only_fields = fields


class ConversionSerializer(serializers.ModelSerializer):
    merger = serializers.IntegerField(source="harmonisation.merger_id", read_only=True)
    domain = serializers.CharField(source="harmonisation.domain.code", read_only=True)
    municipality = serializers.CharField(source="source_instance.municipality.code", read_only=True)
    target_system = serializers.IntegerField(source="harmonisation.target_system_id", read_only=True)

    class Meta:
        model = Conversion
        fields = ["id", "harmonisation", "merger", "domain", "municipality", "source_instance", "target_system",
                  "status"]
        read_only_fields = fields
