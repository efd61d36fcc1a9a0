"""How the OpenAPI schema describes the two kinds of token (personal API token, calendar feed token).

drf-spectacular finds an extension by subclassing; MunicipalitiesConfig.ready() imports this module. Kept
apart from :mod:`municipalities.api.authentication`, which the REST framework settings name (importing
drf-spectacular there would read those settings while they are being read).
"""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
