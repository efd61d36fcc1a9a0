from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mergeplan.api")),
    path("", include("mergeplan.web")),
]

# a 404 under /api/ answers JSON, as the API's own 404s do (schemathesis: documented content type)
handler404 = "mergeplan.api_support.not_found"
