"""API views of the inventory and the decisions. Reference data (vendors, domains, systems) is global;
instances, harmonisations and conversions are scoped to the user's mergers."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from core.api.etags import ETagMixin, atomic_write
from municipalities.models import Municipality
from municipalities.permissions import may_edit_national
from systems.models import (
    Conversion,
    Domain,
    Harmonisation,
    System,
    SystemInstance,
    Vendor,
    VendorCapacityPeriod,
)
from systems.services import (
    domain_binding_set,
    system_instance_create,
    system_instance_delete,
    system_instance_update,
    vendor_capacity_period_delete,
    vendor_capacity_period_save,
)

from .filters import ConversionFilter, HarmonisationFilter, SystemFilter, SystemInstanceFilter
from .serializers import (
    ConversionSerializer,
    DomainBindingInput,
    DomainSerializer,
    HarmonisationSerializer,
    SystemInstanceCreateInput,
    SystemInstanceSerializer,
    SystemInstanceUpdateInput,
    SystemSerializer,
    VendorCapacityPeriodInput,
    VendorCapacityPeriodSerializer,
    VendorCapacityPeriodUpdateInput,
    VendorSerializer,
)


def require_staff(request) -> None:
    """Reference data shared by every merger (areas, vendors' capacity) is changed by staff only."""
    if not may_edit_national(request.user):
        raise exceptions.PermissionDenied(_("Only staff may change reference data shared by every merger."))


class VendorViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Vendor.objects.all()
    serializer_class = VendorSerializer
    filterset_fields = ["code"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["name"]


class DomainViewSet(ETagMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The areas with their legal binding. PATCH changes the binding (staff; ``If-Match`` honoured); every
    merger with a cutover in the area is replanned."""

    queryset = Domain.objects.all()
    serializer_class = DomainSerializer
    filterset_fields = ["code", "binding"]
    search_fields = ["code", "name", "name_en"]
    ordering_fields = ["position", "code", "name"]
    ordering = ["position", "code"]
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(request=DomainBindingInput, responses=DomainSerializer)
    def partial_update(self, request, *args, **kwargs):
        domain = self.get_object()
        require_staff(request)
        data = DomainBindingInput(data=request.data)
        data.is_valid(raise_exception=True)
        with atomic_write():
            locked = self.locked(domain)
            domain = domain_binding_set(domain=locked, actor=request.user, data=dict(data.validated_data))
        return self.object_response(domain)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)


class VendorCapacityPeriodViewSet(
    ETagMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Periods in which a vendor manages a different number of go-lives per ISO week (e.g. the summer).
    Everyone signed in reads them; staff change them, and the mergers the vendor serves are replanned."""

    queryset = VendorCapacityPeriod.objects.select_related("vendor")
    serializer_class = VendorCapacityPeriodSerializer
    filterset_fields = ["vendor__code"]
    ordering_fields = ["start", "id"]
    ordering = ["vendor__name", "start", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=VendorCapacityPeriodInput, responses={201: VendorCapacityPeriodSerializer})
    def create(self, request, *args, **kwargs):
        require_staff(request)
        data = VendorCapacityPeriodInput(data=request.data)
        data.is_valid(raise_exception=True)
        period = vendor_capacity_period_save(actor=request.user, data=dict(data.validated_data))
        return self.object_response(period, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=VendorCapacityPeriodUpdateInput, responses=VendorCapacityPeriodSerializer)
    def partial_update(self, request, *args, **kwargs):
        period = self.get_object()
        require_staff(request)
        data = VendorCapacityPeriodUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        with atomic_write():
            locked = self.locked(period)
            period = vendor_capacity_period_save(period=locked, actor=request.user, data=dict(data.validated_data))
        return self.object_response(period)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        period = self.get_object()
        require_staff(request)
        with atomic_write():
            locked = self.locked(period)
            vendor_capacity_period_delete(period=locked, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SystemViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    queryset = System.objects.select_related("vendor", "domain")
    serializer_class = SystemSerializer
    filterset_class = SystemFilter
    search_fields = ["name", "vendor__name"]
    ordering_fields = ["name", "id"]
    ordering = ["domain__position", "vendor__name", "name"]


class SystemInstanceViewSet(
    ETagMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Who runs what. Coordinators change their own municipality's; the IT chief any in the merger."""

    serializer_class = SystemInstanceSerializer
    filterset_class = SystemInstanceFilter
    search_fields = ["system__name", "municipality__name"]
    ordering_fields = ["id", "municipality__code", "system__name"]
    ordering = ["municipality__code", "system__name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return SystemInstance.objects.restrict(self.request.user).select_related(
            "municipality", "system__vendor", "system__domain"
        )

    @extend_schema(request=SystemInstanceCreateInput, responses={201: SystemInstanceSerializer})
    def create(self, request, *args, **kwargs):
        data = SystemInstanceCreateInput(data=request.data, municipalities=Municipality.objects.restrict(request.user))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        instance = system_instance_create(
            municipality=values["municipality"],
            system=values["system"],
            actor=request.user,
            hosting=values.get("hosting", ""),
            notes=values.get("notes", ""),
            is_inferred=values.get("is_inferred", False),
        )
        return self.object_response(instance, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=SystemInstanceUpdateInput, responses=SystemInstanceSerializer)
    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = SystemInstanceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        with atomic_write():
            locked = self.locked(instance)
            instance = system_instance_update(instance=locked, actor=request.user, data=dict(data.validated_data))
        return self.object_response(instance)

    def update(self, request, *args, **kwargs):  # PUT is not offered
        return self.http_method_not_allowed(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        with atomic_write():
            locked = self.locked(instance)
            system_instance_delete(instance=locked, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HarmonisationViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = HarmonisationSerializer
    filterset_class = HarmonisationFilter
    ordering_fields = ["id", "domain__position"]
    ordering = ["merger__name", "domain__position", "id"]

    def get_queryset(self):
        return Harmonisation.objects.select_related("domain", "target_system__vendor").restrict(self.request.user)


class ConversionViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ConversionSerializer
    filterset_class = ConversionFilter
    ordering_fields = ["id"]
    ordering = ["harmonisation__merger__name", "harmonisation__domain__position", "id"]

    def get_queryset(self):
        qs = Conversion.objects.select_related("harmonisation__domain", "source_instance__municipality")
        return qs.restrict(self.request.user)
