"""Danish first: the pages speak Danish unless the user chose another language with the switch."""
from __future__ import annotations

from django.conf import settings


class DanishFirstMiddleware:
    """Drop the browser's Accept-Language for pages, so that ``LANGUAGE_CODE`` (Danish) applies until the
    user picks a language (the language cookie set by ``/i18n/setlang/``). The API keeps content
    negotiation: a REST client that asks for English gets English messages.

    Place before ``django.middleware.locale.LocaleMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
