"""Charts drawn on the server as SVG: the Gantt timeline, the burn-up and the vendor load.

Pure functions: plain data in (dates, numbers, already translated strings), SVG markup out. No Django
import, no JavaScript. Every chart carries a <title> and <desc>; colour is never the only signal (critical
bars are hatched, over-capacity weeks carry a mark, scenarios differ by pattern as well as colour).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """A compact number for SVG attributes."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


_PATTERNS = (
    '<defs>'
    '<pattern id="hatch-critical" patternUnits="userSpaceOnUse" width="6" height="6" '
    'patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern>'
    '<pattern id="hatch-freeze" patternUnits="userSpaceOnUse" width="8" height="8" '
    'patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="8" class="freeze-line"/></pattern>'
    '<pattern id="hatch-rolling" patternUnits="userSpaceOnUse" width="5" height="5" '
    'patternTransform="rotate(45)"><rect width="5" height="5" class="rolling-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="5" class="rolling-line"/></pattern>'
    '</defs>'
)


# --- Gantt ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GanttRow:
    """One step on the timeline."""

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
    """The chart's translated words."""

    title: str = "Timeline"
    desc: str = ""
    critical: str = "critical"
    baseline: str = "baseline"
    extra: Mapping[str, str] = field(default_factory=dict)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    d = dt.date(start.year, start.month, 1)
    out = []
    while d <= end:
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def gantt(
    rows: Sequence[GanttRow],
    *,
    start: dt.date,
    end: dt.date,
    lines: Iterable[DateLine] = (),
    shades: Iterable[Shade] = (),
    labels: GanttLabels | None = None,
    width: int = 1100,
    label_width: int = 300,
    row_height: int = 18,
    month_names: Sequence[str] = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
) -> str:
    """A Gantt chart: one row per step grouped under a header per ``group`` (in the order given), bars
    from start to finish (inclusive), milestones and checkpoints as diamonds, critical bars hatched and
    labelled, baseline ghost bars under the bars, vertical ``lines`` and shaded ``shades``."""
    labels = labels or GanttLabels()
    if end <= start:
        end = start + dt.timedelta(days=30)
    days = (end - start).days + 1
    chart_w = max(width - label_width - 10, 200)
    px = chart_w / days
    header_h = 34

    def x(d: dt.date) -> float:
        return label_width + (d - start).days * px

    # layout: group headers and rows
    items: list[tuple[str, object]] = []
    current = None
    for row in rows:
        if row.group != current:
            items.append(("group", row.group))
            current = row.group
        items.append(("row", row))
    group_h = row_height + 4
    height = header_h + sum(group_h if kind == "group" else row_height for kind, _ in items) + 48
    lines = list(lines)
    shades = list(shades)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart gantt" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="gantt-title gantt-desc">',
        f'<title id="gantt-title">{_e(labels.title)}</title><desc id="gantt-desc">{_e(labels.desc)}</desc>',
        _PATTERNS,
    ]
    body_top = header_h
    body_bottom = height - 48
    # shaded freeze windows
    for s in shades:
        if s.end < start or s.start > end:
            continue
        s0, s1 = max(s.start, start), min(s.end, end)
        css = f"freeze {_e(s.css)}".strip()
        out.append(
            f'<rect class="{css}" x="{_n(x(s0))}" y="{body_top}" width="{_n((s1 - s0).days * px + px)}" '
            f'height="{body_bottom - body_top}" fill="url(#hatch-freeze)"><title>{_e(s.label)}</title></rect>'
        )
    # month grid and labels
    for m in _months(start, end):
        if m < start:
            continue
        mx = x(m)
        out.append(f'<line class="grid" x1="{_n(mx)}" y1="{header_h - 14}" x2="{_n(mx)}" y2="{body_bottom}"/>')
        label = str(m.year) if m.month == 1 else month_names[m.month - 1]
        out.append(f'<text class="axis" x="{_n(mx + 2)}" y="{header_h - 4}">{_e(label)}</text>')

    y = body_top
    for kind, item in items:
        if kind == "group":
            out.append(
                f'<rect class="group-bg" x="0" y="{y}" width="{width}" height="{group_h}"/>'
                f'<text class="group" x="4" y="{y + group_h - 7}">{_e(item)}</text>'
            )
            y += group_h
            continue
        row: GanttRow = item  # type: ignore[assignment]
        cls = ["bar", f"status-{row.status}", f"kind-{row.kind}"]
        if row.critical:
            cls.append("critical")
        if row.at_risk:
            cls.append("at-risk")
        suffix = f" ⚑ {labels.critical}" if row.critical else ""
        room = max(int(label_width / 6.4) - len(suffix), 8)
        text = row.label if len(row.label) <= room else row.label[: room - 1] + "…"
        label_el = (
            f'<text class="label{" critical-label" if row.critical else ""}" x="4" y="{y + row_height - 5}">'
            f"{_e(text)}{_e(suffix)}</text>"
        )
        if row.href:
            label_el = f'<a href="{_e(row.href)}">{label_el}</a>'
        out.append(f'<g class="row" data-step="{row.id}">{label_el}')
        tip = row.tooltip or row.label
        if row.baseline_start and row.baseline_finish:
            bx0 = x(max(row.baseline_start, start))
            bw = max(((min(row.baseline_finish, end) - max(row.baseline_start, start)).days + 1) * px, 2)
            out.append(
                f'<rect class="baseline" x="{_n(bx0)}" y="{y + row_height - 6}" width="{_n(bw)}" height="4">'
                f"<title>{_e(labels.baseline)}: {row.baseline_start} – {row.baseline_finish}</title></rect>"
            )
        if row.start and row.finish and not (row.finish < start or row.start > end):
            s0, s1 = max(row.start, start), min(row.finish, end)
            if row.kind in ("milestone", "checkpoint") or row.start == row.finish and row.kind != "task":
                cx = x(s1) + px / 2
                cy = y + row_height / 2
                r = row_height / 2 - 3
                fill = ' fill="url(#hatch-critical)"' if row.critical else ""
                out.append(
                    f'<polygon class="{" ".join(cls)} diamond"{fill} points="{_n(cx)},{_n(cy - r)} '
                    f'{_n(cx + r)},{_n(cy)} {_n(cx)},{_n(cy + r)} {_n(cx - r)},{_n(cy)}">'
                    f"<title>{_e(tip)}</title></polygon>"
                )
            else:
                bw = max(((s1 - s0).days + 1) * px, 2)
                fill = ' fill="url(#hatch-critical)"' if row.critical else ""
                out.append(
                    f'<rect class="{" ".join(cls)}"{fill} x="{_n(x(s0))}" y="{y + 3}" width="{_n(bw)}" '
                    f'height="{row_height - 9}" rx="2"><title>{_e(tip)}</title></rect>'
                )
        out.append("</g>")
        y += row_height
    # vertical lines on top
    row_ends: list[float] = [-1e9, -1e9, -1e9]  # label rows under the chart: where each one is taken to
    for line in lines:
        if not (start <= line.date <= end):
            continue
        lx = x(line.date)
        text_w = 6.2 * len(line.label) + 6
        anchor = "end" if lx + text_w > width else "start"
        left = lx - text_w if anchor == "end" else lx
        i = next((r for r, taken in enumerate(row_ends) if left > taken), len(row_ends) - 1)
        row_ends[i] = left + text_w
        out.append(
            f'<line class="marker {line.css}" x1="{_n(lx)}" y1="{header_h - 14}" x2="{_n(lx)}" y2="{body_bottom}">'
            f"<title>{_e(line.label)} {line.date}</title></line>"
        )
        ty = body_bottom + 12 + i * 12
        out.append(f'<text class="marker-label {line.css}" x="{_n(lx + 2)}" y="{ty}" text-anchor="{anchor}">'
                   f"{_e(line.label)}</text>")
    out.append("</svg>")
    return "".join(out)


