"""API views of municipalities and mergers. Thin: scope through the policy, writes through services."""
from __future__ import annotations

from django.db.models import F, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets

from core.api.etags import ETagMixin, atomic_write
from municipalities.api.permissions import PolicyMixin
from municipalities.models import Merger, Municipality
from municipalities.permissions import Action
from municipalities.services import merger_dispensation_set

from .filters import MergerFilter, MunicipalityFilter
from .serializers import MergerDispensationInput, MergerSerializer, MunicipalitySerializer


class MunicipalityViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    """Municipalities that are members of the user's mergers."""

    serializer_class = MunicipalitySerializer
    filterset_class = MunicipalityFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name", "population"]
    ordering = ["name"]

    def get_queryset(self):
        return Municipality.objects.restrict(self.request.user)


class MergerViewSet(ETagMixin, PolicyMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The user's mergers; PATCH changes the dispensation (IT chief)."""

    serializer_class = MergerSerializer
    filterset_class = MergerFilter
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code", "legal_date"]
    ordering = ["name"]
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        qs = Merger.objects.annotate(runbook_pk=F("runbook__id")).prefetch_related(
            Prefetch("members", queryset=Municipality.objects.only("id", "code").order_by("code"))
        )
        return qs.restrict(self.request.user)

    @extend_schema(request=MergerDispensationInput, responses=MergerSerializer)
    def partial_update(self, request, *args, **kwargs):
        merger = self.get_object()
        self.require(Action.EDIT_MERGER, merger_id=merger.pk)
        data = MergerDispensationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with atomic_write():
            locked = self.locked(merger)
            merger = merger_dispensation_set(
                merger=locked,
                actor=request.user,
                status=values.get("dispensation_status", locked.dispensation_status),
                date=values.get("dispensation_date", locked.dispensation_date),
                reference=values.get("dispensation_reference", locked.dispensation_reference),
                expected_version=locked.version,
            )
        return self.object_response(merger)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)
