"""The SEF as files: a Word document in Appendix C's shape, a workbook and CSVs of every table.

Everything here works on the SEF document (plain data from ``workspace.sef_document``),
already pseudonymised: children are keyed pseudonyms and age bands; auditors are
"Auditor 1", "Auditor 2", ... ; no names, dates of birth or child identifiers.
"""

import io
import json
import re
import zipfile
from copy import deepcopy
from datetime import datetime
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..exporting import csv_text, safe_cell

__all__ = [
    "SECTIONS",
    "SECTION_8A",
    "SECTION_8B",
    "CHECKLIST",
    "for_export",
    "evidence_tables",
    "docx_bytes",
    "xlsx_bytes",
    "csv_zip_bytes",
    "table_csv",
    "json_text",
]

#: Appendix C's numbered sections.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("1", "1. Description of social care front door arrangements"),
    ("2", "2. Thresholds and Policies"),
    ("3", "3. Effectiveness of Partnerships"),
    ("4", "4. Keeping every child at the centre"),
    ("5", "5. Quality of Practice"),
    ("6", "6. Resources: Workforce and finance"),
    ("7", "7. Leadership and decision making"),
    ("8", "8. Outcomes"),
    ("9", "9. Summarising priorities and areas for improvement"),
)
SECTION_8A = "a) For the child and family – did we make a difference"
SECTION_8B = (
    "b) For the service – is the service deemed to be ‘good’ or better - effective and efficient"
)
TITLE = "Self-Evaluation of the Social Care Front Door Arrangements"

#: Appendix A's checklist: key, short name, what it asks.
CHECKLIST: tuple[tuple[str, str, str], ...] = (
    (
        "a",
        "Context",
        "Demonstrate you know about the area, the needs of the communities, the rationale for what "
        "you are doing and what impact that is having.",
    ),
    (
        "b",
        "Outcome focused",
        "The 'so what' question: how has what you have done, are doing or plan to do made a "
        "difference? Be outcome focused, and evidence impact.",
    ),
    (
        "c",
        "What difference did you make",
        "Be clear about what outcomes you expect for children, young people and their families.",
    ),
    (
        "d",
        "Where outcomes do need to improve",
        "Clearly articulate what may have caused this, and what actions are in place to improve.",
    ),
    (
        "e",
        "Evidence equalities",
        "Services are accessible for all children and families; you know the performance of "
        "vulnerable and other groups and have strategies to narrow any gap.",
    ),
    (
        "f",
        "Protecting children at risk of specific types of harm",
        "Identifying and meeting needs at the earliest opportunity and reducing need and demand.",
    ),
    (
        "g",
        "Concise",
        "Sufficient evidence and analysis for the reader to draw conclusions and identify areas "
        "for challenge or success.",
    ),
    (
        "h",
        "Golden thread",
        "A golden thread and synergy to other plans and strategies; reflects on previous "
        "self-evaluations.",
    ),
    (
        "i",
        "Compliance to government policy and legislation",
        "Including learning from serious case reviews, judicial reviews, child death panels and "
        "LADOs.",
    ),
    (
        "j",
        "Use data wisely",
        "Data clearly support statements about need, services and difference made; analysis drills "
        "down to client groups, timeframes and localities.",
    ),
    ("k", "Celebrate successes", "Include examples of where outcomes have been improved."),
    (
        "l",
        "Lived experience of children",
        "The lived experiences of children, their views and wishes, and how they are engaged, are "
        "present.",
    ),
    (
        "m",
        "Learning organisation",
        "The right environment and culture for practice to flourish; learning from your own "
        "services and others; strong workforce development.",
    ),
    ("n", "Financial information", "Current, historic and projected budgets."),
    (
        "o",
        "Workforce",
        "Whether the workforce is the right size, skilled, supervised, supported and working "
        "collaboratively.",
    ),
    (
        "p",
        "Systematically woven into performance management",
        "Self-evaluation, improvement planning and monitoring woven into everyday performance "
        "management.",
    ),
)


