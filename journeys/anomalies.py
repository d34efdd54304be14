"""Data anomalies in a journey graph: each a code and a plain-English message.

The codes are stable (the app stores them and filters cases on them); the messages
name the events concerned.  :func:`detect_anomalies` only reads the graph;
``build_journey`` attaches the codes to the nodes (and edges) concerned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import networkx as nx

from .events import (
    ASSESSMENT,
    CIN_PLAN,
    CLOSURE,
    CONTACT,
    CP_PLAN,
    EARLY_HELP,
    ICPC,
    LAC,
    REFERRAL,
    S47,
)

__all__ = ["ANOMALY_CODES", "Anomaly", "detect_anomalies"]

#: Every anomaly code with what it means, in plain English.
ANOMALY_CODES: dict[str, str] = {
    "icpc_without_s47": "An initial child protection conference with no section 47 enquiry "
    "before it.",
    "cp_plan_without_icpc": "A child protection plan with no initial conference on its start date.",
    "assessment_before_referral": "An assessment dated before the referral it is linked to.",
    "icpc_before_s47": "An initial conference dated before the section 47 enquiry it concludes.",
    "linked_out_of_order": "An event linked to a cause dated after it.",
    "cin_cp_overlap": "A child in need plan and a child protection plan open at the same time.",
    "two_open_assessments": "Two assessments open at the same time.",
    "activity_after_closure": "Work recorded in an episode after the case was closed.",
    "activity_after_nfa": "Work recorded after a referral marked no further action.",
    "cp_plan_same_day": "A child protection plan that starts and ends on the same day.",
    "end_before_start": "An event whose end date is before its start date.",
}

# Kinds that are work on a case, as opposed to a new way in (contact, referral, early help).
_CASEWORK = frozenset({ASSESSMENT, S47, ICPC, CIN_PLAN, CP_PLAN, LAC})
_MAX = date.max


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One data anomaly: its code, a message, the node it is about and any others involved.

    ``edge`` is the link concerned, when the anomaly is about a link.
    """

    code: str
    message: str
    node: str
    related: tuple[str, ...] = ()
    edge: tuple[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Examples
        --------
        >>> Anomaly("cp_plan_same_day", "...", "cp_plan:2025-01-06:0").to_dict()["code"]
        'cp_plan_same_day'
        """
        return {
            "code": self.code,
            "message": self.message,
            "node": self.node,
            "related": list(self.related),
            "edge": list(self.edge) if self.edge else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Anomaly:
        edge = data.get("edge")
        return cls(
            code=data["code"],
            message=data["message"],
            node=data["node"],
            related=tuple(data.get("related", ())),
            edge=(edge[0], edge[1]) if edge else None,
        )


_Nodes = dict[str, dict[str, Any]]


def _label(nodes: _Nodes, key: str) -> str:
    return str(nodes[key]["label"])


def _has_cause_of_kind(G: nx.DiGraph[str], nodes: _Nodes, key: str, kind: str) -> bool:
    return any(nodes[p]["kind"] == kind for p in G.pred[key])


def detect_anomalies(G: nx.DiGraph[str]) -> list[Anomaly]:
    """The data anomalies of a journey graph, in date order of the node concerned.

    A child in need *episode* (Annex A List 6) beside a child protection plan is
    not an overlap: only a CIN *plan* and a CP plan open on the same day are.
    Plans meet without overlapping when one ends on the day the other starts.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph from :func:`journeys.build_journey`.

    Returns
    -------
    list of Anomaly

    Examples
    --------
    >>> from journeys import Event, build_journey
    >>> G = build_journey([Event("cp_plan", date(2025, 1, 6), date(2025, 1, 6))],
    ...                   as_of=date(2025, 2, 1))
    >>> [a.code for a in detect_anomalies(G)]
    ['cp_plan_without_icpc', 'cp_plan_same_day']
    """
    nodes: _Nodes = dict(G.nodes(data=True))
    return _detect(G, nodes, sorted(G, key=lambda n: nodes[n]["pos"]))


def _detect(G: nx.DiGraph[str], nodes: _Nodes, order: list[str]) -> list[Anomaly]:
    """``detect_anomalies`` given the graph's node dicts and its nodes in date order."""
    found: list[Anomaly] = []
    by_kind: dict[str, list[str]] = {}
    for key in order:
        by_kind.setdefault(nodes[key]["kind"], []).append(key)

    for key in order:
        node = nodes[key]
        kind = node["kind"]
        if node["end"] is not None and node["end"] < node["start"]:
            found.append(
                Anomaly(
                    "end_before_start",
                    f"{_label(nodes, key)} ends on {node['end']:%d %b %Y}, before it starts.",
                    key,
                )
            )
        if kind == ICPC and not _has_cause_of_kind(G, nodes, key, S47):
            found.append(
                Anomaly(
                    "icpc_without_s47",
                    f"{_label(nodes, key)} has no section 47 enquiry before it.",
                    key,
                )
            )
        if kind == CP_PLAN:
            if not _has_cause_of_kind(G, nodes, key, ICPC):
                found.append(
                    Anomaly(
                        "cp_plan_without_icpc",
                        f"{_label(nodes, key)} has no initial conference on its start date.",
                        key,
                    )
                )
            if node["end"] == node["start"]:
                found.append(
                    Anomaly(
                        "cp_plan_same_day",
                        f"{_label(nodes, key)} starts and ends on the same day.",
                        key,
                    )
                )
        for cause in G.predecessors(key):
            if nodes[cause]["start"] <= node["start"]:
                continue
            cause_kind = nodes[cause]["kind"]
            if cause_kind == REFERRAL and kind == ASSESSMENT:
                code, what = "assessment_before_referral", "the referral it is linked to"
            elif cause_kind == S47 and kind == ICPC:
                code, what = "icpc_before_s47", "the section 47 enquiry it concludes"
            else:
                code, what = "linked_out_of_order", f"{_label(nodes, cause)}, which it is linked to"
            found.append(
                Anomaly(
                    code,
                    f"{_label(nodes, key)} is dated before {what} "
                    f"({nodes[cause]['start']:%d %b %Y}).",
                    key,
                    (cause,),
                    (cause, key),
                )
            )
        if kind == REFERRAL and node["attrs"].get("nfa") is True:
            for later in G.successors(key):
                if nodes[later]["kind"] in _CASEWORK:
                    found.append(
                        Anomaly(
                            "activity_after_nfa",
                            f"{_label(nodes, later)} follows {_label(nodes, key)}, "
                            "marked no further action.",
                            later,
                            (key,),
                            (key, later),
                        )
                    )

    found.extend(_overlapping_assessments(nodes, by_kind.get(ASSESSMENT, [])))
    found.extend(_cin_cp_overlaps(nodes, by_kind.get(CIN_PLAN, []), by_kind.get(CP_PLAN, [])))
    found.extend(_after_closure(nodes, order, by_kind.get(CLOSURE, [])))
    found.sort(key=lambda a: nodes[a.node]["pos"])
    return found


def _overlapping_assessments(nodes: _Nodes, keys: list[str]) -> list[Anomaly]:
    found = []
    open_key: str | None = None
    open_until = date.min
    for key in keys:  # in start order: one sweep
        node = nodes[key]
        if open_key is not None and node["start"] < open_until:
            found.append(
                Anomaly(
                    "two_open_assessments",
                    f"{_label(nodes, key)} starts while {_label(nodes, open_key)} is still open.",
                    key,
                    (open_key,),
                )
            )
        until = node["end"] or _MAX
        if until > open_until:
            open_key, open_until = key, until
    return found


def _cin_cp_overlaps(nodes: _Nodes, cin: list[str], cp: list[str]) -> list[Anomaly]:
    # A child has a handful of plans, so pairs are cheap.
    found = []
    plans = [(p, nodes[p]["start"], nodes[p]["end"] or _MAX) for p in cp]
    for c in cin:
        cs, ce = nodes[c]["start"], nodes[c]["end"] or _MAX
        for p, ps, pe in plans:
            if cs < pe and ps < ce:
                later, earlier = (c, p) if (cs, 0) >= (ps, 0) else (p, c)
                found.append(
                    Anomaly(
                        "cin_cp_overlap",
                        f"{_label(nodes, later)} overlaps {_label(nodes, earlier)}.",
                        later,
                        (earlier,),
                    )
                )
    return found


def _after_closure(nodes: _Nodes, order: list[str], closures: list[str]) -> list[Anomaly]:
    closed: dict[int, str] = {}
    for key in closures:  # the earliest closure of each episode
        episode = nodes[key]["episode"]
        if episode is not None and episode not in closed:
            closed[episode] = key
    found = []
    for key in order:
        node = nodes[key]
        closure = closed.get(node["episode"]) if node["episode"] is not None else None
        if (
            closure is not None
            and node["kind"] not in (CONTACT, REFERRAL, EARLY_HELP, CLOSURE)
            and node["start"] > nodes[closure]["start"]
        ):
            found.append(
                Anomaly(
                    "activity_after_closure",
                    f"{_label(nodes, key)} is recorded after {_label(nodes, closure)}.",
                    key,
                    (closure,),
                )
            )
    return found
