"""The project's URLs: the admin, the language switch, the REST API (version 1) and the pages.

The API's router is assembled here, in the order its root lists the resources; each app's viewsets live in
its own ``api/`` package. The pages come from each app's ``urls.py``.
"""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from core.health import api_ping
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

api_urlpatterns = [
    path("ping/", api_ping, name="api-ping"),
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

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_urlpatterns)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("runbook.urls")),
    path("", include("municipalities.urls")),
]

# The error pages (core/errors.py): the site's look for the pages; JSON under /api/, as the API's own
# errors are (a 404 there is core.api.exceptions.not_found's: schemathesis checks the documented type).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
