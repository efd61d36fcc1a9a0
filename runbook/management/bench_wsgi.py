"""The WSGI application ``manage.py bench_api`` serves with gunicorn: mergeplan as it is, plus one reference
view at ``/bench/plain-list/`` — a plain DRF ListAPIView (ModelSerializer of 10 step fields, the project's
default authentication, permissions and throttling, 100 rows a page) — so that the milestones list is
compared with a plain list in the same run, not only with a trivial view.

Gunicorn loads it as ``runbook.management.bench_wsgi:application``; like ``mergeplan/wsgi.py`` it is a
process's entry point, so it sets Django up itself before it imports DRF and the models.
"""
from __future__ import annotations

import os
import sys
import types

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import include, path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mergeplan.settings")
django.setup()

from rest_framework import generics, serializers  # noqa: E402 - the serializers need the app registry

from runbook.models import Step  # noqa: E402 - models import only after django.setup()


class PlainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["id", "key", "name", "kind", "status", "planned_start", "planned_finish", "total_slack",
                  "is_critical", "version"]


class PlainList(generics.ListAPIView):
    queryset = Step.objects.order_by("id")
    serializer_class = PlainSerializer
    filter_backends: list = []


urls = types.ModuleType("mergeplan_bench_urls")
urls.urlpatterns = [path("bench/plain-list/", PlainList.as_view()), path("", include("mergeplan.urls"))]
sys.modules[urls.__name__] = urls
settings.ROOT_URLCONF = urls.__name__
application = get_wsgi_application()
