"""The project's URLs and error handlers plus a view that fails, for the 500 page's test."""
from django.urls import path

from mergeplan.urls import handler400, handler403, handler404, handler500
from mergeplan.urls import urlpatterns as project_urls

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request):
    raise RuntimeError("a failure the page must not show")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *project_urls]
