"""The Gantt timeline drawn on the server as SVG, in three parts that the page lays out in a grid: a time
header (kept in view by ``position: sticky``), a column of step names (sticky to the left) and the body.

Pure functions: plain data in (dates, already translated strings), SVG markup out; no Django import. The
header and the body are as wide as their container (``width: 100%``): every horizontal position is a
percentage of the period, so the chart fills the page at any zoom and the zoom only sets the least width
(``GanttChart.min_width``, pixels per day). Colour is never the only signal: blocked bars are
cross-hatched, critical ones hatched with a thick outline and a flag, done ones carry a check mark, steps
at risk a dashed outline and a warning mark, milestones are diamonds, checkpoints hexagons, go-lives
stars, and a pinned start ("start no earlier than") a pin.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .svg import _e, _n

#: Pixels per day at each zoom: the chart's least width; a wider page stretches it.
ZOOMS: Mapping[str, float] = {"week": 16.0, "month": 4.0, "quarter": 1.5}
DEFAULT_ZOOM = "month"

LABEL_WIDTH = 340
ROW_HEIGHT = 28
GROUP_HEIGHT = 30
HEAD_HEIGHT = 62  # two tiers of time and one of date-line labels
BAR_HEIGHT = 14
_CHAR_PX = 7.3  # the mean width of a 13 px system-ui character, to shorten names that would not fit

_DEFS = (
    '<defs>'
    '<pattern id="hatch-critical" patternUnits="userSpaceOnUse" width="6" height="6" '
    'patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern>'
    '<pattern id="hatch-blocked" patternUnits="userSpaceOnUse" width="7" height="7">'
    '<rect width="7" height="7" class="blocked-bg"/>'
    '<path d="M0,0 L7,7 M7,0 L0,7" class="blocked-line"/></pattern>'
    '<pattern id="hatch-freeze" patternUnits="userSpaceOnUse" width="8" height="8" '
    'patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="8" class="freeze-line"/></pattern>'
    '<path id="shape-diamond" d="M0,-8 L8,0 L0,8 L-8,0Z"/>'
    '<path id="shape-hexagon" d="M-4,-7 L4,-7 L8,0 L4,7 L-4,7 L-8,0Z"/>'
    '<path id="shape-star" d="M0,-9 L2.6,-3 L8.6,-2.8 L4,1.4 L5.4,7.6 L0,4.4 L-5.4,7.6 L-4,1.4 L-8.6,-2.8 L-2.6,-3Z"/>'
    '<path id="shape-check" d="M-4,0 L-1,3.5 L5,-4"/>'
    '<path id="shape-warn" d="M0,-7 L7,6 L-7,6Z M0,-2.5 V2 M0,3.6 V4.4"/>'
    '<path id="shape-pin" d="M0,-11 V11 M0,-11 L7,-11 L0,-5"/>'
    + "".join(
        f'<marker id="arrow-head{suffix}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" '
        f'orient="auto"><path d="M0,0 L8,4 L0,8Z" class="arrow-head{suffix}"/></marker>'
        for suffix in ("", "-critical", "-selected")
    )
    + '</defs>'
)


@dataclass(frozen=True)
class GanttRow:
    """One step on the timeline. ``pinned`` is its "start no earlier than" date; ``draggable`` says the
    user may pin it by dragging (its ``version`` goes with the change)."""

    id: int
    label: str
    group: str
    start: dt.date | None
    finish: dt.date | None
    status: str = "not_started"
    kind: str = "task"
    critical: bool = False
    at_risk: bool = False
    href: str = ""
    baseline_start: dt.date | None = None
    baseline_finish: dt.date | None = None
    tooltip: str = ""
    pinned: dt.date | None = None
    select_href: str = ""
    aria_label: str = ""
    draggable: bool = False
    version: int = 0


@dataclass(frozen=True)
class Link:
    """A dependency arrow from ``predecessor_id`` to ``successor_id`` (type FS, SS or FF); ``css`` is
    ``critical`` (along the critical path), ``selected`` (of the selected step) or empty (shown on focus)."""

    predecessor_id: int
    successor_id: int
    type: str = "FS"
    css: str = ""


@dataclass(frozen=True)
class DateLine:
    """A vertical line across the chart (today, legal date, dispensation date, a wave)."""

    date: dt.date
    label: str
    css: str = "line"


@dataclass(frozen=True)
class Shade:
    """A shaded period (a freeze window or an expanded calendar rule); ``css`` is added to its class,
    e.g. ``blocks-work`` for a window that also keeps the users' work out."""

    start: dt.date
    end: dt.date
    label: str
    css: str = ""


