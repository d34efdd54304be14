"""The journey timeline: one lane per service, time across, bars, markers and "led to" arrows.

Breaches and anomalies are drawn in colour *and* labelled in text, never by colour
alone.  Every element can take focus and carries a ``<title>`` with its dates and
working days, so hover and keyboard focus both show them (``static/cases.js`` also
writes the focused element's details under the picture).  Items that would overlap
in a lane are stacked on tracks of their own, so labels never sit on each other.
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

LEFT, RIGHT, TOP, AXIS_H = 184, 16, 30, 30
TRACK_H, LANE_PAD = 30, 6
CHAR_W = 6.4  # average width of a character of the 11px labels
ALERT_CHARS = 44
SHORT = {"contact": "C", "early_help": "EH", "referral": "R", "assessment": "A", "s47": "S47",
         "icpc": "ICPC", "cin_episode": "CIN", "cin_plan": "CINP", "cp_plan": "CPP", "lac": "LAC",
         "closure": "End"}  # fmt: skip
PAD_DAYS = 14


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


def _month_ticks(first: date, last: date) -> list[date]:
    months = (last.year - first.year) * 12 + last.month - first.month
    step = 1 if months <= 15 else 3 if months <= 48 else 6 if months <= 96 else 12
    tick = date(first.year, first.month, 1)
    ticks = []
    while tick <= last:
        if tick >= first and (tick.month - 1) % step == 0:
            ticks.append(tick)
        year, month = divmod(tick.year * 12 + tick.month, 12)
        tick = date(year, month + 1, 1)
    return ticks


def _short_alert(item: TimelineItem) -> str:
    text = item.alerts[0]
    if len(text) > ALERT_CHARS:
        text = text[: ALERT_CHARS - 1].rstrip() + "…"
    if len(item.alerts) > 1:
        text += f" (+{len(item.alerts) - 1} more)"
    return "⚠ " + text


@dataclass
class _Placed:
    item: TimelineItem
    lane: int
    x1: float
    x2: float | None  # None: a marker
    label: str
    alert: str
    limit: float  # the right edge the text must stay inside
    track: int = 0

    @property
    def text_width(self) -> float:
        return len(self.label) * CHAR_W + (len(self.alert) * CHAR_W + 6 if self.alert else 0)

    @property
    def text_x(self) -> float:
        """Where the label starts: above the mark, or pulled left to end inside the picture."""
        return max(LEFT - 4.0, min(self.x1 - 4, self.limit - self.text_width))

    @property
    def right(self) -> float:
        return max(self.x2 or self.x1, self.text_x + self.text_width) + 8

    @property
    def left(self) -> float:
        return min(self.x1 - 7, self.text_x - 2)


def _span(items: list[TimelineItem], as_of: date) -> tuple[date, date, bool]:
    """The dates the axis covers, and whether the as-at date lies on it."""
    first = min(i.start for i in items)
    last = max(i.end or i.start for i in items)
    if any(i.open and i.end is None for i in items):
        last = max(last, as_of)
    on_axis = first - timedelta(days=PAD_DAYS) <= as_of <= last + timedelta(days=PAD_DAYS * 3)
    if on_axis:
        first, last = min(first, as_of), max(last, as_of)
    span = max((last - first).days, 60)
    pad = max(PAD_DAYS, span // 40)
    return first - timedelta(days=pad), last + timedelta(days=pad * 2), on_axis


def _pack(placed: list[_Placed]) -> list[int]:
    """Give each item the first track of its lane it does not overlap; tracks per lane."""
    rights: dict[int, list[float]] = {}
    for p in sorted(placed, key=lambda p: (p.lane, p.x1)):
        tracks = rights.setdefault(p.lane, [])
        for i, right in enumerate(tracks):
            if right < p.left:
                p.track, tracks[i] = i, p.right
                break
        else:
            p.track = len(tracks)
            tracks.append(p.right)
    return [max(1, len(rights.get(i, []))) for i in range(len(LANES))]


def timeline_svg(
    items: list[TimelineItem],
    links: list[TimelineLink],
    *,
    as_of: date,
    width: int = 960,
    title: str = "Journey timeline",
    description: str = "",
) -> str:
    """The SVG markup (escaped throughout) for ``items`` linked by ``links``."""
    desc = description or "One lane per service, time from left to right."
    if not items:
        height = TOP + len(LANES) * (TRACK_H + 2 * LANE_PAD) + AXIS_H
        lanes = [TRACK_H + 2 * LANE_PAD] * len(LANES)
        return "".join(
            [
                *_head(width, height, title, desc),
                *_lanes(width, lanes),
                f'<text x="{LEFT}" y="{TOP + 28}" class="fda-tl-empty">'
                "No events recorded for this child.</text>",
                "</svg>",
            ]
        )
    first, last, on_axis = _span(items, as_of)
    days = max((last - first).days, 1)
    scale = (width - LEFT - RIGHT) / days

    def x(day: date) -> float:
        return LEFT + (day - first).days * scale

    placed = []
    rank = {kind: i for i, kind in enumerate(SHORT)}  # the order a journey runs
    for item in sorted(items, key=lambda i: (i.start, rank.get(i.kind, 99), i.id)):
        end = item.end or (as_of if item.open and on_axis else None)
        x1 = x(item.start)
        x2 = max(x(end), x1 + 4) if end is not None and end != item.start else None
        if item.open and item.end is None and x2 is None:
            x2 = width - RIGHT  # open past the end of the axis
        alert = _short_alert(item) if item.alerts else ""
        placed.append(
            _Placed(
                item,
                LANE_OF.get(item.kind, 1),
                x1,
                x2,
                SHORT.get(item.kind, item.kind),
                alert,
                width - RIGHT,
            )
        )
    tracks = _pack(placed)
    lane_h = [n * TRACK_H + 2 * LANE_PAD for n in tracks]
    lane_top = [TOP + sum(lane_h[:i]) for i in range(len(LANES))]
    axis_y = TOP + sum(lane_h)
    height = axis_y + AXIS_H

    out = [*_head(width, height, title, desc), *_lanes(width, lane_h)]
    ticks = _month_ticks(first, last)
    for n, tick in enumerate(ticks):
        tx = x(tick)
        out.append(
            f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{axis_y}" class="fda-tl-grid"/>'
        )
        fmt = "%b %Y" if tick.month == 1 or n == 0 else "%b"
        out.append(
            f'<text x="{tx + 3:.1f}" y="{axis_y + 18}" class="fda-tl-tick">'
            f"{tick.strftime(fmt)}</text>"
        )
    if on_axis:
        ax = x(as_of)
        out.append(
            f'<line x1="{ax:.1f}" y1="{TOP - 4}" x2="{ax:.1f}" y2="{axis_y}" class="fda-tl-asof"/>'
        )
        anchor = "end" if ax > width - 80 else "middle"
        out.append(
            f'<text x="{ax:.1f}" y="{TOP - 8}" text-anchor="{anchor}" class="fda-tl-tick">'
            f"as at {as_of.day} {as_of:%b %Y}</text>"
        )
    else:
        where = "after the last event" if as_of > last else "before the first event"
        out.append(
            f'<text x="{width - RIGHT}" y="{TOP - 10}" text-anchor="end" class="fda-tl-tick">'
            f"as at {as_of.day} {as_of:%b %Y} ({where})</text>"
        )

    centre: dict[str, tuple[float, float]] = {}
    for p in placed:
        y = lane_top[p.lane] + LANE_PAD + p.track * TRACK_H
        centre[p.item.id] = (p.x1, y + 19)
    for link in links:
        if link.source not in centre or link.target not in centre:
            continue
        (sx, sy), (tx, ty) = centre[link.source], centre[link.target]
        if abs(sx - tx) < 1 and abs(sy - ty) < 1:
            continue
        cls = "fda-tl-link fda-tl-link--alert" if link.alert else "fda-tl-link"
        mid = (sx + tx) / 2
        out.append(
            f'<path d="M {sx:.1f} {sy:.1f} C {mid:.1f} {sy:.1f}, '
            f'{mid:.1f} {ty:.1f}, {tx:.1f} {ty:.1f}" '
            f'class="{cls}" marker-end="url(#tl-arrow)"><title>{escape(link.label)}</title></path>'
        )
    for p in placed:
        out.extend(_item(p, lane_top[p.lane] + LANE_PAD + p.track * TRACK_H))
    out.append("</svg>")
    return "".join(out)


def _head(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        '<svg xmlns="http://www.w3.org/2000/svg" class="fda-timeline" '
        f'viewBox="0 0 {width} {height}" '
        f'width="100%" role="group" aria-labelledby="tl-title tl-desc">',
        f'<title id="tl-title">{escape(title)}</title>',
        f'<desc id="tl-desc">{escape(desc)}</desc>',
        '<defs><marker id="tl-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#505a5f"/></marker>'
        '<pattern id="tl-open" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="8" height="8" fill="#d2e2f1"/>'
        '<rect width="3" height="8" fill="#5694ca"/></pattern></defs>',
    ]


def _lanes(width: int, heights: list[int]) -> list[str]:
    out = []
    y = TOP
    for i, ((label, _), h) in enumerate(zip(LANES, heights, strict=True)):
        cls = "fda-tl-lane-bg" if i % 2 == 0 else "fda-tl-lane-bg fda-tl-lane-bg--alt"
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{h}" class="{cls}"/>')
        out.append(
            f'<text x="8" y="{y + LANE_PAD + 19}" class="fda-tl-lane">{escape(label)}</text>'
        )
        y += h
    out.append(
        f'<line x1="{LEFT - 6}" y1="{TOP}" x2="{LEFT - 6}" y2="{y}" class="fda-tl-divider"/>'
    )
    return out


def _item(p: _Placed, y: float) -> list[str]:
    item = p.item
    name = f"{item.label or p.label}: {item.detail}" + (
        f" — {'; '.join(item.alerts)}" if item.alerts else ""
    )
    cls = "fda-tl-item fda-tl-alert" if item.alerts else "fda-tl-item"
    out = [
        f'<g class="{cls}" tabindex="0" role="img" aria-label="{escape(name)}" '
        f'id="tl-{escape(item.id)}" '
        f'data-detail="{escape(name)}">',
        f"<title>{escape(name)}</title>",
    ]
    right = p.x2 if p.x2 is not None else p.x1 + 6
    out.append(
        f'<rect x="{p.x1 - 8:.1f}" y="{y:.1f}" width="{right - p.x1 + 16:.1f}" '
        f'height="{TRACK_H - 2}" '
        'class="fda-tl-focus" rx="2"/>'
    )
    if p.x2 is not None:
        fill = "fda-tl-bar fda-tl-bar--open" if item.open and item.end is None else "fda-tl-bar"
        out.append(
            f'<rect x="{p.x1:.1f}" y="{y + 14:.1f}" width="{p.x2 - p.x1:.1f}" '
            f'height="10" rx="2" class="{fill}"/>'
        )
    else:
        out.append(f'<circle cx="{p.x1:.1f}" cy="{y + 19:.1f}" r="5" class="fda-tl-dot"/>')
    out.append(
        f'<text x="{p.text_x:.1f}" y="{y + 10:.1f}" class="fda-tl-label">{escape(p.label)}</text>'
    )
    if p.alert:
        ax = p.text_x + len(p.label) * CHAR_W + 6
        out.append(
            f'<text x="{ax:.1f}" y="{y + 10:.1f}" class="fda-tl-alert-text">'
            f"{escape(p.alert)}</text>"
        )
    out.append("</g>")
    return out