# --- Burn-up --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurnPoint:
    """One day's progress: work done, work planned done by then, and all work (working days)."""

    date: dt.date
    done: float
    planned: float
    total: float


def _path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(("M" if i == 0 else "L") + f"{_n(px)},{_n(py)}" for i, (px, py) in enumerate(points))


def burnup(
    points: Sequence[BurnPoint],
    *,
    title: str,
    desc: str,
    legend: Mapping[str, str],
    width: int = 640,
    height: int = 240,
) -> str:
    """A burn-up chart of done work against planned work and total scope. ``legend`` maps the keys
    ``done``, ``planned``, ``total`` (and ``empty``) to translated words."""
    pad_l, pad_r, pad_t, pad_b = 44, 12, 12, 46
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart burnup" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="burnup-title burnup-desc">'
        f'<title id="burnup-title">{_e(title)}</title><desc id="burnup-desc">{_e(desc)}</desc>'
    )
    if not points:
        head = head.replace(f'viewBox="0 0 {width} {height}"', f'viewBox="0 0 {width} 40"')
        return (head + f'<text class="axis" x="{width / 2}" y="24" text-anchor="middle">'
                f'{_e(legend.get("empty", ""))}</text></svg>')
    points = sorted(points, key=lambda p: p.date)
    d0, d1 = points[0].date, points[-1].date
    span = max((d1 - d0).days, 1)
    top = max(max(p.total for p in points), max(p.planned for p in points), max(p.done for p in points), 1)
    cw, ch = width - pad_l - pad_r, height - pad_t - pad_b

    def xy(d: dt.date, v: float) -> tuple[float, float]:
        return pad_l + (d - d0).days / span * cw, pad_t + ch - v / top * ch

    out = [head]
    for frac in (0, 0.25, 0.5, 0.75, 1):
        gy = pad_t + ch - frac * ch
        out.append(f'<line class="grid" x1="{pad_l}" y1="{_n(gy)}" x2="{width - pad_r}" y2="{_n(gy)}"/>'
                   f'<text class="axis" x="{pad_l - 4}" y="{_n(gy + 4)}" text-anchor="end">{round(top * frac)}</text>')
    out.append(f'<text class="axis" x="{pad_l}" y="{height - pad_b + 14}">{d0.isoformat()}</text>')
    out.append(f'<text class="axis" x="{width - pad_r}" y="{height - pad_b + 14}" text-anchor="end">'
               f"{d1.isoformat()}</text>")
    for key, css in (("total", "total"), ("planned", "planned"), ("done", "done")):
        pts = [xy(p.date, getattr(p, key)) for p in points]
        out.append(f'<path class="series {css}" d="{_path(pts)}"/>')
        if len(pts) == 1:
            out.append(f'<circle class="series-dot {css}" cx="{_n(pts[0][0])}" cy="{_n(pts[0][1])}" r="3"/>')
    # legend: line styles differ (solid, dashed, dotted), not just colour
    lx = pad_l
    ly = height - 12
    for key in ("done", "planned", "total"):
        out.append(f'<line class="series {key}" x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}"/>'
                   f'<text class="legend" x="{lx + 26}" y="{ly}">{_e(legend.get(key, key))}</text>')
        lx += 30 + 8 * len(str(legend.get(key, key))) + 12
    out.append("</svg>")
    return "".join(out)


