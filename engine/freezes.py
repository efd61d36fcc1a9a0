"""Freeze windows in working-day indices: the open go-live days of a cutover and the spans that bar the
users' work.

A go-live (other than the national conversion run) never lands on a day inside a freeze window that
applies to its domain or vendor, nor within the working days of its user work after a window that blocks
``work`` (fællesferie): the longest run of ``alap`` preparation from a ``needs_users`` step (rehearsal,
training) to the go-live must fit after the window. ``open_days`` builds, per (domain, vendor, user-work
days), the arrays that answer "the next / previous open day from here" in one look-up.
"""

from __future__ import annotations

from .calendar import WORK, FreezeWindow, WorkCalendar


class OpenDays:
    """Open go-live days of one (domain, vendor, user-work days) combination over the span of its windows.

    ``nxt[k]`` / ``prv[k]`` are the next / previous open index from ``lo + k``; ``why[k]`` the label of the
    window that closes ``lo + k`` (None when open)."""

    __slots__ = ("lo", "nxt", "prv", "why")

    def __init__(self, lo: int, nxt: list[int], prv: list[int], why: list[str | None]) -> None:
        self.lo, self.nxt, self.prv, self.why = lo, nxt, prv, why

    def next_open(self, g: int) -> int:
        k = g - self.lo
        return self.nxt[k] if 0 <= k < len(self.nxt) else g

    def prev_open(self, g: int) -> int:
        k = g - self.lo
        return self.prv[k] if 0 <= k < len(self.prv) else g

    def closed_by(self, g: int) -> str | None:
        k = g - self.lo
        return self.why[k] if 0 <= k < len(self.why) else None


def windows(cal: WorkCalendar, domain: str | None, vendor: str | None) -> list[tuple[int, int, FreezeWindow]]:
    """The freeze windows binding ``domain``/``vendor`` as (first, last) working-day indices."""
    out = []
    for w in cal.freezes:
        if w.applies_to(domain, vendor):
            a, b = cal.index_of(w.start), cal.index_of(w.end, previous=True)
            if a <= b:
                out.append((a, b, w))
    return out


def work_spans(cal: WorkCalendar, domain: str | None, vendor: str | None) -> list[tuple[int, int, str]]:
    """The windows that block the users' work of ``domain``/``vendor``, sorted, with their labels."""
    return sorted((a, b, w.label) for a, b, w in windows(cal, domain, vendor) if w.blocks == WORK)


def open_days(cal: WorkCalendar, domain: str | None, vendor: str | None, prep: int) -> OpenDays | None:
    """The open go-live days of a cutover of domain/vendor with ``prep`` days of user work, or None."""
    spans = []
    for a, b, w in windows(cal, domain, vendor):
        spans.append((a, b, w.label))
        if w.blocks == WORK and prep > 0:
            spans.append((b + 1, b + prep, w.label))  # the user work cannot sit in the window
    if not spans:
        return None
    lo = min(a for a, _, _ in spans)
    hi = max(b for _, b, _ in spans)
    why: list[str | None] = [None] * (hi - lo + 1)
    for a, b, label in sorted(spans, reverse=True):  # the earliest window's label wins an overlap
        for k in range(a - lo, b - lo + 1):
            why[k] = label
    size = hi - lo + 1
    nxt = [0] * size
    prv = [0] * size
    cur = hi + 1
    for k in range(size - 1, -1, -1):
        if why[k] is None:
            cur = lo + k
        nxt[k] = cur
    cur = lo - 1
    for k in range(size):
        if why[k] is None:
            cur = lo + k
        prv[k] = cur
    return OpenDays(lo, nxt, prv, why)