def for_export(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of the SEF document fit to leave the service: auditors become "Auditor N"."""
    out = deepcopy(doc)
    section5 = out.get("section5") or {}
    rows = (section5.get("by") or {}).get("auditor") or []
    names = sorted({r["group"] for r in rows if r["group"] != "Not assigned"})
    relabel = {name: f"Auditor {i}" for i, name in enumerate(names, start=1)}
    for row in rows:
        row["group"] = relabel.get(row["group"], row["group"])
    out["pseudonymised"] = True
    return out


def _pct(p: dict[str, Any] | None) -> str:
    return "–" if not p or p.get("value") is None else f"{100 * p['value']:.0f}%"


def _ci(p: dict[str, Any] | None) -> str:
    return (p or {}).get("ci_text") or "–"


def _group_table(key: str, title: str, rows: list[dict]) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "headers": [
            "Group",
            "Cases graded",
            "Good or better",
            "95% interval",
            "Inadequate",
            "95% interval",
            "Position",
        ],
        "rows": [
            [
                r["group"],
                r["n"],
                _pct(r["good_or_better"]),
                _ci(r["good_or_better"]),
                _pct(r["inadequate"]),
                _ci(r["inadequate"]),
                r["position"],
            ]
            for r in rows
        ],
    }


def _measure_rows(rows: list[dict]) -> list[list]:
    return [
        [
            r["label"],
            r["numerator"],
            r["denominator"],
            _pct(r),
            _ci(r),
            "too few to compare" if r["too_few"] and r["denominator"] else "",
        ]
        for r in rows
    ]


MEASURE_HEADERS = ["Measure", "Yes", "Cases answered (n)", "%", "95% interval", "Note"]


def evidence_tables(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every evidence table of the SEF, as ``{"key", "title", "headers", "rows"}``."""
    s5, s8a = doc["section5"], doc["section8a"]
    s8b = doc.get("section8b") or {}
    c = s5["completion"]
    grades = s5["grades"]
    tables = [
        {
            "key": "audit_completion",
            "title": "Audits completed against those planned",
            "headers": ["Measure", "Value"],
            "rows": [
                ["Cases planned (sampled, not reserves)", c["planned"]],
                ["Cases due by the end of the period", c["due"]],
                ["Completed (submitted or later) of those due", c["completed_of_due"]["summary"]],
                ["95% interval", _ci(c["completed_of_due"])],
                ["Cases finalised", c["finalised"]],
                ["Cases counted in this section", s5["number_audited"]],
            ],
        },
        {
            "key": "grade_distribution",
            "title": "Grade distribution",
            "headers": ["Grade", "Cases", "%", "95% interval"],
            "rows": [[r["label"], r["count"], _pct(r), _ci(r)] for r in grades["rows"]]
            + [
                ["Not graded", grades["ungraded"], "", ""],
                ["All graded cases (n)", grades["n"], "", ""],
            ],
        },
        {
            "key": "headline_grades",
            "title": "Good or better and inadequate",
            "headers": ["Measure", "Cases", "n", "%", "95% interval"],
            "rows": [
                [
                    "Good or better",
                    grades["good_or_better"]["numerator"],
                    grades["n"],
                    _pct(grades["good_or_better"]),
                    _ci(grades["good_or_better"]),
                ],
                [
                    "Inadequate",
                    grades["inadequate"]["numerator"],
                    grades["n"],
                    _pct(grades["inadequate"]),
                    _ci(grades["inadequate"]),
                ],
            ],
        },
        _group_table("grades_by_theme", "Grades by theme", s5["by"]["theme"]),
        _group_table("grades_by_team", "Grades by team", s5["by"]["team"]),
        _group_table("grades_by_stage", "Grades by stage reached", s5["by"]["stage"]),
        _group_table("grades_by_auditor", "Grades by auditor", s5["by"]["auditor"]),
        {
            "key": "threshold_decisions",
            "title": "Threshold decisions",
            "headers": ["Judgement", "Cases", "n", "%", "95% interval"],
            "rows": [
                [r["label"], r["numerator"], r["denominator"], _pct(r), _ci(r)]
                for r in s5["threshold"]["rows"]
            ],
        },
        {
            "key": "management_oversight",
            "title": "Management oversight",
            "headers": MEASURE_HEADERS,
            "rows": _measure_rows(s5["management_oversight"]),
        },
        {
            "key": "voice_of_child",
            "title": "Voice of the child",
            "headers": MEASURE_HEADERS,
            "rows": _measure_rows(s5["voice_of_child"]),
        },
        {
            "key": "remedial_actions",
            "title": "Remedial actions",
            "headers": ["Measure", "Value"],
            "rows": [
                [
                    "Audited cases with remedial actions",
                    s5["actions"]["cases_with_actions"]["summary"],
                ],
                ["Actions raised", s5["actions"]["actions"]],
                ["Open", s5["actions"]["open"]],
                ["Open and overdue", s5["actions"]["overdue"]],
                ["Done", s5["actions"]["done"]],
            ],
        },
        {
            "key": "moderation_agreement",
            "title": "Moderation agreement",
            "headers": ["Measure", "Value", "95% interval"],
            "rows": [
                ["Moderated cases (n)", s5["moderation"]["n"], ""],
                [
                    "Same grade",
                    s5["moderation"]["exact"]["summary"],
                    _ci(s5["moderation"]["exact"]),
                ],
                [
                    "Within one grade",
                    s5["moderation"]["within_one"]["summary"],
                    _ci(s5["moderation"]["within_one"]),
                ],
                [
                    "Weighted kappa",
                    s5["moderation"]["kappa"]
                    if s5["moderation"]["kappa"] is not None
                    else s5["moderation"]["kappa_reason"],
                    "",
                ],
            ],
        },
        {
            "key": "learning_themes",
            "title": "Recurring learning themes",
            "headers": ["Theme", "From", "Cases", "Recurring"],
            "rows": [
                [r["theme"], r["source"], r["cases"], "yes" if r["recurring"] else ""]
                for r in s5["learning"]
            ],
        },
        {
            "key": "quality_timeliness",
            "title": "Quality and timeliness of each audited case",
            "headers": [
                "Child (pseudonym)",
                "Theme",
                "Age band",
                "Grade",
                "Measure",
                "Working days",
                "Timescale",
                "Quadrant",
            ],
            "rows": [
                [
                    p["pseudonym"],
                    p["theme"].replace("_", " "),
                    p["age_band"],
                    p["grade_label"],
                    p["measure"],
                    p["working_days"],
                    p["limit"],
                    p["quadrant"],
                ]
                for p in s5["matrix"]["points"]
            ],
        },
        {
            "key": "quality_timeliness_quadrants",
            "title": "Cases in each quadrant",
            "headers": ["Quadrant", "Cases"],
            "rows": [[q["quadrant"], q["n"]] for q in s5["matrix"]["quadrants"]]
            + [["No timed assessment or conference, or not graded", s5["matrix"]["untimed"]]],
        },
        {
            "key": "outcomes_child",
            "title": "Outcomes for the child and family",
            "headers": MEASURE_HEADERS,
            "rows": _measure_rows(s8a["measures"]),
        },
        {
            "key": "quotes",
            "title": "The child's lived experience, in their words",
            "headers": ["Theme", "Age band", "Quote"],
            "rows": [[q["theme"], q["age_band"], q["text"]] for q in s8a["quotes"]],
        },
    ]
    indicators = s8b.get("indicators") or {}
    tables.append(
        {
            "key": "service_indicators",
            "title": "Outcomes for the service: the evidence base",
            "headers": [
                "Indicator",
                "Value",
                "Unit",
                "Numerator",
                "Denominator",
                "England",
                "England: year and kind",
            ],
            "rows": [
                [
                    v.get("label") or k,
                    _fmt(v.get("value")),
                    v.get("unit") or "",
                    _fmt(v.get("numerator")),
                    _fmt(v.get("denominator")),
                    _fmt(v.get("england")),
                    f"{v['england'].get('year', '')}, {v['england'].get('kind', '')}"
                    if isinstance(v.get("england"), dict)
                    else "",
                ]
                for k, v in indicators.items()
            ],
        }
    )
    tables += _service_tables(indicators, s8b.get("trend") or [], s8b.get("flows"))
    tables.append(
        {
            "key": "checklist",
            "title": "Appendix A checklist",
            "headers": ["Item", "Element", "Ticked", "Notes"],
            "rows": [
                [c["key"], c["name"], "yes" if c["ticked"] else "", c["note"]]
                for c in doc["checklist"]
            ],
        }
    )
    return tables


def _bands_of(indicators: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return (indicators.get(key) or {}).get("bands") or []


def _flows_table(flows: dict[str, Any]) -> dict[str, Any]:
    labels = flows.get("labels") or {}
    return {
        "key": "cohort_flows",
        "title": "Where the children referred in the period went",
        "headers": ["From", "To", "Children"],
        "rows": [[labels.get(s, s), labels.get(t, t), n] for s, t, n in flows.get("links") or []],
    }


def _service_tables(
    indicators: dict[str, Any], trend: list[dict[str, Any]], flows: dict[str, Any] | None = None
) -> list[dict]:
    """The duration bands and the quarterly trend of every single-number indicator."""
    durations = _bands_of(indicators, "assessment_duration_bands")
    from_start = (indicators.get("assessment_duration_bands") or {}).get("bands_from_start") or []
    starts = {b["band"]: b["count"] for b in from_start}
    tables = [
        {
            "key": "assessment_duration",
            "title": "Assessment duration in working days",
            "headers": ["Band", "Referral to authorisation", "Assessment start to authorisation"],
            "rows": [[b["band"], b["count"], starts.get(b["band"], "")] for b in durations],
        },
        {
            "key": "icpc_timing",
            "title": "Strategy discussion to initial conference",
            "headers": ["Working days", "ICPCs"],
            "rows": [[b["band"], b["count"]] for b in _bands_of(indicators, "icpc_timing_bands")],
        },
    ]
    tables.append(_flows_table(flows or {}))
    keys = [
        k
        for k, v in (trend[0]["indicators"].items() if trend else [])
        if isinstance(v.get("value"), (int, float)) or v.get("value") is None
    ]
    tables.append(
        {
            "key": "service_trend",
            "title": "The last four quarters",
            "headers": ["Indicator", *[q["label"] for q in trend]],
            "rows": [
                [
                    trend[0]["indicators"][k]["label"],
                    *[_fmt(q["indicators"].get(k, {}).get("value")) for q in trend],
                ]
                for k in keys
            ],
        }
    )
    return tables


def _within(bands: list[dict[str, Any]], limit: str) -> int | None:
    return next((i for i, b in enumerate(bands) if b["band"].split("–")[-1] == limit), None)


def _fmt(value: Any) -> Any:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, float):
        return round(value, 3)
    return "" if value is None else value


# -- charts for the document (matplotlib: python-docx cannot embed SVG) --------------------

HATCHES = ("", "//", "..", "xx", "--", "||", "\\\\", "++")
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def _figure(width: float, height: float, layout: str | None = "constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=130, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> io.BytesIO:
    out = io.BytesIO()
    # Constrained layout rather than bbox_inches="tight": the figure is drawn once, not twice.
    fig.savefig(out, format="png", metadata={"Software": None})
    out.seek(0)
    return out


def grade_chart_png(s5: dict[str, Any]) -> io.BytesIO:
    rows = s5["grades"]["rows"]
    fig = _figure(6.5, 2.6)
    ax = fig.add_subplot()
    labels = [r["label"] for r in rows][::-1]
    counts = [r["count"] for r in rows][::-1]
    bars = ax.barh(labels, counts, color=COLOURS[: len(rows)][::-1], edgecolor="black")
    for bar, hatch in zip(bars, HATCHES[: len(rows)][::-1], strict=True):
        bar.set_hatch(hatch)
    for bar, r in zip(bars, rows[::-1], strict=True):
        ax.text(
            bar.get_width() + 0.1,
            bar.get_y() + bar.get_height() / 2,
            f"{r['count']} ({_pct(r)})",
            va="center",
            fontsize=8,
        )
    ax.set_xlabel(f"Cases (n = {s5['grades']['n']})")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def matrix_chart_png(s5: dict[str, Any]) -> io.BytesIO:
    from ..charts.scatter import CLIP, SHORT_GRADES, spread

    grades = [r["grade"] for r in s5["grades"]["rows"]]
    labels = [SHORT_GRADES.get(r["grade"], r["label"]) for r in s5["grades"]["rows"]]
    fig = _figure(6.5, 3.6)
    ax = fig.add_subplot()
    top = len(grades) - 0.5
    ax.axvspan(0, CLIP + 5, ymin=0.5, ymax=1, color="#e8f1f8", zorder=0)
    ax.axvline(0, color="black", linewidth=1.5)
    ax.axhline(1.5, color="black", linewidth=1.5)
    seen: dict[tuple[int, int], int] = {}
    placed: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    for p in s5["matrix"]["points"]:
        x = max(-CLIP, min(CLIP, 100 * (p["limit"] - p["working_days"]) / p["limit"]))
        row = len(grades) - 1 - grades.index(p["grade"])
        spot = (row, round(x / 4))
        slot = seen.get(spot, 0)
        seen[spot] = slot + 1
        xs, ys = placed[p["measure"] != "Assessment"]
        xs.append(x)
        ys.append(row + spread(slot) * 0.12)
    # One scatter per kind of point: one call per point is seconds on a large audit.
    for icpc, (xs, ys) in placed.items():
        ax.scatter(
            xs,
            ys,
            marker="^" if icpc else "o",
            color=COLOURS[3] if icpc else COLOURS[0],
            edgecolor="black",
            s=30,
            zorder=3,
            label="conference (15 days)" if icpc else "assessment (45 days)",
        )
    ax.set_yticks(range(len(grades)), labels[::-1], fontsize=8)
    ax.set_xlim(-CLIP - 5, CLIP + 5)
    ax.set_ylim(-0.5, top)
    ax.set_xticks([-CLIP, 0, CLIP], ["late", "the timescale", "quicker"], fontsize=8)
    ax.set_title("Good but late" + " " * 40 + "Timely and good", fontsize=8, fontweight="bold")
    ax.set_xlabel(
        "Late and not good" + " " * 40 + "Timely but not good", fontsize=8, fontweight="bold"
    )
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    return _png(fig)


def histogram_png(bands: list[tuple[str, int]], x_label: str, within: int | None) -> io.BytesIO:
    fig = _figure(6.5, 2.6)
    ax = fig.add_subplot()
    labels = [b for b, _ in bands]
    counts = [c for _, c in bands]
    bars = ax.bar(labels, counts, color=COLOURS[0], edgecolor="black")
    for i, bar in enumerate(bars):
        if within is not None and i > within:
            bar.set_color(COLOURS[3])
            bar.set_edgecolor("black")
            bar.set_hatch("//")
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            bar.get_height(),
            str(counts[i]),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.set_xlabel(x_label, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def sankey_png(flows: dict[str, Any]) -> io.BytesIO:
    import numpy as np
    from matplotlib.patches import Rectangle

    from ..charts.sankey import NODE_W, SHORT, sankey_layout

    width, height = 900, 420
    layout = sankey_layout([tuple(link) for link in flows["links"]], width=width, height=height)
    fig = _figure(6.8, 3.2, layout=None)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    labels = flows.get("labels") or {}
    t = np.linspace(0, 1, 40)
    ease = t * t * (3 - 2 * t)
    for _s, _t, n, x0, y0, x1, y1, w in layout["bands"]:
        xs = x0 + (x1 - x0) * t
        ys = y0 + (y1 - y0) * ease
        ax.fill_between(xs, ys - w / 2, ys + w / 2, color="#5694ca", alpha=0.45, linewidth=0)
        if w >= 12:
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                f"{n:,}",
                ha="center",
                va="center",
                fontsize=6,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85},
            )
    for k, (x, y, h, size) in layout["nodes"].items():
        ax.add_patch(Rectangle((x, y), NODE_W, h, color="#0b0c0c"))
        ax.text(
            x,
            y - 5,
            f"{SHORT.get(k, labels.get(k, k))} {size:,}",
            fontsize=6,
            va="bottom",
            fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85},
        )
    return _png(fig)


