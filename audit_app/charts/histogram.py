"""Vertical histogram over named bands (for example assessment duration in working days)."""

from markupsafe import Markup

from .svg import defs, esc, fill, finish, svg_open

__all__ = ["histogram_svg"]


def histogram_svg(
    bands: list[tuple[str, int]],
    *,
    title: str,
    x_label: str,
    table_id: str | None = None,
    highlight_upto: int | None = None,
    prefix: str = "hist",
    width: int = 720,
    height: int = 300,
) -> Markup:
    """Bars for ``bands`` (label, count), counts printed on top.

    Bands up to index ``highlight_upto`` (within the timescale) are solid; later ones are
    hatched, so "within" and "over" read apart without colour.
    """
    left, bottom, top, right = 50, 70, 24, 10
    n = max(len(bands), 1)
    biggest = max((c for _, c in bands), default=0) or 1
    slot = (width - left - right) / n
    plot_h = height - top - bottom
    out = [svg_open(width, height, title, table_id=table_id), defs(prefix)]
    for i, (label, count) in enumerate(bands):
        h = plot_h * count / biggest
        x = left + i * slot + 4
        over = highlight_upto is not None and i > highlight_upto
        out.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot - 8:.1f}"'
            f' height="{max(h, 0.5):.1f}"'
            f' fill="{fill(prefix, 3 if over else 0)}" stroke="#0b0c0c"/>'
        )
        out.append(
            f'<text x="{x + (slot - 8) / 2:.1f}" y="{top + plot_h - h - 5:.1f}" '
            f'text-anchor="middle">{count}</text>'
        )
        out.append(
            f'<text x="{x + (slot - 8) / 2:.1f}" y="{top + plot_h + 18:.1f}" text-anchor="middle" '
            f'font-size="12">{esc(label)}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#0b0c0c"/>'
    )
    out.append(
        f'<text x="{(width + left) / 2:.1f}" y="{height - 38}" text-anchor="middle">'
        f"{esc(x_label)}</text>"
    )
    if highlight_upto is not None:
        out.append(
            f'<text x="{left}" y="{height - 12}" font-size="12">Plain bars: within the timescale. '
            "Hatched bars: over it.</text>"
        )
    return finish(out)
