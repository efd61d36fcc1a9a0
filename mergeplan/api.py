"""REST API, version 1 (mounted at /api/v1/): the router, the schema and its documentation pages."""
from __future__ import annotations

from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from municipalities.api.views import MunicipalityViewSet
from runbook.api.baselines import BaselineViewSet
from runbook.api.mergers import MergerViewSet
from runbook.api.views import (
    CalendarRuleViewSet,
    CheckpointViewSet,
    CommentViewSet,
    DependencyViewSet,
    EventViewSet,
    FreezeWindowViewSet,
    MilestoneCalendarView,
    MilestoneViewSet,
    RunbookViewSet,
    StepViewSet,
    WaveViewSet,
)
from systems.api.views import (
    ConversionViewSet,
    DomainViewSet,
    HarmonisationViewSet,
    SystemInstanceViewSet,
    SystemViewSet,
    VendorCapacityPeriodViewSet,
    VendorViewSet,
)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "municipalities.api.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Personal API token."}


class FeedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "municipalities.api.authentication.FeedTokenAuthentication"
    name = "feedToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "token", "description": "Calendar feed token."}


router = DefaultRouter()
router.register("municipalities", MunicipalityViewSet, basename="municipality")
router.register("mergers", MergerViewSet, basename="merger")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("domains", DomainViewSet, basename="domain")
router.register("systems", SystemViewSet, basename="system")
router.register("system-instances", SystemInstanceViewSet, basename="systeminstance")
router.register("harmonisations", HarmonisationViewSet, basename="harmonisation")
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("runbooks", RunbookViewSet, basename="runbook")
router.register("steps", StepViewSet, basename="step")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("checkpoints", CheckpointViewSet, basename="checkpoint")
router.register("dependencies", DependencyViewSet, basename="dependency")
router.register("waves", WaveViewSet, basename="wave")
router.register("baselines", BaselineViewSet, basename="baseline")
router.register("comments", CommentViewSet, basename="comment")
router.register("events", EventViewSet, basename="event")
router.register("freeze-windows", FreezeWindowViewSet, basename="freezewindow")
router.register("calendar-rules", CalendarRuleViewSet, basename="calendarrule")
router.register("vendor-capacity-periods", VendorCapacityPeriodViewSet, basename="vendorcapacityperiod")


def ping(request):
    """A trivial JSON answer: liveness, and the baseline of the API benchmark."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("ping/", ping, name="api-ping"),
    path("mergers/<int:pk>/milestones.ics", MilestoneCalendarView.as_view(), name="api-merger-milestones-ics"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("", include(router.urls)),
]
