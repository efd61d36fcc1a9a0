from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mergeplan.api")),
    path("", include("mergeplan.web")),
]

# The error pages (mergeplan/errors.py): the site's look for the pages; JSON under /api/, as the API's own
# errors are (a 404 there is mergeplan.api_support.not_found's: schemathesis checks the documented type).
handler400 = "mergeplan.errors.bad_request"
handler403 = "mergeplan.errors.permission_denied"
handler404 = "mergeplan.errors.page_not_found"
handler500 = "mergeplan.errors.server_error"
