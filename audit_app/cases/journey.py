"""One child's journey for the page and the command line: built fresh from the events.

:func:`load_journey` reads a child's events and builds the graph, the date-free
summary and the status at the reference date; the ``*_rows`` functions turn them
into what the page, the timeline and ``frontdoor journey --json`` show.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlmodel import Session

from journeys import (
    DEFAULT_LINK_RULES,
    KIND_LABELS,
    STAGE_LABELS,
    JourneyStatus,
    Timeliness,
    build_journey,
    reading_order,
    status_at,
    summarise_journey,
    working_days_between,
)
from journeys import JourneySummary as Summary

from ..charts.timeline import TimelineItem, TimelineLink, timeline_svg
from ..mapping import to_events
from ..models import Child, Event
from ..summaries import history_start, holidays_between
from .labels import anomaly_label, category_label, source_label

__all__ = [
    "JourneyView",
    "load_journey",
    "find_child",
    "alerts_by_node",
    "event_rows",
    "check_rows",
    "journey_svg",
    "journey_json",
    "describe_journey",
    "fmt_day",
    "anchor",
]

RULE_TEXT = {rule.name: rule.description for rule in DEFAULT_LINK_RULES}
UNIT_TEXT = {"working_days": "working days", "calendar_days": "days", "months": "months"}
STATUS_TEXT = {"met": "Met", "breached": "Late", "open": "Open", "overdue": "Overdue"}


def fmt_day(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else ""


@dataclass
class JourneyView:
    """A child's journey at a reference date, with everything the page shows."""

    child: Child
    as_of: date
    G: nx.DiGraph
    order: list[str]
    summary: Summary
    status: JourneyStatus
    checks: list[Timeliness]
    holidays: frozenset[date]

    def node(self, key: str) -> dict[str, Any]:
        return self.G.nodes[key]

    def working_days(self, start: date, end: date) -> int:
        return working_days_between(start, end, self.holidays)


def find_child(child_ref: str, *, session: Session) -> Child | None:
    if not child_ref or len(child_ref) > 64:
        return None
    return session.execute(select(Child).where(Child.child_ref == child_ref)).scalar_one_or_none()


def load_journey(child: Child, *, session: Session, as_of: date) -> JourneyView:
    """Build ``child``'s journey from its events, as at ``as_of``."""
    rows = session.execute(select(Event).where(Event.child_id == child.id)).scalars().all()
    events = to_events(rows)
    days = [d for e in events for d in (e.start, e.end) if d] + [as_of]
    holidays = holidays_between(min(days).year - 1, max(days).year + 1)
    G = build_journey(events, as_of=as_of, holidays=holidays)
    history = history_start(session.connection())
    return JourneyView(
        child=child,
        as_of=as_of,
        G=G,
        order=reading_order(G),
        summary=summarise_journey(G, holidays=holidays, history_start=history),
        status=status_at(G, as_of, holidays=holidays),
        checks=list(G.graph["timeliness"]),
        holidays=holidays,
    )


def _check_text(check: Timeliness) -> str:
    unit = UNIT_TEXT[check.unit]
    if check.status == "breached":
        took = f"{check.working_days} {unit}" if check.working_days is not None else "not recorded"
        if check.unit != "working_days" or check.working_days is None:
            return f"Late: {check.label.lower()} ({check.over_by} days past {fmt_day(check.due)})"
        return f"Late: {took}, limit {check.limit} ({check.over_by} over)"
    if check.status == "overdue":
        return f"Overdue by {check.over_by} {unit if check.unit == 'working_days' else 'days'}"
    return ""


def alerts_by_node(view: JourneyView) -> dict[str, list[str]]:
    """Plain-English breach and anomaly labels for each node that has any."""
    alerts: dict[str, list[str]] = {}
    for check in view.checks:
        if check.late:
            alerts.setdefault(check.node, []).append(_check_text(check))
    for anomaly in view.summary.anomalies:
        alerts.setdefault(anomaly.node, []).append(f"Anomaly: {anomaly_label(anomaly.code)}")
    for key in view.order:
        if "unlinked" in view.node(key)["flags"]:
            alerts.setdefault(key, []).append("Not linked to anything before it")
    return alerts


def _open_nodes(view: JourneyView) -> set[str]:
    return {k for episode in view.status.open_episodes for k in episode.open_nodes}


def _span_text(view: JourneyView, node: dict[str, Any], is_open: bool) -> str:
    start, end = node["start"], node["end"]
    if end is not None:
        if end == start:
            return f"{fmt_day(start)} (same day)"
        return (
            f"{fmt_day(start)} to {fmt_day(end)}, "
            f"{view.working_days(start, end)} working days ({(end - start).days} days)"
        )
    if is_open:
        return (
            f"from {fmt_day(start)}, open: {view.working_days(start, view.as_of)} working days "
            f"at {fmt_day(view.as_of)}"
        )
    return fmt_day(start)


def _facts(node: dict[str, Any]) -> list[str]:
    """The fields worth showing for an event, as short phrases."""
    a = node["attrs"]
    facts = []
    if a.get("source"):
        facts.append(f"Source {source_label(a['source'])}")
    if a.get("nfa") is True:
        facts.append("No further action")
    if a.get("outcome"):
        facts.append(f"Outcome: {a['outcome']}")
    category = a.get("category_latest") or a.get("category_initial")
    if category:
        facts.append(f"Category: {category_label(category)}")
    if a.get("factors"):
        facts.append(f"Factors {a['factors']}")
    if a.get("primary_need"):
        facts.append(f"Need {a['primary_need']}")
    if a.get("legal_status"):
        facts.append(f"Legal status {a['legal_status']}")
    if a.get("reason"):
        facts.append(f"Reason {a['reason']}")
    if a.get("latest_review"):
        facts.append(f"Latest review {fmt_day(a['latest_review'])}")
    return facts


