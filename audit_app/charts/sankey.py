"""The cohort Sankey: contact → referral → assessment outcome → CIN / CP / looked after.

Stages are columns left to right; a band's width is the number of children, and every
band and stage is labelled with its count in text, so nothing depends on colour.
:func:`sankey_layout` does the geometry once, for the SVG here and the Word picture.
"""

from markupsafe import Markup

from .svg import esc, finish, svg_open

__all__ = ["COLUMNS", "SHORT", "sankey_layout", "sankey_svg"]

#: The column of each stage, left to right.
COLUMNS: dict[str, int] = {
    "contact": 0, "early_help": 1, "referral": 1, "assessment": 2, "nfa": 3, "cin": 3,
    "s47": 3, "icpc": 4, "cp_plan": 5, "lac": 6,
}  # fmt: skip
NODE_W = 14
#: Short names: a column is only about 120 pixels wide.
SHORT = {"contact": "Contact", "early_help": "Early help", "referral": "Referral",
         "assessment": "Assessment", "nfa": "NFA", "cin": "CIN", "s47": "S47", "icpc": "ICPC",
         "cp_plan": "CP plan", "lac": "Looked after"}  # fmt: skip
HALO = 'paint-order="stroke" stroke="#fff" stroke-width="4" stroke-linejoin="round"'


def sankey_layout(links, *, width: float, height: float, right: float = 110) -> dict:
    """Nodes ``{stage: (x, y, h, size)}`` and bands ``[(s, t, n, x0, y0, x1, y1, w)]``.

    Only forward moves (to a later column) are drawn; y grows downwards.
    """
    links = [
        (s, t, n)
        for s, t, n in links
        if n > 0 and s in COLUMNS and t in COLUMNS and COLUMNS[t] > COLUMNS[s]
    ]
    stages = sorted(
        {s for s, _, _ in links} | {t for _, t, _ in links}, key=lambda k: (COLUMNS[k], k)
    )
    inflow = {k: sum(n for _, t, n in links if t == k) for k in stages}
    outflow = {k: sum(n for s, _, n in links if s == k) for k in stages}
    size = {k: max(inflow[k], outflow[k]) for k in stages}
    columns = sorted({COLUMNS[k] for k in stages})
    top, bottom, left, gap = 24, 10, 10, 30
    biggest = max((sum(size[k] for k in stages if COLUMNS[k] == c) for c in columns), default=1)
    crowded = max((sum(1 for k in stages if COLUMNS[k] == c) for c in columns), default=1)
    scale = (height - top - bottom - gap * (crowded - 1)) / max(biggest, 1)
    step = (width - left - right - NODE_W) / max(len(columns) - 1, 1)
    nodes: dict[str, tuple[float, float, float, int]] = {}
    for i, c in enumerate(columns):
        y = top
        for k in (k for k in stages if COLUMNS[k] == c):
            h = max(size[k] * scale, 2)
            nodes[k] = (left + i * step, y, h, size[k])
            y += h + gap
    used_out = dict.fromkeys(stages, 0.0)
    used_in = dict.fromkeys(stages, 0.0)
    bands = []
    for s, t, n in sorted(links, key=lambda link: (COLUMNS[link[0]], nodes[link[1]][1])):
        w = n * scale
        y0 = nodes[s][1] + used_out[s] + w / 2
        y1 = nodes[t][1] + used_in[t] + w / 2
        used_out[s] += w
        used_in[t] += w
        bands.append((s, t, n, nodes[s][0] + NODE_W, y0, nodes[t][0], y1, w))
    return {"nodes": nodes, "bands": bands}


def sankey_svg(
    links,
    *,
    labels: dict[str, str],
    title: str,
    table_id: str | None = None,
    width: int = 900,
    height: int = 420,
) -> Markup:
    """``links`` are (source stage, target stage, children)."""
    layout = sankey_layout(links, width=width, height=height)
    out = [svg_open(width, height, title, table_id=table_id)]
    for s, t, n, x0, y0, x1, y1, w in layout["bands"]:
        mid = (x0 + x1) / 2
        out.append(
            f'<path d="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"'
            f' fill="none" stroke="#5694ca" stroke-opacity="0.45" stroke-width="{max(w, 1):.1f}">'
            f"<title>{esc(labels.get(s, s))} → {esc(labels.get(t, t))}: {n:,} "
            "children</title></path>"
        )
        if w >= 12:
            out.append(
                f'<text x="{mid:.1f}" y="{(y0 + y1) / 2 + 4:.1f}" text-anchor="middle"'
                f' font-size="11" {HALO}>{n:,}</text>'
            )
    for k, (x, y, h, size) in layout["nodes"].items():
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{h:.1f}" fill="#0b0c0c"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{y - 5:.1f}" font-size="12" font-weight="bold" {HALO}>'
            f"{esc(SHORT.get(k, labels.get(k, k)))} {size:,}</text>"
        )
    return finish(out)
