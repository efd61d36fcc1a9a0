"""Data that carries its own Danish and English names (domains, phases, steps)."""
from __future__ import annotations

from django.utils.translation import get_language


class BilingualNameMixin:
    """For a model with ``name`` (Danish) and ``name_en`` (English): the name in the active language."""

    name: str
    name_en: str

    def display_name(self, language: str | None = None) -> str:
        lang = (language or get_language() or "da")[:2]
        return self.name_en if lang == "en" and self.name_en else self.name