def event_rows(view: JourneyView) -> list[dict[str, Any]]:
    """One row per event in reading order, for the accessible table."""
    alerts = alerts_by_node(view)
    open_nodes = _open_nodes(view)
    rows = []
    for key in view.order:
        node = view.node(key)
        causes = [
            {
                "label": view.node(p)["label"],
                "anchor": anchor(p),
                "rule": RULE_TEXT.get(e["rule"], e["rule"]),
                "working_days": e["working_days"],
            }
            for p, e in view.G.pred[key].items()
        ]
        rows.append(
            {
                "key": key,
                "anchor": anchor(key),
                "kind": KIND_LABELS[node["kind"]],
                "short": node["short"],
                "start": node["start"],
                "end": node["end"],
                "span": _span_text(view, node, key in open_nodes),
                "open": key in open_nodes,
                "episode": node["episode"],
                "causes": causes,
                "team": node["attrs"].get("team"),
                "worker": node["attrs"].get("worker"),
                "facts": _facts(node),
                "alerts": alerts.get(key, []),
                "later": node["start"] > view.as_of,
            }
        )
    return rows


def check_rows(view: JourneyView) -> list[dict[str, Any]]:
    """Every timeliness check as at the reference date, late ones first."""
    order = {"breached": 0, "overdue": 1, "open": 2, "met": 3}
    rows = []
    for check in sorted(view.checks, key=lambda c: (order[c.status], c.start)):
        rows.append(
            {
                "label": check.label,
                "status": STATUS_TEXT[check.status],
                "late": check.late,
                "start": check.start,
                "end": check.end,
                "elapsed": (
                    f"{check.working_days} working days"
                    if check.unit == "working_days" and check.working_days is not None
                    else (f"{check.days} days" if check.days is not None else "not recorded")
                ),
                "limit": f"{check.limit} {UNIT_TEXT[check.unit]}",
                "due": check.due,
                "over_by": check.over_by,
                "anchor": anchor(check.node),
            }
        )
    return rows


def anchor(key: str) -> str:
    return "ev-" + key.replace(":", "-")


def journey_svg(view: JourneyView) -> str:
    """The timeline picture (markup escaped throughout by ``timeline_svg``)."""
    alerts = alerts_by_node(view)
    open_nodes = _open_nodes(view)
    items = []
    for key in view.order:
        node = view.node(key)
        is_open = key in open_nodes
        items.append(
            TimelineItem(
                id=anchor(key),
                kind=node["kind"],
                start=node["start"],
                end=node["end"],
                open=is_open,
                label=KIND_LABELS[node["kind"]],
                detail=_span_text(view, node, is_open),
                alerts=tuple(alerts.get(key, ())),
            )
        )
    links = [
        TimelineLink(
            source=anchor(a),
            target=anchor(b),
            label=f"{view.node(a)['label']} led to {view.node(b)['label']}: "
            f"{e['working_days']} working days",
            alert=bool(e["flags"]),
        )
        for a, b, e in view.G.edges(data=True)
    ]
    return timeline_svg(
        items,
        links,
        as_of=view.as_of,
        title=f"Journey of child {view.child.child_ref}",
        description=describe_journey(view),
    )


def describe_journey(view: JourneyView) -> str:
    """A text alternative for the timeline: the path, the span and what is wrong."""
    s = view.summary
    if not view.order:
        return "No events are recorded for this child."
    first = view.node(view.order[0])["start"]
    last = max(view.node(k)["end"] or view.node(k)["start"] for k in view.order)
    late = sum(c.late for c in view.checks)
    parts = [
        f"{len(view.order)} events from {fmt_day(first)} to {fmt_day(last)}: {s.path}.",
        f"Furthest stage: {STAGE_LABELS.get(s.furthest_stage or '', 'none')}.",
        f"{late} timeliness breach{'es' if late != 1 else ''}"
        f" and {len(s.anomalies)} data anomal{'ies' if len(s.anomalies) != 1 else 'y'}.",
        "The table below lists every event.",
    ]
    return " ".join(parts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def journey_json(view: JourneyView) -> dict[str, Any]:
    """The journey for ``frontdoor journey --json``: child_id, path, events, edges, findings."""
    events = [
        {
            "node": key,
            "kind": view.node(key)["kind"],
            "label": view.node(key)["label"],
            "start": view.node(key)["start"].isoformat(),
            "end": _jsonable(view.node(key)["end"]),
            "episode": view.node(key)["episode"],
            "flags": list(view.node(key)["flags"]),
            "attrs": _jsonable(view.node(key)["attrs"]),
        }
        for key in view.order
    ]
    edges = [
        {
            "from": a,
            "to": b,
            "rule": e["rule"],
            "working_days": e["working_days"],
            "days": e["days"],
            "step": e["step"],
            "flags": list(e["flags"]),
        }
        for a, b, e in view.G.edges(data=True)
    ]
    findings = view.summary.to_dict()
    findings["status"] = view.status.to_dict()
    findings["timeliness_as_of"] = [c.to_dict() for c in view.checks]
    return {
        "child_id": view.child.child_ref,
        "path": view.summary.path,
        "events": events,
        "edges": edges,
        "findings": findings,
    }
