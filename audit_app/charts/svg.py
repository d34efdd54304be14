"""Shared pieces of the report charts: escaping, a colour-blind-safe palette and fill patterns.

Colour is never the only cue: every series also has a pattern or a marker shape, and a
text label, and every chart sits beside a table of the same numbers.
"""

from html import escape

from markupsafe import Markup

__all__ = ["PALETTE", "PATTERNS", "MARKERS", "esc", "defs", "fill", "svg_open", "finish", "marker"]

#: Okabe and Ito's palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
PATTERNS = ("solid", "diagonal", "dots", "cross", "horizontal", "vertical", "backdiagonal", "grid")
MARKERS = ("circle", "square", "triangle", "diamond")


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def defs(prefix: str) -> str:
    """Pattern fills ``{prefix}-p0`` .. ``{prefix}-p7``: palette colour with a pattern over it."""
    out = ["<defs>"]
    for i, (colour, kind) in enumerate(zip(PALETTE, PATTERNS, strict=True)):
        out.append(
            f'<pattern id="{prefix}-p{i}" patternUnits="userSpaceOnUse" width="8" height="8">'
            f'<rect width="8" height="8" fill="{colour}"/>'
        )
        stroke = 'stroke="#fff" stroke-width="1.6"'
        if kind == "diagonal":
            out.append(f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" {stroke}/>')
        elif kind == "dots":
            out.append('<circle cx="4" cy="4" r="1.7" fill="#fff"/>')
        elif kind == "cross":
            out.append(f'<path d="M0,0 l8,8 M8,0 l-8,8" {stroke}/>')
        elif kind == "horizontal":
            out.append(f'<path d="M0,4 h8" {stroke}/>')
        elif kind == "vertical":
            out.append(f'<path d="M4,0 v8" {stroke}/>')
        elif kind == "backdiagonal":
            out.append(f'<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" {stroke}/>')
        elif kind == "grid":
            out.append(f'<path d="M0,4 h8 M4,0 v8" {stroke}/>')
        out.append("</pattern>")
    out.append("</defs>")
    return "".join(out)


def fill(prefix: str, i: int) -> str:
    return f"url(#{prefix}-p{i % len(PALETTE)})"


def svg_open(
    width: int,
    height: int,
    title: str,
    *,
    table_id: str | None = None,
    css_class: str = "fda-chart",
) -> str:
    described = f' aria-describedby="{esc(table_id)}"' if table_id else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width} '
        f'{height}"'
        f' width="100%" role="img" aria-label="{esc(title)}"{described}'
        f' font-family="Arial, sans-serif" font-size="14"><title>{esc(title)}</title>'
    )


def finish(parts: list[str]) -> Markup:
    """The SVG as markup for a template: every piece was built from escaped text."""
    return Markup("".join(parts) + "</svg>")


def marker(shape: str, x: float, y: float, r: float, colour: str) -> str:
    style = f'fill="{colour}" stroke="#0b0c0c" stroke-width="1"'
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}"'
            f" {style}/>"
        )
    if shape == "triangle":
        return (
            f'<path d="M{x:.1f},{y - r * 1.2:.1f} L{x + r * 1.1:.1f},{y + r * 0.8:.1f} '
            f'L{x - r * 1.1:.1f},{y + r * 0.8:.1f} Z" {style}/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M{x:.1f},{y - r * 1.3:.1f} L{x + r * 1.3:.1f},{y:.1f} '
            f"L{x:.1f},{y + r * 1.3:.1f} "
            f'L{x - r * 1.3:.1f},{y:.1f} Z" {style}/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}/>'