# -- Word --------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(text: Any, *, bold: bool = False):
    # Built as XML directly: python-docx's cell access is quadratic in the rows, and a
    # large authority's per-case table has hundreds of them.
    tc, p, r, t = (OxmlElement(tag) for tag in ("w:tc", "w:p", "w:r", "w:t"))
    if bold:
        properties = OxmlElement("w:rPr")
        properties.append(OxmlElement("w:b"))
        r.append(properties)
    t.text = _CONTROL.sub("", "" if text is None else str(text))
    t.set(qn("xml:space"), "preserve")
    r.append(t)
    p.append(r)
    tc.append(p)
    return tc


def _table(document, table: dict[str, Any]) -> None:
    document.add_paragraph(table["title"], style="Caption")
    rows = table["rows"] or [["No cases"] + [""] * (len(table["headers"]) - 1)]
    t = document.add_table(rows=0, cols=len(table["headers"]))
    t.style = "Table Grid"
    for i, row in enumerate([table["headers"], *rows]):
        tr = OxmlElement("w:tr")
        if i == 0:
            header = OxmlElement("w:trPr")
            header.append(OxmlElement("w:tblHeader"))
            tr.append(header)
        for value in row:
            tr.append(_cell(value, bold=i == 0))
        t._tbl.append(tr)
    document.add_paragraph()


