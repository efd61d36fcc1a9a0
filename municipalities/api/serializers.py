"""Serializers of municipalities and mergers: output and input kept apart."""
from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from core.validation import planning_date_validator
from municipalities.models import DispensationStatus, Merger, Municipality


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = [
            "id", "code", "name", "county", "population", "population_year",
            "code_inferred", "population_inferred", "source", "notes",
        ]
        read_only_fields = fields


class MergerSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()
    gate_date = serializers.DateField(read_only=True)
    runbook = serializers.IntegerField(source="runbook_pk", read_only=True, allow_null=True)

    class Meta:
        model = Merger
        fields = [
            "id", "name", "code", "legal_date", "members", "dispensation_status", "dispensation_date",
            "dispensation_reference", "gate_date", "is_synthetic", "runbook", "version", "updated_at",
        ]
        read_only_fields = fields

    def get_members(self, obj) -> list[str]:
        return [m.code for m in obj.members.all()]


class MergerDispensationInput(StrictSerializer):
    """PATCH of a merger: the dispensation state (the only thing the API changes on a merger)."""

    dispensation_status = serializers.ChoiceField(choices=DispensationStatus.choices, required=False)
    dispensation_date = serializers.DateField(required=False, allow_null=True, validators=[planning_date_validator])
    dispensation_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=200, trim_whitespace=True
    )


class RecomputeAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    merger = serializers.IntegerField()


class ScheduleSerializer(serializers.Serializer):
    """The merger's schedule as the planning selector gives it."""

    findings = serializers.ListField(child=serializers.DictField())
    critical_path = serializers.ListField(child=serializers.JSONField())
    waves = serializers.ListField(child=serializers.JSONField())
    scenarios = serializers.JSONField()


class ProgressSerializer(serializers.Serializer):
    """The merger's progress as the progress selector gives it."""

    overall = serializers.JSONField()
    by_phase = serializers.JSONField()
    by_municipality = serializers.JSONField()
    by_domain = serializers.JSONField()