@dataclass(frozen=True)
class GanttLabels:
    """The chart's translated words. ``quarter`` is a format with ``%(n)d``; ``month_names`` twelve short
    names; ``pinned`` a format with ``%(date)s``."""

    title: str = "Timeline"
    desc: str = ""
    critical: str = "critical"
    baseline: str = "baseline"
    not_scheduled: str = "not scheduled yet"
    pinned: str = "Start no earlier than %(date)s"
    quarter: str = "Q%(n)d"
    month_names: Sequence[str] = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt",
                                  "nov", "dec")
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GanttChart:
    """The three parts of the chart and the sizes the page lays them out with."""

    head: str
    names: str
    body: str
    start: dt.date
    end: dt.date
    days: int
    min_width: int
    label_width: int
    head_height: int
    body_height: int


def _first_of_month(d: dt.date) -> dt.date:
    return dt.date(d.year, d.month, 1)


def _next_month(d: dt.date, months: int = 1) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def ticks(start: dt.date, end: dt.date, zoom: str, labels: GanttLabels) -> tuple[list, list]:
    """The header's two tiers as (date, label) lists from ``start`` to ``end``: (months, ISO weeks) at
    zoom week, (years, months) at month, (years, quarters) at quarter. Each tier starts with ``start``
    (the partial first period) unless a period begins on it."""
    names = labels.month_names

    def periods(first: dt.date, step) -> list[dt.date]:
        out = []
        d = first
        while d <= end:
            if d >= start:
                out.append(d)
            d = step(d)
        return out

    years = periods(dt.date(start.year, 1, 1), lambda d: dt.date(d.year + 1, 1, 1))
    months = periods(_first_of_month(start), _next_month)
    if zoom == "week":
        monday = start - dt.timedelta(days=start.weekday())
        weeks = periods(monday, lambda d: d + dt.timedelta(days=7))
        top = [(d, f"{names[d.month - 1]} {d.year}") for d in [start, *months] if d.day == 1 or d == start]
        bottom = [(d, str(d.isocalendar()[1])) for d in weeks]
    elif zoom == "quarter":
        quarters = [d for d in months if d.month in (1, 4, 7, 10)]
        top = [(d, str(d.year)) for d in [start, *years] if d == start or d.month == 1 and d.day == 1]
        bottom = [(d, labels.quarter % {"n": (d.month - 1) // 3 + 1}) for d in quarters]
    else:
        top = [(d, str(d.year)) for d in [start, *years] if d == start or d.month == 1 and d.day == 1]
        bottom = [(d, names[d.month - 1]) for d in months]
    # the partial first period is labelled only when a new one does not begin within a few days
    if len(top) > 1 and (top[1][0] - top[0][0]).days < 20:
        top = top[1:]
    return top, bottom


def gantt(
    rows: Sequence[GanttRow],
    *,
    start: dt.date,
    end: dt.date,
    zoom: str = DEFAULT_ZOOM,
    lines: Iterable[DateLine] = (),
    shades: Iterable[Shade] = (),
    links: Iterable[Link] = (),
    selected: int | None = None,
    labels: GanttLabels | None = None,
) -> GanttChart:
    """The Gantt chart of ``rows``: a header per ``group`` (in the order given), bars from start to
    finish (inclusive), baseline ghost bars under them, shaded ``shades``, vertical ``lines``, and the
    dependency arrows of ``links`` between rows that are drawn."""
    labels = labels or GanttLabels()
    zoom = zoom if zoom in ZOOMS else DEFAULT_ZOOM
    if end <= start:
        end = start + dt.timedelta(days=30)
    days = (end - start).days + 1
    lines = [line for line in lines if start <= line.date <= end]
    min_width = int(days * ZOOMS[zoom])

    # layout: the y of every row, group headers between them
    layout: list[tuple[str, object, int]] = []
    y = 0
    current = None
    for row in rows:
        if row.group != current:
            layout.append(("group", row.group, y))
            y += GROUP_HEIGHT
            current = row.group
        layout.append(("row", row, y))
        y += ROW_HEIGHT
    height = max(y, ROW_HEIGHT)

    def pct(d: dt.date) -> float:
        return (d - start).days / days * 100

    def p(d: dt.date) -> str:
        return f"{_n(pct(d))}%"

    row_y = {item.id: top for kind, item, top in layout if kind == "row"}  # type: ignore[attr-defined]
    by_id = {r.id: r for r in rows}
    return GanttChart(
        head=_head(start, end, zoom, lines, labels, p, min_width),
        names=_names(layout, labels, height, selected),
        body=_body(layout, start, end, height, lines, shades, links, selected, labels, p, row_y, by_id, days),
        start=start, end=end, days=days, min_width=min_width, label_width=LABEL_WIDTH,
        head_height=HEAD_HEIGHT, body_height=height,
    )


def _head(start, end, zoom, lines, labels, p, min_width) -> str:
    top, bottom = ticks(start, end, zoom, labels)
    days = (end - start).days + 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart gantt-head" width="100%" '
           f'height="{HEAD_HEIGHT}" aria-hidden="true" focusable="false">',
           f'<rect class="head-bg" width="100%" height="{HEAD_HEIGHT}"/>']
    for d, text in top:
        out.append(f'<line class="tick major" x1="{p(d)}" y1="0" x2="{p(d)}" y2="40"/>'
                   f'<text class="axis major" x="{p(d)}" dx="4" y="15">{_e(text)}</text>')
    every = max(1, round(22 / max(min_width / days * 7, 1))) if zoom == "week" else 1
    for i, (d, text) in enumerate(bottom):
        out.append(f'<line class="tick" x1="{p(d)}" y1="20" x2="{p(d)}" y2="40"/>')
        if i % every == 0:
            out.append(f'<text class="axis" x="{p(d)}" dx="3" y="35">{_e(text)}</text>')
    out.append('<line class="tick" x1="0" y1="40" x2="100%" y2="40"/>')
    # date-line labels on a third tier, each to the side of its line with room (estimated at the least width)
    taken: list[float] = []
    for line in sorted(lines, key=lambda ln: ln.date):
        lx = (line.date - start).days / days * min_width
        text_w = 7 * len(line.label) + 10
        right = lx + text_w <= min_width
        left = lx if right else lx - text_w
        if taken and left < taken[-1]:
            continue  # would overlap the previous label: its line still carries a <title>
        taken.append(left + text_w)
        anchor = "start" if right else "end"
        out.append(f'<text class="marker-label {_e(line.css)}" x="{p(line.date)}" dx="{3 if right else -3}" '
                   f'y="{HEAD_HEIGHT - 6}" text-anchor="{anchor}">{_e(line.label)}</text>'
                   f'<line class="marker {_e(line.css)}" x1="{p(line.date)}" y1="44" x2="{p(line.date)}" '
                   f'y2="{HEAD_HEIGHT}"/>')
    out.append("</svg>")
    return "".join(out)


def _short(label: str, room: int) -> str:
    return label if len(label) <= room else label[: max(room - 1, 1)].rstrip() + "…"


def _names(layout, labels: GanttLabels, height: int, selected: int | None) -> str:
    """The name column: links to the steps (out of the tab order: the bars carry the same and more)."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart gantt-names" width="{LABEL_WIDTH}" '
           f'height="{height}" aria-hidden="true" focusable="false">',
           f'<rect class="names-bg" width="{LABEL_WIDTH}" height="{height}"/>']
    room = int((LABEL_WIDTH - 14) / _CHAR_PX)
    for kind, item, y in layout:
        if kind == "group":
            out.append(f'<rect class="group-bg" x="0" y="{y}" width="{LABEL_WIDTH}" height="{GROUP_HEIGHT}"/>'
                       f'<text class="group" x="6" y="{y + GROUP_HEIGHT - 10}">{_e(_short(str(item), room - 2))}'
                       f"<title>{_e(item)}</title></text>")
            continue
        row: GanttRow = item  # type: ignore[assignment]
        flag = "⚑ " if row.critical else ""
        # bold (critical) names are wider: fewer characters fit
        text = flag + _short(row.label, int(room * 0.86) - len(flag) if row.critical else room)
        cls = "label critical-label" if row.critical else "label"
        if row.id == selected:
            out.append(f'<rect class="selected-row" x="0" y="{y}" width="{LABEL_WIDTH}" height="{ROW_HEIGHT}"/>')
        el = (f'<text class="{cls}" x="6" y="{y + ROW_HEIGHT - 9}">{_e(text)}'
              f"<title>{_e(row.label)}</title></text>")
        if row.href:
            el = f'<a href="{_e(row.href)}" tabindex="-1">{el}</a>'
        out.append(f'<g class="name" data-step="{row.id}">{el}</g>')
    out.append("</svg>")
    return "".join(out)


def _bar_classes(row: GanttRow) -> str:
    cls = ["bar", f"status-{row.status}", f"kind-{row.kind}"]
    if row.critical:
        cls.append("critical")
    if row.at_risk:
        cls.append("at-risk")
    return " ".join(cls)


def _fill(row: GanttRow) -> str:
    if row.status == "blocked":
        return ' fill="url(#hatch-blocked)"'
    if row.critical and row.status != "done":
        return ' fill="url(#hatch-critical)"'
    return ""


def _body(layout, start, end, height, lines, shades, links, selected, labels, p, row_y, by_id, days) -> str:
    links = [link for link in links if _drawn(by_id.get(link.predecessor_id), start, end)
             and _drawn(by_id.get(link.successor_id), start, end)]
    # every dependency as data (the page's script draws those of the step with focus); the marked ones drawn
    data = " ".join(f"{k.predecessor_id}>{k.successor_id}:{k.type}" for k in links)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart gantt" width="100%" height="{height}" '
        f'role="group" aria-labelledby="gantt-title gantt-desc" data-start="{start.isoformat()}" '
        f'data-days="{days}" data-links="{_e(data)}">',
        f'<title id="gantt-title">{_e(labels.title)}</title><desc id="gantt-desc">{_e(labels.desc)}</desc>',
        _DEFS,
    ]
    for s in shades:
        if s.end < start or s.start > end:
            continue
        s0, s1 = max(s.start, start), min(s.end, end)
        width = ((s1 - s0).days + 1) / days * 100
        out.append(f'<rect class="{_e(("freeze " + s.css).strip())}" x="{p(s0)}" y="0" width="{_n(width)}%" '
                   f'height="{height}" fill="url(#hatch-freeze)"><title>{_e(s.label)}</title></rect>')
    for kind, item, y in layout:
        if kind == "group":
            out.append(f'<rect class="group-bg" x="0" y="{y}" width="100%" height="{GROUP_HEIGHT}"/>')
        elif item.id == selected:  # type: ignore[attr-defined]
            out.append(f'<rect class="selected-row" x="0" y="{y}" width="100%" height="{ROW_HEIGHT}"/>')
    for line in lines:
        out.append(f'<line class="marker {_e(line.css)}" x1="{p(line.date)}" y1="0" x2="{p(line.date)}" '
                   f'y2="{height}"><title>{_e(line.label)} {line.date.isoformat()}</title></line>')
    for kind, item, y in layout:
        if kind == "row":
            out.append(_row(item, y, start, end, days, labels, p))
    out.append(_arrows([k for k in links if k.css], by_id, row_y, start, end, p))
    out.append("</svg>")
    return "".join(out)


def _row(row: GanttRow, y: int, start, end, days, labels: GanttLabels, p) -> str:
    mid = y + ROW_HEIGHT / 2
    top = mid - BAR_HEIGHT / 2
    out = [f'<g class="row" data-step="{row.id}">']
    if row.baseline_start and row.baseline_finish and not (row.baseline_finish < start or row.baseline_start > end):
        b0, b1 = max(row.baseline_start, start), min(row.baseline_finish, end)
        out.append(f'<rect class="baseline" x="{p(b0)}" y="{_n(top + BAR_HEIGHT + 2)}" '
                   f'width="{_n(((b1 - b0).days + 1) / days * 100)}%" height="4">'
                   f"<title>{_e(labels.baseline)}: {row.baseline_start} – {row.baseline_finish}</title></rect>")
    tip = row.tooltip or row.label
    aria = row.aria_label or tip
    href = row.select_href or row.href
    drag = ""
    if row.draggable and row.start:
        drag = f' data-drag="1" data-version="{row.version}" data-from="{row.start.isoformat()}"'
    link_open = (f'<a class="bar-link" href="{_e(href)}" aria-label="{_e(aria)}" data-step="{row.id}"{drag}>'
                 f"<title>{_e(tip)}</title>")
    if not (row.start and row.finish) or row.finish < start or row.start > end:
        out.append(f'{link_open}<text class="unscheduled" x="0" dx="6" y="{_n(mid + 4)}">'
                   f"{_e(labels.not_scheduled)}</text></a></g>")
        return "".join(out)
    s0, s1 = max(row.start, start), min(row.finish, end)
    cls = _bar_classes(row)
    fill = _fill(row)
    finish_x = p(s1 + dt.timedelta(days=1))
    out.append(link_open)
    if row.kind == "milestone":
        centre = f"{_n(((s1 - start).days + 0.5) / days * 100)}%"
        out.append(f'<use href="#shape-diamond" class="{cls} shape diamond"{fill} x="{centre}" y="{_n(mid)}"/>')
    else:
        width = ((s1 - s0).days + 1) / days * 100
        out.append(f'<rect class="{cls}"{fill} x="{p(s0)}" y="{_n(top)}" width="{_n(width)}%" '
                   f'height="{BAR_HEIGHT}" rx="2"/>')
        if row.kind == "checkpoint":
            out.append(f'<use href="#shape-hexagon" class="{cls} shape hexagon"{fill} x="{finish_x}" '
                       f'y="{_n(mid)}"/>')
        elif row.kind == "cutover":
            out.append(f'<use href="#shape-star" class="{cls} shape star"{fill} x="{finish_x}" y="{_n(mid)}"/>')
    # status marks after the bar's end: done a check, at risk a warning sign
    if row.status == "done":
        out.append(f'<use href="#shape-check" class="mark check" x="{finish_x}" y="{_n(mid)}" '
                   f'transform="translate(14,0)"/>')
    elif row.at_risk:
        out.append(f'<use href="#shape-warn" class="mark warn" x="{finish_x}" y="{_n(mid)}" '
                   f'transform="translate(16,0)"/>')
    out.append("</a>")
    if row.pinned and start <= row.pinned <= end:
        text = labels.pinned % {"date": row.pinned.isoformat()}
        out.append(f'<use href="#shape-pin" class="mark pin" x="{p(row.pinned)}" y="{_n(mid)}">'
                   f"<title>{_e(text)}</title></use>")
    out.append("</g>")
    return "".join(out)


def _drawn(row: GanttRow | None, start: dt.date, end: dt.date) -> bool:
    return bool(row and row.start and row.finish and row.finish >= start and row.start <= end)


def _arrows(links: Iterable[Link], by_id, row_y, start, end, p) -> str:
    """Elbow arrows: down (or up) from the predecessor's end (its start for SS) to the successor's row,
    then along it to the successor's start (its end for FF)."""
    out = ['<g class="arrows">']
    for link in links:
        a, b = by_id[link.predecessor_id], by_id[link.successor_id]
        one = dt.timedelta(days=1)
        xa = p(max(min(a.start if link.type == "SS" else a.finish + one, end + one), start))
        xb = p(max(min(b.finish + one if link.type == "FF" else b.start, end + one), start))
        ya = row_y[a.id] + ROW_HEIGHT / 2 + (BAR_HEIGHT / 2 if row_y[b.id] > row_y[a.id] else -BAR_HEIGHT / 2)
        yb = row_y[b.id] + ROW_HEIGHT / 2
        css = f"arrow {link.css}".strip()
        head = f"arrow-head-{link.css}" if link.css in ("critical", "selected") else "arrow-head"
        out.append(f'<g class="{css}" data-from="{a.id}" data-to="{b.id}">'
                   f'<line x1="{xa}" y1="{_n(ya)}" x2="{xa}" y2="{_n(yb)}"/>'
                   f'<line x1="{xa}" y1="{_n(yb)}" x2="{xb}" y2="{_n(yb)}" marker-end="url(#{head})"/></g>')
    out.append("</g>")
    return "".join(out)


# --- the legend ------------------------------------------------------------------------------------

#: The legend's swatches, drawn with the chart's own shapes and patterns (the body's <defs> on the page).
_SWATCHES = {
    "step": '<rect class="bar status-not_started kind-task" x="2" y="3" width="28" height="12" rx="2"/>',
    "in_progress": '<rect class="bar status-in_progress kind-task" x="2" y="3" width="28" height="12" rx="2"/>',
    "done": '<rect class="bar status-done kind-task" x="2" y="3" width="20" height="12" rx="2"/>'
            '<use href="#shape-check" class="mark check" x="28" y="9"/>',
    "blocked": '<rect class="bar status-blocked kind-task" fill="url(#hatch-blocked)" x="2" y="3" width="28" '
               'height="12" rx="2"/>',
    "critical": '<rect class="bar status-not_started kind-task critical" fill="url(#hatch-critical)" x="2" y="3" '
                'width="28" height="12" rx="2"/>',
    "at_risk": '<rect class="bar status-not_started kind-task at-risk" x="2" y="3" width="18" height="12" rx="2"/>'
               '<use href="#shape-warn" class="mark warn" x="28" y="10"/>',
    "milestone": '<use href="#shape-diamond" class="bar kind-milestone shape diamond" x="16" y="9"/>',
    "checkpoint": '<use href="#shape-hexagon" class="bar kind-checkpoint shape hexagon" x="16" y="9"/>',
    "cutover": '<rect class="bar kind-cutover" x="2" y="3" width="14" height="12" rx="2"/>'
               '<use href="#shape-star" class="bar kind-cutover shape star" x="20" y="9"/>',
    "pinned": '<rect class="bar kind-task" x="10" y="3" width="20" height="12" rx="2"/>'
              '<use href="#shape-pin" class="mark pin" x="10" y="9" transform="scale(.8)"/>',
    "baseline": '<rect class="baseline" x="2" y="7" width="28" height="4"/>',
    "arrow": '<g class="arrow selected"><line x1="4" y1="2" x2="4" y2="12"/>'
             '<line x1="4" y1="12" x2="28" y2="12" marker-end="url(#arrow-head-selected)"/></g>',
    "arrow_critical": '<g class="arrow critical"><line x1="4" y1="2" x2="4" y2="12"/>'
                      '<line x1="4" y1="12" x2="28" y2="12" marker-end="url(#arrow-head-critical)"/></g>',
}


def legend_swatch(key: str) -> str:
    """A small inline SVG of one legend entry (``step``, ``done``, ``blocked``, ``critical``, ``at_risk``,
    ``milestone``, ``checkpoint``, ``cutover``, ``pinned``, ``baseline``, ``arrow``, ``arrow_critical``)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart swatch-svg" width="36" height="18" '
            f'aria-hidden="true" focusable="false">{_SWATCHES[key]}</svg>')
