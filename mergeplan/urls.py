from django.conf import settings
from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (kept for future locale-prefixed URLs)
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:  # pragma: no cover
    pass
