"""Data that carries its own Danish and English names (domains, phases, steps).

:func:`bilingual` is the one rule for which of the two names to show — the English one in English when
there is one, else the Danish one; :class:`BilingualNameMixin` applies it to a model instance, and code
that reads rows (``values()``) calls it on the row's two columns.
"""
from __future__ import annotations

from django.utils.translation import get_language


def language_code(language: str | None = None) -> str:
    """The two-letter code of ``language``, or of the active language ("da" when none is active)."""
    return (language or get_language() or "da")[:2]


def bilingual(da: str | None, en: str | None, language: str | None = None) -> str:
    """``en`` when the language (``language``, else the active one) is English and ``en`` is not empty;
    else ``da`` ("" for none)."""
    return en if language_code(language) == "en" and en else (da or "")


class BilingualNameMixin:
    """For a model with ``name`` (Danish) and ``name_en`` (English): the name in the active language."""

    name: str
    name_en: str

    def display_name(self, language: str | None = None) -> str:
        return bilingual(self.name, self.name_en, language)
