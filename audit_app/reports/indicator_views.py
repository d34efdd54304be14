"""The evidence base page (SEF 8(b)): each indicator beside England, with n, trend, drill-down.

Aggregates only: no child appears on the page, so nothing here is logged as a view
of a child's record.
"""

from datetime import date

from flask import current_app, request

from audit_forms.rollup import TOO_FEW, TOO_FEW_LABEL
from journeys.indicators import AGE_BANDS

from ..db import get_session
from ..permissions import requires
from ..rendering import is_partial_request, render
from . import bp
from .indicators import (
    GROUPINGS,
    NOT_RECORDED,
    compute_indicators,
    default_period,
    indicators_and_trend,
)

__all__ = ["indicators_page", "page_context", "parse_period", "SECTIONS", "TREND_KEYS"]

#: The page's tables: title -> indicator names, in Appendix B's order.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Contacts and referrals", (
        "contacts", "referrals", "referral_rate_per_10000", "contact_referral_conversion",
        "nfa_rate", "rereferral_rate", "referrals_to_cin_rate",
    )),
    ("Assessments", (
        "assessments_completed", "assessments_within_45_rate", "assessment_start_within_45_rate",
        "median_assessment_duration", "open_assessments_over_45",
    )),
    ("Section 47 enquiries and child protection", (
        "s47_enquiries", "s47_icpc_conversion", "icpcs", "icpc_within_15_rate",
        "icpc_cp_plan_rate", "cp_plans_started", "repeat_cp_rate", "cp_plans_ended_two_years_rate",
    )),
    ("Children at the end of the period", (
        "cin_at_end", "cin_rate_per_10000", "cp_at_end", "cp_rate_per_10000", "lac_at_end",
        "lac_rate_per_10000", "caseloads",
    )),
)  # fmt: skip
#: Indicators in the quarterly trend table and the drill-down: all of them.
TREND_KEYS: tuple[str, ...] = tuple(key for _, keys in SECTIONS for key in keys)
FIELD_NAMES = {"from": "Period start", "to": "Period end", "by": "Drill down by"}


def shown(value, unit: str | None) -> str:
    """A figure as the page writes it."""
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit in ("per 10000", "working days"):  # a median may fall between two days
        return f"{value:,.1f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{int(value):,}" if isinstance(value, int | float) else str(value)


def n_text(found: dict) -> str:
    num, den = found.get("numerator"), found.get("denominator")
    if num is not None and den is not None:
        return f"{num:,} of {den:,}"
    n = den if den is not None else num
    return "" if n is None else f"n = {n:,}"


def parse_period(args, *, today: date) -> tuple[dict, list[dict]]:
    """The period and drill-down asked for, or errors naming each field and value."""
    errors, values = [], {}
    start, end = default_period(session=get_session(), today=today)
    for name, fallback in (("from", start), ("to", end)):
        text = (args.get(name) or "").strip()
        if not text:
            values[name] = fallback
            continue
        try:
            values[name] = date.fromisoformat(text)
        except ValueError:
            errors.append(
                {"href": f"#{name}", "field": name,
                 "text": f"{FIELD_NAMES[name]} must be a date like 2025-04-01, not ‘{text}’"}
            )  # fmt: skip
            values[name] = fallback
    if not errors and values["to"] < values["from"]:
        errors.append(
            {"href": "#to", "field": "to",
             "text": f"Period end ‘{values['to']:%Y-%m-%d}’ is before the period start "
                     f"‘{values['from']:%Y-%m-%d}’"}
        )  # fmt: skip
    by = (args.get("by") or "").strip() or None
    if by is not None and by not in GROUPINGS:
        errors.append(
            {"href": "#by", "field": "by",
             "text": f"Drill down by one of {', '.join(GROUPINGS.values()).lower()}, not ‘{by}’"}
        )  # fmt: skip
        by = None
    values["by"] = by
    return values, errors


def _rows(found: dict, keys) -> list[dict]:
    rows = []
    for key in keys:
        item = found[key]
        england = item.get("england")
        rows.append(
            {
                "key": key,
                "label": item["label"],
                "value": shown(item["value"], item.get("unit")),
                "unit": item.get("unit"),
                "n": n_text(item),
                "england": shown(england["value"], england["unit"]) if england else "",
                "england_note": f"{england['year']}, {england['kind']}" if england else "",
            }
        )
    return rows


