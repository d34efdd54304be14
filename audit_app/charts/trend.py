"""Quarterly trend lines: one line per measure, each with its own marker shape and end label."""

from markupsafe import Markup

from .svg import MARKERS, PALETTE, esc, finish, marker, svg_open

__all__ = ["trend_svg"]


def trend_svg(
    periods: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    title: str,
    y_label: str = "",
    table_id: str | None = None,
    width: int = 720,
    height: int = 280,
) -> Markup:
    """``series`` are (name, values per period); None leaves a gap."""
    left, right, top, bottom = 60, 60, 20, 50 + 22 * len(series)
    height += 22 * len(series)
    values = [v for _, vs in series for v in vs if v is not None]
    high = max(values, default=1) or 1
    low = min(0.0, min(values, default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(periods) - 1, 1)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / ((high - low) or 1) * plot_h

    out = [svg_open(width, height, title, table_id=table_id)]
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#0b0c0c"/>'
    )
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#0b0c0c"/>')
    out.append(
        f'<text x="{left - 6}" y="{y(high) + 5:.1f}" text-anchor="end" font-size="12">'
        f"{high:g}</text>"
    )
    out.append(
        f'<text x="{left - 6}" y="{y(low) + 5:.1f}" text-anchor="end" font-size="12">{low:g}</text>'
    )
    for i, label in enumerate(periods):
        out.append(
            f'<text x="{left + i * step:.1f}" y="{top + plot_h + 20}" text-anchor="middle" '
            f'font-size="12">{esc(label)}</text>'
        )
    if y_label:
        out.append(f'<text x="{left + 6}" y="{top + 4}" font-size="12">{esc(y_label)}</text>')
    for s, (name, vs) in enumerate(series):
        colour, shape = PALETTE[s % len(PALETTE)], MARKERS[s % len(MARKERS)]
        dash = (
            "",
            ' stroke-dasharray="6 4"',
            ' stroke-dasharray="2 3"',
            ' stroke-dasharray="10 3 2 3"',
        )[s % 4]
        points = [(left + i * step, y(v)) for i, v in enumerate(vs) if v is not None]
        if len(points) > 1:
            d = " ".join(
                f"{'M' if j == 0 else 'L'}{px:.1f},{py:.1f}" for j, (px, py) in enumerate(points)
            )
            out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for px, py in points:
            out.append(marker(shape, px, py, 5, colour))
        if points:
            last = [v for v in vs if v is not None][-1]
            out.append(
                f'<text x="{points[-1][0] + 10:.1f}" y="{points[-1][1] + 5:.1f}" font-size="12">'
                f"{last:g}</text>"
            )
        ly = top + plot_h + 44 + 22 * s
        out.append(
            f'<line x1="{left}" y1="{ly - 4}" x2="{left + 30}" y2="{ly - 4}" stroke="{colour}"'
            f' stroke-width="2.5"{dash}/>'
        )
        out.append(marker(shape, left + 15, ly - 4, 5, colour))
        out.append(f'<text x="{left + 40}" y="{ly}" font-size="12">{esc(name)}</text>')
    return finish(out)