# --- Vendor load ----------------------------------------------------------------------------------


def vendor_load(
    weeks: Sequence[str],
    series: Mapping[str, Mapping[str, int]],
    *,
    capacity: int | None,
    title: str,
    desc: str,
    capacity_label: str,
    over_label: str,
    uncounted: Mapping[str, Mapping[str, int]] | None = None,
    width: int = 900,
    height: int = 280,
) -> str:
    """Cutovers per ISO week for each scenario (at most two, drawn side by side; the second hatched)
    against the vendor's weekly ``capacity`` (a dashed line). Weeks over capacity carry a "!" mark;
    ``uncounted`` go-lives (the national run on the legal date) do not count against the capacity."""
    uncounted = uncounted or {}
    pad_l, pad_r, pad_t, pad_b = 36, 12, 16, 64
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart vendor-load" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="load-title load-desc">'
        f'<title id="load-title">{_e(title)}</title><desc id="load-desc">{_e(desc)}</desc>{_PATTERNS}'
    )
    names = list(series)
    top = max([capacity or 0, 1] + [n for s in series.values() for n in s.values()])
    cw, ch = width - pad_l - pad_r, height - pad_t - pad_b
    slot = cw / max(len(weeks), 1)
    bar_w = max(min(slot / (len(names) + 1), 24), 1.5)
    out = [head]
    for v in range(0, top + 1, max(1, top // 5)):
        gy = pad_t + ch - v / top * ch
        out.append(f'<line class="grid" x1="{pad_l}" y1="{_n(gy)}" x2="{width - pad_r}" y2="{_n(gy)}"/>'
                   f'<text class="axis" x="{pad_l - 4}" y="{_n(gy + 4)}" text-anchor="end">{v}</text>')
    label_every = max(1, int(len(weeks) / (cw / 40)) + 1) if weeks else 1
    for i, week in enumerate(weeks):
        x0 = pad_l + i * slot + (slot - bar_w * len(names)) / 2
        for j, name in enumerate(names):
            n = series[name].get(week, 0)
            if not n:
                continue
            bh = n / top * ch
            over = capacity is not None and n - uncounted.get(name, {}).get(week, 0) > capacity
            fill = ' fill="url(#hatch-rolling)"' if j == 1 else ""
            out.append(
                f'<rect class="load s{j}{" over" if over else ""}"{fill} x="{_n(x0 + j * bar_w)}" '
                f'y="{_n(pad_t + ch - bh)}" width="{_n(bar_w - 1)}" height="{_n(bh)}">'
                f"<title>{_e(name)} {_e(week)}: {n}{(' — ' + _e(over_label)) if over else ''}</title></rect>"
            )
            if over:
                out.append(f'<text class="over-mark" x="{_n(x0 + j * bar_w + bar_w / 2)}" '
                           f'y="{_n(pad_t + ch - bh - 3)}" text-anchor="middle">!</text>')
        if i % label_every == 0:
            tx = pad_l + i * slot + slot / 2
            out.append(f'<text class="axis week" x="{_n(tx)}" y="{pad_t + ch + 12}" text-anchor="end" '
                       f'transform="rotate(-45 {_n(tx)} {pad_t + ch + 12})">{_e(week)}</text>')
    if capacity is not None:
        cy = pad_t + ch - capacity / top * ch
        out.append(f'<line class="capacity" x1="{pad_l}" y1="{_n(cy)}" x2="{width - pad_r}" y2="{_n(cy)}"/>'
                   f'<text class="capacity-label" x="{width - pad_r}" y="{_n(cy - 4)}" text-anchor="end">'
                   f"{_e(capacity_label)}: {capacity}</text>")
    lx = pad_l
    for j, name in enumerate(names):
        fill = ' fill="url(#hatch-rolling)"' if j == 1 else ""
        out.append(f'<rect class="load s{j}"{fill} x="{lx}" y="{height - 14}" width="12" height="10"/>'
                   f'<text class="legend" x="{lx + 16}" y="{height - 5}">{_e(name)}</text>')
        lx += 30 + 8 * len(name)
    out.append("</svg>")
    return "".join(out)
