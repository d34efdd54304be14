"""The journey timeline: one lane per service, time across, bars, markers and "led to" arrows.

Breaches and anomalies are drawn in colour *and* labelled in text, never by colour
alone.  Every element can take focus and carries a ``<title>`` with its dates and
working days, so hover and keyboard focus both show them.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

__all__ = ["LANES", "TimelineItem", "TimelineLink", "timeline_svg"]

#: (lane label, kinds drawn in it)
LANES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Contact and early help", ("contact", "early_help")),
    ("Referral and assessment", ("referral", "assessment", "closure")),
    ("S47 and ICPC", ("s47", "icpc")),
    ("Child in need", ("cin_episode", "cin_plan")),
    ("Child protection", ("cp_plan",)),
    ("Looked after", ("lac",)),
)
LANE_OF = {kind: i for i, (_, kinds) in enumerate(LANES) for kind in kinds}

LEFT, RIGHT, TOP, LANE_H, AXIS_H = 170, 20, 34, 56, 28
SHORT = {"contact": "C", "early_help": "EH", "referral": "R", "assessment": "A", "s47": "S47", "icpc": "ICPC",
         "cin_episode": "CIN", "cin_plan": "CINP", "cp_plan": "CPP", "lac": "LAC", "closure": "End"}


@dataclass(frozen=True)
class TimelineItem:
    id: str
    kind: str
    start: date
    end: date | None = None  # None: a single-day event, or open when ``open`` is set
    open: bool = False
    label: str = ""
    detail: str = ""  # dates and working days, for the tooltip and the accessible name
    alerts: tuple[str, ...] = field(default_factory=tuple)  # plain-English breach / anomaly labels


@dataclass(frozen=True)
class TimelineLink:
    source: str
    target: str
    label: str = ""
    alert: bool = False


def _x(day: date, first: date, days: int, width: int) -> float:
    return LEFT + (day - first).days / max(days, 1) * (width - LEFT - RIGHT)


def _month_ticks(first: date, last: date) -> list[date]:
    months = (last.year - first.year) * 12 + last.month - first.month
    step = 1 if months <= 15 else 3 if months <= 48 else 12
    tick = date(first.year, first.month, 1)
    ticks = []
    while tick <= last:
        if tick >= first and (tick.month - 1) % step == 0:
            ticks.append(tick)
        year, month = divmod(tick.year * 12 + tick.month, 12)
        tick = date(year, month + 1, 1)
    return ticks


def timeline_svg(items: list[TimelineItem], links: list[TimelineLink], *, as_of: date, width: int = 960,
                 title: str = "Journey timeline", description: str = "") -> str:
    """The SVG markup (escaped throughout) for ``items`` linked by ``links``."""
    height = TOP + LANE_H * len(LANES) + AXIS_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fda-timeline" viewBox="0 0 {width} {height}" '
        f'width="100%" role="group" aria-labelledby="tl-title tl-desc">',
        f'<title id="tl-title">{escape(title)}</title>',
        f'<desc id="tl-desc">{escape(description or "One lane per service, time from left to right.")}</desc>',
        '<defs><marker id="tl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#505a5f"/></marker>'
        '<pattern id="tl-open" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="8" height="8" fill="#d2e2f1"/><rect width="3" height="8" fill="#5694ca"/></pattern></defs>',
    ]
    for i, (label, _) in enumerate(LANES):
        y = TOP + i * LANE_H
        shade = "#f3f2f1" if i % 2 == 0 else "#ffffff"
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{LANE_H}" fill="{shade}"/>')
        out.append(f'<text x="8" y="{y + LANE_H / 2 + 5}" class="fda-tl-lane">{escape(label)}</text>')
    if not items:
        out.append(f'<text x="{LEFT}" y="{TOP + 30}" class="fda-tl-empty">No events recorded for this child.</text></svg>')
        return "".join(out)
    first = min(i.start for i in items) - timedelta(days=14)
    last = max([as_of] + [i.end or i.start for i in items]) + timedelta(days=14)
    if not any(i.open for i in items):
        last = max(i.end or i.start for i in items) + timedelta(days=21)
    days = (last - first).days
    axis_y = TOP + LANE_H * len(LANES)
    for tick in _month_ticks(first, last):
        x = _x(tick, first, days, width)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{axis_y}" class="fda-tl-grid"/>')
        fmt = "%b %Y" if tick.month == 1 or tick == _month_ticks(first, last)[0] else "%b"
        out.append(f'<text x="{x + 2:.1f}" y="{axis_y + 18}" class="fda-tl-tick">{tick.strftime(fmt)}</text>')
    positions: dict[str, tuple[float, float]] = {}
    stacked: dict[tuple[int, int], int] = {}
    for item in sorted(items, key=lambda i: (i.start, i.kind)):
        lane = LANE_OF.get(item.kind, 1)
        x1 = _x(item.start, first, days, width)
        end = item.end or (as_of if item.open else None)
        bucket = (lane, int(x1 // 14))
        offset = stacked.get(bucket, 0)
        stacked[bucket] = offset + 1
        y = TOP + lane * LANE_H + 14 + (offset % 3) * 9
        alert = bool(item.alerts)
        name = f"{item.label or SHORT.get(item.kind, item.kind)}: {item.detail}" + (
            f" — {'; '.join(item.alerts)}" if alert else "")
        cls = "fda-tl-item fda-tl-alert" if alert else "fda-tl-item"
        out.append(f'<g class="{cls}" tabindex="0" role="img" aria-label="{escape(name)}" id="tl-{escape(item.id)}">')
        out.append(f"<title>{escape(name)}</title>")
        if end is not None and end != item.start:
            x2 = max(_x(end, first, days, width), x1 + 4)
            fill = "url(#tl-open)" if item.open and item.end is None else "#1d70b8"
            stroke = ' stroke="#d4351c" stroke-width="3"' if alert else ""
            out.append(f'<rect x="{x1:.1f}" y="{y:.1f}" width="{x2 - x1:.1f}" height="14" rx="3" fill="{fill}"{stroke}/>')
            cx = x1
        else:
            cx = x1
            fill = "#d4351c" if alert else "#0b0c0c"
            out.append(f'<circle cx="{cx:.1f}" cy="{y + 7:.1f}" r="6" fill="{fill}"/>')
        out.append(f'<text x="{cx:.1f}" y="{y - 2:.1f}" class="fda-tl-label">{escape(SHORT.get(item.kind, item.kind))}</text>')
        if alert:
            out.append(f'<text x="{cx:.1f}" y="{y + 26:.1f}" class="fda-tl-alert-text">⚠ {escape(item.alerts[0])}</text>')
        out.append("</g>")
        positions[item.id] = (cx, y + 7)
    for link in links:
        if link.source not in positions or link.target not in positions:
            continue
        (sx, sy), (tx, ty) = positions[link.source], positions[link.target]
        if abs(sx - tx) < 1 and abs(sy - ty) < 1:
            continue
        colour = "#d4351c" if link.alert else "#505a5f"
        dash = ' stroke-dasharray="4 3"' if link.alert else ""
        mid = (sx + tx) / 2
        out.append(
            f'<path d="M {sx:.1f} {sy:.1f} C {mid:.1f} {sy:.1f}, {mid:.1f} {ty:.1f}, {tx:.1f} {ty:.1f}" fill="none" '
            f'stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#tl-arrow)"><title>{escape(link.label)}</title></path>'
        )
    as_of_x = _x(min(as_of, last), first, days, width)
    out.append(f'<line x1="{as_of_x:.1f}" y1="{TOP - 6}" x2="{as_of_x:.1f}" y2="{axis_y}" class="fda-tl-asof"/>')
    out.append(f'<text x="{as_of_x:.1f}" y="{TOP - 10}" text-anchor="middle" class="fda-tl-tick">as at {as_of:%d/%m/%Y}</text>')
    out.append("</svg>")
    return "".join(out)
