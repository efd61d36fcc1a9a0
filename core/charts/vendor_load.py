"""The vendor load chart: a vendor's go-lives per ISO week, stacked by merger, on a week axis to scale.

Pure: plain data in (already translated strings), SVG markup out; no Django import. Every week of the
window has its slot, empty weeks too. Each week is a link (``href`` per week) to its go-lives. The
capacity is a stepped line (it drops in the summer period); weeks over it carry a "!" and a red outline;
the vendor's national run on the legal date is hatched on top and not counted. When the national run
would flatten the chart, its bar is cut at the top and labelled with its number.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class LoadLabels:
    """The chart's words, translated by the caller. ``week``, ``axis_week`` and ``tooltip`` are %-format
    strings: ``week`` (the tooltip's week) and ``axis_week`` (the axis's shorter one) with %(week)d and
    %(year)d; ``tooltip`` with %(week)s, %(n)d, %(capacity)s, %(national)d."""

    title: str
    desc: str
    capacity: str
    national: str
    over: str
    tooltip: str
    week: str = "week %(week)d (%(year)d)"
    axis_week: str = "wk %(week)d"


def _week_parts(iso: str) -> dict[str, int]:
    """``"2006-W27"`` → ``{"year": 2006, "week": 27}``."""
    year, week = iso.split("-W", 1)
    return {"year": int(year), "week": int(week)}


_DEFS = (
    '<defs><pattern id="vl-national" patternUnits="userSpaceOnUse" width="6" height="6" '
    'patternTransform="rotate(45)"><rect width="6" height="6" class="vl-national-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="6" class="vl-national-line"/></pattern></defs>'
)


def vendor_load_chart(
    weeks: Sequence[str],
    stacks: Mapping[str, Sequence[tuple[int, int]]],
    *,
    national: Mapping[str, int],
    capacity: Mapping[str, int | None],
    hrefs: Mapping[str, str],
    selected: str | None,
    labels: LoadLabels,
    width: int = 960,
    height: int = 330,
) -> str:
    """``stacks``: week -> [(series index, go-lives)] bottom up (index 0–7 a merger's colour, 8 the other
    mergers; the legend is the page's, in HTML, so that it wraps)."""
    pad_l, pad_r, pad_t, pad_b = 40, 14, 22, 58
    cw, ch = width - pad_l - pad_r, height - pad_t - pad_b
    counted = {w: sum(n for _, n in stacks.get(w, ())) for w in weeks}
    caps = [c for c in capacity.values() if c is not None]
    top = max([*counted.values(), *caps, 1])
    top = max(int(math.ceil(top * 1.15)), top + 1)
    slot = cw / max(len(weeks), 1)
    bar_w = max(min(slot * 0.8, 28), 2)

    def y(v: float) -> float:
        return pad_t + ch - min(v, top) / top * ch

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart vendor-load vendor-weeks" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="vl-title vl-desc">'
        f'<title id="vl-title">{_e(labels.title)}</title><desc id="vl-desc">{_e(labels.desc)}</desc>{_DEFS}'
    ]
    step = max(1, top // 5)
    for v in range(0, top + 1, step):
        out.append(f'<line class="grid" x1="{pad_l}" y1="{_n(y(v))}" x2="{width - pad_r}" y2="{_n(y(v))}"/>'
                   f'<text class="axis" x="{pad_l - 4}" y="{_n(y(v) + 4)}" text-anchor="end">{v}</text>')
    label_every = max(1, math.ceil(len(weeks) / max(cw / 22, 1)))
    for i, week in enumerate(weeks):
        x0 = pad_l + i * slot
        bx = x0 + (slot - bar_w) / 2
        cap = capacity.get(week)
        over = cap is not None and counted[week] > cap
        nat = national.get(week, 0)
        tip = labels.tooltip % {"week": labels.week % _week_parts(week), "n": counted[week], "capacity": "—" if cap is None else cap,
                                "national": nat}
        cls = "week" + (" selected" if week == selected else "") + (" over" if over else "")
        out.append(f'<a href="{_e(hrefs.get(week, "#"))}" class="{cls}" data-week="{_e(week)}">'
                   f'<title>{_e(tip)}{(" — " + _e(labels.over)) if over else ""}</title>'
                   f'<rect class="hit" x="{_n(x0)}" y="{pad_t}" width="{_n(slot)}" height="{ch}"/>')
        base = 0
        for idx, n in stacks.get(week, ()):
            if n <= 0:
                continue
            out.append(f'<rect class="load m{idx}{" over" if over else ""}" x="{_n(bx)}" y="{_n(y(base + n))}" '
                       f'width="{_n(bar_w)}" height="{_n(y(base) - y(base + n))}"/>')
            base += n
        if nat:
            out.append(f'<rect class="load national" fill="url(#vl-national)" x="{_n(bx)}" y="{_n(y(base + nat))}" '
                       f'width="{_n(bar_w)}" height="{_n(y(base) - y(base + nat))}"/>')
            if base + nat > top:
                out.append(f'<text class="national-count" x="{_n(bx + bar_w / 2)}" y="{pad_t - 6}" '
                           f'text-anchor="middle">{base + nat}</text>')
        if over:
            out.append(f'<text class="over-mark" x="{_n(bx + bar_w / 2)}" y="{_n(y(base) - 3)}" '
                       f'text-anchor="middle">!</text>')
        out.append("</a>")
        if i % label_every == 0:
            tx = x0 + slot / 2
            ty = pad_t + ch + 12
            out.append(f'<text class="axis week-label" x="{_n(tx)}" y="{ty}" text-anchor="end" '
                       f'transform="rotate(-60 {_n(tx)} {ty})">{_e(labels.axis_week % _week_parts(week))}</text>')
    # the capacity: a stepped line, week by week (none where the vendor is unlimited)
    path: list[str] = []
    for i, week in enumerate(weeks):
        cap = capacity.get(week)
        if cap is None:
            continue
        x0, x1 = pad_l + i * slot, pad_l + (i + 1) * slot
        cmd = "L" if path and capacity.get(weeks[i - 1]) is not None else "M"
        path.append(f"{cmd}{_n(x0)} {_n(y(cap))}L{_n(x1)} {_n(y(cap))}")
    if path:
        last = next(capacity[w] for w in reversed(weeks) if capacity.get(w) is not None)
        out.append(f'<path class="capacity" d="{"".join(path)}"/>'
                   f'<text class="capacity-label" x="{width - pad_r}" y="{_n(y(last) - 4)}" text-anchor="end">'
                   f"{_e(labels.capacity)}</text>")
    out.append("</svg>")
    return "".join(out)
