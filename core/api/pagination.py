"""The API's page-number pagination (``DEFAULT_PAGINATION_CLASS``): typed ``?page=`` and ``?page_size=``
(a bad value is a 400 naming it), and no pages for a CSV export.

Named in the REST framework settings, so it must not import ``rest_framework.views`` (or anything that
does): that import reads the settings, which name this module."""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from core.api.renderers import wants_csv


class StandardPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``?page_size=`` up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param, None) == "":  # as every typed parameter: 400
            raise serializers.ValidationError({self.page_query_param: [_("Give a value, or leave the parameter out.")]})
        if wants_csv(request):
            return None  # an export holds every row the filters select
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        """``?page_size=`` must be a whole number from 1 (a larger one is cut to 500); else a 400 naming it."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if size < 1:
                raise serializers.ValidationError(
                    {self.page_size_query_param: [_("Give a whole number from 1 to %(max)d.") % {
                        "max": self.max_page_size}]}
                )
        return super().get_page_size(request)
