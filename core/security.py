"""The Content-Security-Policy: django-csp's middleware, with a wider policy for the API docs only.

Every page gets ``CONTENT_SECURITY_POLICY`` (settings): scripts from this origin only (no inline
scripts, no ``on*`` handlers, no eval; htmx is served from ``static/``), styles from this origin plus
inline ``style`` attributes (progress bars, charts). Swagger UI and Redoc (third-party bundles under
``/api/v1/docs/`` and ``/api/v1/redoc/``) inject ``<style>`` elements, ``data:`` images and a ``blob:``
search worker; only those two pages allow that — their scripts stay ``'self'``.
"""
from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts

#: Paths whose pages are third-party API documentation bundles.
API_DOCS_PREFIXES = ("/api/v1/docs/", "/api/v1/redoc/")
API_DOCS_POLICY = {
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "worker-src": [SELF, "blob:"],
}


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(API_DOCS_PREFIXES) and parts.replace is None:
            parts.replace = API_DOCS_POLICY
        return parts
