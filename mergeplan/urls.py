from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mergeplan.api")),
    path("", include("mergeplan.web")),
]

# The error pages (core/errors.py): the site's look for the pages; JSON under /api/, as the API's own
# errors are (a 404 there is core.api.exceptions.not_found's: schemathesis checks the documented type).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
