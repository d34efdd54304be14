"""The quality x timeliness matrix: each audited case a point, grade up, timeliness across.

Right of the centre line is within the timescale, top half is good or better, so the top
right quadrant is "timely and good".  Assessments are circles, conferences triangles;
quadrants are named in text, outside the plot so no point hides a name.
"""

from markupsafe import Markup

from .svg import PALETTE, esc, finish, marker, svg_open

__all__ = ["quality_timeliness_svg", "CLIP", "SHORT_GRADES", "spread"]

CLIP = 100  # per cent of the timescale either side of the line
SHORT_GRADES = {"requires_improvement": "Requires improvement"}
_OFFSETS = (0, 1, -1, 2, -2, 3, -3)


def spread(slot: int) -> int:
    """Where the ``slot``-th point at the same place goes: 0, +1, -1, +2, ... steps."""
    return _OFFSETS[slot % len(_OFFSETS)]


def quality_timeliness_svg(
    points: list[dict],
    *,
    grades: list[tuple[str, str]],
    title: str,
    table_id: str | None = None,
    width: int = 720,
    height: int = 460,
) -> Markup:
    """``points`` have ``grade``, ``working_days``, ``limit``, ``measure``; grades best first."""
    left, right, top, bottom = 170, 20, 34, 92
    plot_w, plot_h = width - left - right, height - top - bottom
    band = plot_h / max(len(grades), 1)
    mid_x = left + plot_w / 2
    good_y = top + band * 2
    out = [svg_open(width, height, title, table_id=table_id)]
    out.append(
        f'<rect x="{mid_x:.1f}" y="{top}" width="{plot_w / 2:.1f}" height="{band * 2:.1f}"'
        ' fill="#e8f1f8"/>'
    )
    out.append(
        f'<rect x="{left}" y="{good_y:.1f}" width="{plot_w / 2:.1f}"'
        f' height="{plot_h - band * 2:.1f}"'
        ' fill="#f3f2f1"/>'
    )
    for i, (value, label) in enumerate(grades):
        y = top + band * i + band / 2
        out.append(
            f'<text x="{left - 8}" y="{y + 5:.1f}" text-anchor="end" font-size="13">'
            f"{esc(SHORT_GRADES.get(value, label))}</text>"
        )
        if i < len(grades) - 1:
            out.append(
                f'<line x1="{left}" y1="{top + band * (i + 1):.1f}" x2="{left + plot_w}"'
                f' y2="{top + band * (i + 1):.1f}" stroke="#b1b4b6" stroke-dasharray="2 3"/>'
            )
    out.append(
        f'<line x1="{mid_x:.1f}" y1="{top}" x2="{mid_x:.1f}" y2="{top + plot_h}" stroke="#0b0c0c"'
        ' stroke-width="2"/>'
    )
    out.append(
        f'<line x1="{left}" y1="{good_y:.1f}" x2="{left + plot_w}" y2="{good_y:.1f}"'
        ' stroke="#0b0c0c" stroke-width="2"/>'
    )
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#0b0c0c"/>'
    )
    below = top + plot_h + 18
    for text, x, y, anchor in (
        ("Good but late", left, top - 10, "start"),
        ("Timely and good", left + plot_w, top - 10, "end"),
        ("Late and not good", left, below, "start"),
        ("Timely but not good", left + plot_w, below, "end"),
    ):
        out.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-weight="bold"'
            f' font-size="13">{esc(text)}</text>'
        )
    index = {g: i for i, (g, _) in enumerate(grades)}
    seen: dict[tuple[int, int], int] = {}
    for p in points:
        if p["grade"] not in index:
            continue
        share = max(-CLIP, min(CLIP, 100 * (p["limit"] - p["working_days"]) / p["limit"]))
        x = mid_x + share / CLIP * (plot_w / 2 - 10)
        row = index[p["grade"]]
        spot = (row, round(x / 8))
        slot = seen.get(spot, 0)
        seen[spot] = slot + 1
        y = top + band * row + band / 2 + spread(slot) * (band / 8)
        icpc = p["measure"] != "Assessment"
        shape = marker(
            "triangle" if icpc else "circle", x, y, 6, PALETTE[3] if icpc else PALETTE[0]
        )
        out.append(
            f"<g><title>{esc(p['pseudonym'])}: {esc(p['grade_label'])}, {esc(p['measure'].lower())}"
            f" in {p['working_days']} of {p['limit']} working days</title>{shape}</g>"
        )
    axis = top + plot_h + 40
    out.append(f'<text x="{left}" y="{axis}" font-size="12">← later than the timescale</text>')
    out.append(
        f'<text x="{mid_x:.1f}" y="{axis}" font-size="12" text-anchor="middle">the timescale</text>'
    )
    out.append(
        f'<text x="{left + plot_w}" y="{axis}" font-size="12" text-anchor="end">'
        "quicker than the timescale →</text>"
    )
    legend = height - 14
    out.append(marker("circle", left + 6, legend - 4, 5, PALETTE[0]))
    out.append(
        f'<text x="{left + 16}" y="{legend}" font-size="12">assessment (45 working days)</text>'
    )
    out.append(marker("triangle", left + 236, legend - 4, 5, PALETTE[3]))
    out.append(
        f'<text x="{left + 246}" y="{legend}" font-size="12">'
        "initial conference (15 working days)</text>"
    )
    return finish(out)
