"""Horizontal bar chart (for example the grade distribution): a patterned, labelled bar a row."""

from markupsafe import Markup

from .svg import defs, esc, fill, finish, svg_open

__all__ = ["bar_chart_svg"]


def bar_chart_svg(
    rows: list[tuple[str, int, str]],
    *,
    title: str,
    table_id: str | None = None,
    prefix: str = "bars",
    width: int = 640,
) -> Markup:
    """``rows`` are (label, count, value text); each bar has its own pattern and its number."""
    left, right, bar_h, gap, top = 230, 120, 28, 12, 10
    height = top + len(rows) * (bar_h + gap) + 10
    biggest = max((count for _, count, _ in rows), default=0) or 1
    span = width - left - right
    out = [svg_open(width, height, title, table_id=table_id), defs(prefix)]
    for i, (label, count, text) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = span * count / biggest
        out.append(
            f'<text x="{left - 8}" y="{y + bar_h / 2 + 5}" text-anchor="end" fill="#0b0c0c">'
            f"{esc(label)}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}"'
            f' fill="{fill(prefix, i)}" '
            'stroke="#0b0c0c"/>'
        )
        out.append(
            f'<text x="{left + w + 8:.1f}" y="{y + bar_h / 2 + 5}" fill="#0b0c0c">'
            f"{esc(text)}</text>"
        )
    out.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 6}" stroke="#0b0c0c"/>')
    return finish(out)
