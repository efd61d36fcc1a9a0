"""Charts drawn on the server as SVG: the burn-up and the vendor load (the Gantt: ``core.charts.gantt``).

Pure functions: plain data in (dates, numbers, already translated strings), SVG markup out. No Django
import, no JavaScript. Every chart carries a <title> and <desc>; colour is never the only signal (critical
bars are hatched, over-capacity weeks carry a mark, scenarios differ by pattern as well as colour).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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


def burnup_weekly(
    work: Iterable[tuple[float, dt.date | None, dt.date | None]], *, until: dt.date
) -> list[BurnPoint]:
    """Weekly burn-up points from each step's ``(weight, planned finish, done on)`` (``done on`` is None
    while the step is open): at the end of every week (Sunday) from the week of the first planned or done
    finish up to the week of ``until`` (the planning date, where the last point sits), the work the plan had
    finished, the work done, and all work. Empty when nothing is planned or done on or before ``until``."""
    items = [(float(w), pf, done) for w, pf, done in work]
    starts = [d for _w, pf, done in items for d in (pf, done) if d is not None and d <= until]
    if not starts:
        return []
    total = sum(w for w, _pf, _done in items)
    first = min(starts)
    day = first + dt.timedelta(days=6 - first.weekday())  # the first week's Sunday
    ends = []
    while day < until:
        ends.append(day)
        day += dt.timedelta(days=7)
    ends.append(until)
    return [
        BurnPoint(
            end,
            done=sum(w for w, _pf, done in items if done is not None and done <= end),
            planned=sum(w for w, pf, _done in items if pf is not None and pf <= end),
            total=total,
        )
        for end in ends
    ]


def burnup(
    points: Sequence[BurnPoint],
    *,
    title: str,
    desc: str,
    legend: Mapping[str, str],
    width: int = 640,
    height: int = 240,
    date_label: Callable[[dt.date], str] = dt.date.isoformat,
    show_total: bool = True,
) -> str:
    """A burn-up chart of done work against planned work and total scope. ``legend`` maps the keys
    ``done``, ``planned``, ``total`` (and ``empty``) to translated words; ``date_label`` writes the axis'
    first and last date (the pages pass their date format). Without ``show_total`` the scale follows the
    work planned and done, which a far larger total would flatten to the bottom."""
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
    keys = ("total", "planned", "done") if show_total else ("planned", "done")
    top = max(max(getattr(p, k) for p in points for k in keys), 1)
    cw, ch = width - pad_l - pad_r, height - pad_t - pad_b

    def xy(d: dt.date, v: float) -> tuple[float, float]:
        return pad_l + (d - d0).days / span * cw, pad_t + ch - v / top * ch

    out = [head]
    for frac in (0, 0.25, 0.5, 0.75, 1):
        gy = pad_t + ch - frac * ch
        out.append(f'<line class="grid" x1="{pad_l}" y1="{_n(gy)}" x2="{width - pad_r}" y2="{_n(gy)}"/>'
                   f'<text class="axis" x="{pad_l - 4}" y="{_n(gy + 4)}" text-anchor="end">{round(top * frac)}</text>')
    out.append(f'<text class="axis" x="{pad_l}" y="{height - pad_b + 14}">{_e(date_label(d0))}</text>')
    out.append(f'<text class="axis" x="{width - pad_r}" y="{height - pad_b + 14}" text-anchor="end">'
               f"{_e(date_label(d1))}</text>")
    for key in keys:
        css = key
        pts = [xy(p.date, getattr(p, key)) for p in points]
        out.append(f'<path class="series {css}" d="{_path(pts)}"/>')
        if len(pts) == 1:
            out.append(f'<circle class="series-dot {css}" cx="{_n(pts[0][0])}" cy="{_n(pts[0][1])}" r="3"/>')
    # legend: line styles differ (solid, dashed, dotted), not just colour
    lx = pad_l
    ly = height - 12
    for key in reversed(keys):
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