def _narrative(document, text: str | None, empty: str = "Not yet written.") -> None:
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    if not paragraphs:
        document.add_paragraph(empty).italic = True
    for p in paragraphs:
        document.add_paragraph(p.strip())


def docx_bytes(doc: dict[str, Any]) -> bytes:
    """The SEF as a Word document following Appendix C."""
    doc = for_export(doc)
    tables = {t["key"]: t for t in evidence_tables(doc)}
    meta = doc["meta"]
    document = Document()
    document.core_properties.author = "Front Door Audit"
    document.core_properties.last_modified_by = "Front Door Audit"
    document.core_properties.title = TITLE
    document.core_properties.comments = "Pseudonymised"
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2)

    heading = document.add_heading(TITLE, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.LEFT
    info = document.add_table(rows=0, cols=2)
    info.style = "Table Grid"
    for label, value in (
        ("Date of Assessment:", meta.get("date_of_assessment") or ""),
        ("Lead Person:", meta.get("lead_person") or ""),
        ("Completed by (list professionals):", meta.get("completed_by") or ""),
        ("Period:", doc["scope_text"]),
        ("Generated:", doc["generated_at_text"]),
    ):
        row = info.add_row().cells
        row[0].text, row[1].text = label, value
    document.add_paragraph(
        "Pseudonymised: children appear only as keyed pseudonyms and age bands. "
        "Every figure shows its n; 95% intervals are Wilson score intervals; groups with "
        f"fewer than {doc['section5']['too_few']} cases are marked “too few to compare” and not "
        "ranked."
    )

    narrative = doc["narrative"]
    for key, title in SECTIONS:
        document.add_heading(title, level=1)
        if key == "5":
            _narrative(document, narrative.get("5"), "No commentary yet.")
            for k in ("audit_completion", "headline_grades", "grade_distribution"):
                _table(document, tables[k])
            document.add_picture(grade_chart_png(doc["section5"]), width=Cm(15))
            document.add_paragraph("Figure: grade distribution", style="Caption")
            for k in (
                "grades_by_theme",
                "grades_by_team",
                "grades_by_stage",
                "grades_by_auditor",
                "threshold_decisions",
                "management_oversight",
                "voice_of_child",
                "remedial_actions",
                "moderation_agreement",
                "learning_themes",
            ):
                _table(document, tables[k])
            document.add_heading("Quality and timeliness", level=2)
            if doc["section5"]["matrix"]["points"]:
                document.add_picture(matrix_chart_png(doc["section5"]), width=Cm(16))
                document.add_paragraph(
                    "Figure: each audited case by grade and by the timeliness of its assessment "
                    "or initial conference; top right is timely and good.",
                    style="Caption",
                )
            _table(document, tables["quality_timeliness_quadrants"])
            _table(document, tables["quality_timeliness"])
        elif key == "8":
            document.add_heading(SECTION_8A, level=2)
            _narrative(document, narrative.get("8a"), "No commentary yet.")
            _table(document, tables["outcomes_child"])
            _table(document, tables["quotes"])
            document.add_heading(SECTION_8B, level=2)
            _narrative(document, narrative.get("8b"), "No commentary yet.")
            s8b = doc.get("section8b") or {}
            indicators = s8b.get("indicators") or {}
            for key, label, limit, table in (
                (
                    "assessment_duration_bands",
                    "Working days from referral to authorisation",
                    "45",
                    "assessment_duration",
                ),
                (
                    "icpc_timing_bands",
                    "Working days from strategy discussion to ICPC",
                    "15",
                    "icpc_timing",
                ),
            ):
                bands = _bands_of(indicators, key)
                if bands:
                    document.add_picture(
                        histogram_png(
                            [(b["band"], b["count"]) for b in bands], label, _within(bands, limit)
                        ),
                        width=Cm(15),
                    )
                    document.add_paragraph(
                        f"Figure: {label[0].lower()}{label[1:]}", style="Caption"
                    )
                    _table(document, tables[table])
            flows = s8b.get("flows") or {}
            if flows.get("links"):
                document.add_picture(sankey_png(flows), width=Cm(16))
                document.add_paragraph(
                    "Figure: where the children referred in the period went", style="Caption"
                )
                _table(document, tables["cohort_flows"])
            if indicators:
                document.add_paragraph(
                    "Assessment duration is measured from the referral to authorisation (Working "
                    "Together's “from the point of referral”); that is the figure set against "
                    "England's 85.7%. Assessment start to authorisation is shown beside it."
                )
            if s8b.get("note"):
                document.add_paragraph(s8b["note"])
            _table(document, tables["service_indicators"])
            _table(document, tables["service_trend"])
        else:
            _narrative(document, narrative.get(key))
    document.add_heading("Appendix A: Elements of a good self-evaluation – checklist", level=1)
    _table(document, tables["checklist"])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- Excel and CSV -------------------------------------------------------------------------


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    base, i = name, 2
    while name in used:
        name = f"{base[:28]}{i:>3}"
        i += 1
    used.add(name)
    return name


def xlsx_bytes(doc: dict[str, Any]) -> bytes:
    """Every evidence table on its own sheet, after a sheet saying what the workbook is."""
    doc = for_export(doc)
    wb = Workbook()
    about = wb.active
    about.title = "About"
    for row in (
        [TITLE],
        ["Period", doc["scope_text"]],
        ["Generated", doc["generated_at_text"]],
        ["Pseudonymised", "Children appear only as keyed pseudonyms and age bands."],
    ):
        about.append([safe_cell(v) for v in row])
    about["A1"].font = Font(bold=True, size=14)
    used = {"About"}
    for table in evidence_tables(doc):
        ws = wb.create_sheet(_sheet_name(table["title"], used))
        ws.append([safe_cell(h) for h in table["headers"]])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table["rows"]:
            ws.append([safe_cell(v) for v in row])
        for i, header in enumerate(table["headers"], start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(
                12, min(60, len(str(header)) + 4)
            )
    wb.properties.creator = "Front Door Audit"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_csv(doc: dict[str, Any], key: str) -> str | None:
    """One evidence table as CSV (every cell neutralised), or None for an unknown key."""
    for table in evidence_tables(for_export(doc)):
        if table["key"] == key:
            return csv_text([table["headers"], *table["rows"]])
    return None


def csv_zip_bytes(doc: dict[str, Any]) -> bytes:
    """A zip of one CSV per evidence table."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for table in evidence_tables(for_export(doc)):
            z.writestr(f"{table['key']}.csv", csv_text([table["headers"], *table["rows"]]))
    return out.getvalue()


def json_text(doc: dict[str, Any]) -> str:
    """The pseudonymised SEF document as JSON (what the workbook and CSVs are made from)."""
    return json.dumps(for_export(doc), indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