def sparkline(values: list) -> str | None:
    """Points for a 100×24 SVG polyline of a series (None when under two values known)."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return None
    low, high = min(v for _, v in known), max(v for _, v in known)
    step = 100 / max(len(values) - 1, 1)
    if high == low:  # a level line across the middle
        return " ".join(f"{i * step:.1f},12.0" for i, _ in known)
    return " ".join(f"{i * step:.1f},{22 - 20 * (v - low) / (high - low):.1f}" for i, v in known)


def _trend(trend: list[dict]) -> list[dict]:
    rows = []
    for key in TREND_KEYS:
        items = [q["indicators"][key] for q in trend]
        rows.append(
            {
                "label": items[0]["label"],
                "cells": [(shown(i["value"], i.get("unit")), n_text(i)) for i in items],
                "points": sparkline([i["value"] for i in items]),
            }
        )
    return rows


def _group_order(by: str, names) -> list[str]:
    if by == "age_band":
        return [band for band in AGE_BANDS if band in names]
    return sorted(names, key=lambda g: (g == NOT_RECORDED, g))


def _cell(item: dict | None, unit: str | None) -> tuple[str, str]:
    """A drill-down cell as (figure, n): "too few to compare" under TOO_FEW; why no rate."""
    if item is None:
        return "—", ""
    if item.get("reason"):
        return "—", item["reason"]
    n = n_text(item)
    if unit == "children per worker":
        n = f"{item['numerator']:,} children, {item['denominator']:,} workers"
    if item.get("too_few"):
        return TOO_FEW_LABEL, n
    return shown(item["value"], unit), n


def _band_table(found: dict, columns: list[str]) -> dict:
    """Bands down the side, a column per group: each count, with its share from TOO_FEW up."""
    groups = found.get("groups", {})
    bands = [b["band"] for b in found["bands"]]
    rows = []
    for i, band in enumerate(bands):
        cells = []
        for name in columns:
            item = groups.get(name)
            if item is None:
                cells.append(("0", ""))
                continue
            b = item["bands"][i]
            share = "" if item["too_few"] or b["percent"] is None else f"{b['percent']:.1f}%"
            cells.append((f"{b['count']:,}", share))
        rows.append({"label": band, "cells": cells})
    totals = []
    for name in columns:
        item = groups.get(name)
        n = item["denominator"] if item else 0
        totals.append((f"{n:,}", TOO_FEW_LABEL if n < TOO_FEW else ""))
    return {"label": found["label"], "rows": rows, "totals": totals}


def _source_table(found: dict, columns: list[str]) -> dict:
    """Sources down the side (most referrals first), a column per group: referrals, NFA."""
    groups = found.get("groups", {})
    totals: dict[str, int] = {}
    for item in groups.values():
        for source, figures in item["sources"].items():
            totals[source] = totals.get(source, 0) + figures["referrals"]
    rows = []
    for source in sorted(totals, key=lambda s: (-totals[s], s)):
        cells = []
        for name in columns:
            figures = (groups.get(name) or {}).get("sources", {}).get(source)
            if figures is None:
                cells.append({"referrals": "0", "nfa": "", "high": False})
                continue
            rate = TOO_FEW_LABEL if figures["too_few"] else f"{figures['nfa_rate']:.1f}%"
            cells.append(
                {
                    "referrals": f"{figures['referrals']:,}",
                    "nfa": f"{figures['nfa']:,} NFA: {rate}",
                    "high": figures["high_nfa"],
                }
            )
        rows.append({"label": source, "cells": cells})
    return {"rows": rows}


def _caseload_table(found: dict, columns: list[str]) -> dict:
    """Children, workers and children per worker by team or locality; else why there is none."""
    groups = found.get("groups")
    if groups is None:
        return {"note": found.get("groups_note"), "rows": []}
    empty = {"value": None, "numerator": 0, "denominator": 0, "unallocated": 0, "too_few": True}
    items = [groups.get(name, empty) for name in columns]
    per_worker = [
        (TOO_FEW_LABEL if i["too_few"] and i["denominator"] else shown(i["value"], None))
        for i in items
    ]
    rows = [
        ("Children with an allocated worker", [f"{i['numerator']:,}" for i in items]),
        ("Allocated workers", [f"{i['denominator']:,}" for i in items]),
        ("Children per worker", per_worker),
        ("Children with no worker recorded", [f"{i['unallocated']:,}" for i in items]),
    ]
    return {"note": None, "rows": [{"label": label, "cells": cells} for label, cells in rows]}


def _groups(found: dict, by: str) -> dict:
    """Drill-down: a row per indicator that can be broken down, a column per group.

    Beside it, the duration and timing bands, the referral sources and the caseloads
    by the same groups.  A rate, median or share over fewer than TOO_FEW cases is
    shown as "too few to compare"; counts are shown as they are.
    """
    keys = [k for k in TREND_KEYS if "groups" in found[k]]
    extra = ("assessment_duration_bands", "icpc_timing_bands", "referrals_by_source")
    names = {g for k in (*keys, *extra) for g in found[k].get("groups", {})}
    columns = _group_order(by, names)
    rows = []
    for key in keys:
        unit = found[key].get("unit")
        cells = [_cell(found[key]["groups"].get(name), unit) for name in columns]
        rows.append({"label": found[key]["label"], "cells": cells})
    return {
        "columns": columns,
        "rows": rows,
        "assessment_bands": _band_table(found["assessment_duration_bands"], columns),
        "icpc_bands": _band_table(found["icpc_timing_bands"], columns),
        "sources": _source_table(found["referrals_by_source"], columns),
        "caseloads": _caseload_table(found["caseloads"], columns),
    }


def page_context(values: dict, population: int | None, *, partial: bool) -> dict:
    """What the page shows; a drill-down swap needs only the grouped figures."""
    session = get_session()
    period = {"session": session, "start": values["from"], "end": values["to"],
              "population_under_18": population}  # fmt: skip
    context: dict = {"values": values, "groupings": GROUPINGS, "population": population}
    if values["by"]:
        context["groups"] = _groups(
            compute_indicators(**period, group_by=values["by"]), values["by"]
        )
    if not partial:
        found, trend = indicators_and_trend(**period)
        context |= {
            "found": found,
            "sections": [(title, _rows(found, keys)) for title, keys in SECTIONS],
            "trend_labels": [q["label"] for q in trend],
            "trend": _trend(trend),
        }
    return context


@bp.route("/indicators")
@requires("view_reports")
def indicators_page():
    values, errors = parse_period(request.args, today=date.today())
    population = current_app.config.get("UNDER_18_POPULATION")
    if errors:  # say what is wrong; work nothing out from a period nobody asked for
        context = {"values": values, "groupings": GROUPINGS, "population": population}
    else:
        context = page_context(values, population, partial=is_partial_request())
    context["swap"] = is_partial_request()  # the drill-down alone: it must carry any error
    return render("reports/indicators.html", "reports/_indicator_groups.html",
                  status=400 if errors else 200, errors=errors, **context)  # fmt: skip
