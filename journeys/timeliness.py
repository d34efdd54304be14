"""Timeliness of a journey against statutory and local timescales, with rules held as data.

Working days follow the one convention of :mod:`journeys.calendar`: the start day is
day 0, a same-day event is 0 working days later, and "within N working days" means
``working_days_between(start, end, holidays) <= N``.  "Within N months" means on or
before the same day N calendar months later (clamped to the month's end).

Each check gives a :class:`Timeliness` result: ``met`` or ``breached`` when the
interval is complete; ``open`` or ``overdue`` when it is not, judged at the
reference date (without one, an incomplete interval is just ``open``).  Results
without a reference date do not depend on the date and can be stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import networkx as nx

from ._dates import WorkingDays, add_months, to_date, to_dates
from .errors import JourneyError
from .events import ASSESSMENT, CONTACT, CP_PLAN, EVENT_KINDS, ICPC, REFERRAL, S47

__all__ = [
    "MET",
    "BREACHED",
    "OPEN",
    "OVERDUE",
    "TimelinessRule",
    "Timeliness",
    "DEFAULT_TIMELINESS_RULES",
    "check_timeliness",
]

MET, BREACHED, OPEN, OVERDUE = "met", "breached", "open", "overdue"
_UNITS = ("working_days", "calendar_days", "months")
_MEASURES = ("attr", "link", "duration", "first_review", "review_interval")


@dataclass(frozen=True, slots=True)
class TimelinessRule:
    """One timescale, as data.

    Parameters
    ----------
    key, label : str
        A stable key and a plain-English label.
    from_kind : str
        The kind of event the interval starts from (at its start date).
    to_kind : str or None
        For ``measure="link"``: the kind of linked event that ends it.
    limit : int
        The timescale, in ``unit``.
    unit : {"working_days", "calendar_days", "months"}
    measure : {"attr", "link", "duration", "first_review", "review_interval"}
        ``"attr"``: to the date in the event's attribute ``attr`` (skipped when absent);
        ``"link"``: to the ``to_date`` (``"start"`` or ``"end"``) of each linked
        ``to_kind`` event; ``"duration"``: to the event's own end;
        ``"first_review"``: a CP plan's ICPC (or start) to its first review;
        ``"review_interval"``: each CP review to the next.
    to_date : {"start", "end"}
    attr : str or None
    awaited : bool
        For links: an event with no linked ``to_kind`` is still waiting for one
        (open or overdue) unless ``not_needed_attr`` is true on it, or it has ended
        without that attribute being explicitly false.
    not_needed_attr : str or None
    """

    key: str
    label: str
    from_kind: str
    to_kind: str | None
    limit: int
    unit: str = "working_days"
    measure: str = "link"
    to_date: str = "start"
    attr: str | None = None
    awaited: bool = False
    not_needed_attr: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in _UNITS:
            raise JourneyError(f"timeliness rule {self.key!r}: unit must be one of {_UNITS}")
        if self.measure not in _MEASURES:
            raise JourneyError(f"timeliness rule {self.key!r}: measure must be one of {_MEASURES}")
        if self.from_kind not in EVENT_KINDS or (
            self.to_kind is not None and self.to_kind not in EVENT_KINDS
        ):
            raise JourneyError(f"timeliness rule {self.key!r} names an unknown kind")
        if self.measure == "link" and self.to_kind is None:
            raise JourneyError(f"timeliness rule {self.key!r}: a link needs to_kind")
        if self.measure == "attr" and not self.attr:
            raise JourneyError(f"timeliness rule {self.key!r}: an attr measure needs attr")
        if self.to_date not in ("start", "end"):
            raise JourneyError(f"timeliness rule {self.key!r}: to_date is 'start' or 'end'")
        if self.limit < 0:
            raise JourneyError(f"timeliness rule {self.key!r}: limit must be >= 0")


#: The default checks.  ``contact_to_referral`` is a local timescale: change its limit.
DEFAULT_TIMELINESS_RULES: tuple[TimelinessRule, ...] = (
    TimelinessRule(
        "referral_decision",
        "Referral decision within 1 working day",
        REFERRAL,
        None,
        1,
        measure="attr",
        attr="decision_date",
    ),
    TimelinessRule(
        "contact_to_referral",
        "Contact to referral (local timescale: 1 working day)",
        CONTACT,
        REFERRAL,
        1,
    ),
    TimelinessRule(
        "referral_to_assessment",
        "Referral to assessment authorised within 45 working days",
        REFERRAL,
        ASSESSMENT,
        45,
        to_date="end",
    ),
    TimelinessRule(
        "assessment_duration",
        "Assessment start to authorisation within 45 working days",
        ASSESSMENT,
        None,
        45,
        measure="duration",
    ),
    TimelinessRule(
        "s47_to_icpc",
        "Strategy discussion to initial conference within 15 working days",
        S47,
        ICPC,
        15,
        awaited=True,
        not_needed_attr="icpc_not_required",
    ),
    TimelinessRule(
        "cp_first_review",
        "First CP review within 3 months of the initial conference",
        CP_PLAN,
        None,
        3,
        unit="months",
        measure="first_review",
    ),
    TimelinessRule(
        "cp_review_interval",
        "CP reviews no more than 6 months apart",
        CP_PLAN,
        None,
        6,
        unit="months",
        measure="review_interval",
    ),
)


@dataclass(frozen=True, slots=True)
class Timeliness:
    """The result of one check.

    ``node`` is the node the result is marked on; ``from_node``/``to_node`` the
    events at each end (``to_node`` None when the end is an attribute or missing).
    ``end`` is the date that closed the interval (None when open; for an open check
    judged at a reference date, the elapsed counts run to that date).
    ``working_days`` and ``days`` are the elapsed working and calendar days;
    ``due`` the last date within the limit; ``over_by`` how far past it
    (working days for working-day rules, calendar days otherwise; 0 when not late).
    """

    rule: str
    label: str
    node: str
    from_node: str
    to_node: str | None
    start: date
    end: date | None
    working_days: int | None
    days: int | None
    limit: int
    unit: str
    due: date
    status: str
    over_by: int = 0

    @property
    def late(self) -> bool:
        return self.status in (BREACHED, OVERDUE)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        return {
            "rule": self.rule,
            "label": self.label,
            "node": self.node,
            "from_node": self.from_node,
            "to_node": self.to_node,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "working_days": self.working_days,
            "days": self.days,
            "limit": self.limit,
            "unit": self.unit,
            "due": self.due.isoformat(),
            "status": self.status,
            "over_by": self.over_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeliness:
        end = data.get("end")
        return cls(
            rule=data["rule"],
            label=data["label"],
            node=data["node"],
            from_node=data["from_node"],
            to_node=data.get("to_node"),
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(end) if end else None,
            working_days=data.get("working_days"),
            days=data.get("days"),
            limit=data["limit"],
            unit=data["unit"],
            due=date.fromisoformat(data["due"]),
            status=data["status"],
            over_by=data.get("over_by", 0),
        )


class _Checker:
    """Collects the results at ``as_of``; with ``undated``, also those without a date.

    The two lists differ only for intervals still open: every closed result is the
    same object in both, so one pass gives what two calls of ``check_timeliness``
    (with and without ``as_of``) would.
    """

    def __init__(self, wd: WorkingDays, as_of: date | None, *, undated: bool = False) -> None:
        self.wd = wd
        self.as_of = as_of
        self.results: list[Timeliness] = []
        self.undated: list[Timeliness] | None = [] if undated and as_of is not None else None

    def due(self, rule: TimelinessRule, start: date) -> date:
        if rule.unit == "working_days":
            return self.wd.add(start, rule.limit)
        if rule.unit == "calendar_days":
            return date.fromordinal(start.toordinal() + rule.limit)
        return add_months(start, rule.limit)

    def judge(
        self,
        rule: TimelinessRule,
        node: str,
        from_node: str,
        to_node: str | None,
        start: date,
        end: date | None,
    ) -> None:
        due = self.due(rule, start)
        closed = end is not None
        upto = end if end is not None else self.as_of
        if end is None and (upto is None or self.undated is not None):
            pending = Timeliness(
                rule.key,
                rule.label,
                node,
                from_node,
                to_node,
                start,
                None,
                None,
                None,
                rule.limit,
                rule.unit,
                due,
                OPEN,
            )
            if upto is None:
                self.results.append(pending)
                return
            assert self.undated is not None
            self.undated.append(pending)
        if not closed and upto < start:
            return  # not begun at the reference date
        working = self.wd.between(start, upto)
        days = (upto - start).days
        if rule.unit == "working_days":
            over = working - rule.limit
        elif rule.unit == "calendar_days":
            over = days - rule.limit
        else:
            over = (upto - due).days
        if closed:
            status = BREACHED if over > 0 else MET
        else:
            status = OVERDUE if over > 0 else OPEN
        result = Timeliness(
            rule.key,
            rule.label,
            node,
            from_node,
            to_node,
            start,
            end,
            working,
            days,
            rule.limit,
            rule.unit,
            due,
            status,
            max(over, 0),
        )
        self.results.append(result)
        if closed and self.undated is not None:
            self.undated.append(result)

    def missing(self, rule: TimelinessRule, node: str, start: date, stopped: date | None) -> None:
        """Nothing recorded to end the interval: late if the work stopped after it was due."""
        due = self.due(rule, start)
        if stopped is None:
            self.judge(rule, node, node, None, start, None)
        elif stopped > due:
            result = Timeliness(
                rule.key,
                rule.label,
                node,
                node,
                None,
                start,
                None,
                None,
                None,
                rule.limit,
                rule.unit,
                due,
                BREACHED,
                (stopped - due).days,
            )
            self.results.append(result)
            if self.undated is not None:
                self.undated.append(result)


def _reviews(attrs: dict[str, Any]) -> tuple[list[date], bool]:
    """The plan's review dates and whether they are the full list (else Annex A's latest only)."""
    full = to_dates(attrs.get("reviews") or "")
    if full:
        return full, True
    latest = to_date(attrs.get("latest_review"))
    return ([latest] if latest else []), False


def _check_rule(
    G: nx.DiGraph[str],
    nodes: dict[str, dict[str, Any]],
    rule: TimelinessRule,
    keys: list[str],
    c: _Checker,
) -> None:
    for key in keys:
        node = nodes[key]
        attrs = node["attrs"]
        start: date = node["start"]
        if rule.measure == "attr":
            end = to_date(attrs.get(rule.attr or ""))
            if end is not None:  # Annex A and the CIN census carry no decision date
                c.judge(rule, key, key, None, start, end)
        elif rule.measure == "duration":
            c.judge(rule, key, key, None, start, node["end"])
        elif rule.measure == "link":
            linked = [s for s in G.succ[key] if nodes[s]["kind"] == rule.to_kind]
            for succ in linked:
                end = nodes[succ]["start"] if rule.to_date == "start" else nodes[succ]["end"]
                c.judge(rule, succ, key, succ, start, end)
            if not linked and rule.awaited:
                flag = attrs.get(rule.not_needed_attr) if rule.not_needed_attr else None
                if flag is not True and (node["end"] is None or flag is False):
                    c.judge(rule, key, key, None, start, None)
        elif rule.measure == "first_review":
            icpcs = [p for p in G.pred[key] if nodes[p]["kind"] == ICPC]
            origin = min((nodes[p]["start"] for p in icpcs), default=start)
            reviews, full = _reviews(attrs)
            if reviews:
                if full or reviews[0] <= c.due(rule, origin):
                    c.judge(rule, key, key, None, origin, reviews[0])
            else:
                c.missing(rule, key, origin, node["end"])
        else:  # review_interval
            reviews, full = _reviews(attrs)
            if full:
                for before, after in zip(reviews, reviews[1:], strict=False):
                    c.judge(rule, key, key, None, before, after)
            if reviews:
                c.missing(rule, key, reviews[-1], node["end"])


def check_timeliness(
    G: nx.DiGraph[str],
    *,
    as_of: date | None = None,
    holidays: Collection[date] | WorkingDays | None = None,
    rules: Sequence[TimelinessRule] = DEFAULT_TIMELINESS_RULES,
) -> list[Timeliness]:
    """Run the timeliness checks over a journey graph.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph from :func:`journeys.build_journey`.
    as_of : date or None
        The reference date for intervals not yet complete: ``overdue`` once past the
        limit at that date, else ``open``.  None leaves them ``open`` and makes the
        results independent of the date.
    holidays : collection of date, optional
        Bank holidays; by default those the graph was built with.
    rules : sequence of TimelinessRule

    Returns
    -------
    list of Timeliness
        In rule order, then date order.

    Examples
    --------
    >>> from journeys import Event, build_journey
    >>> G = build_journey([Event("s47", date(2026, 12, 1)), Event("icpc", date(2026, 12, 23))],
    ...                   as_of=date(2027, 1, 31))
    >>> [(t.rule, t.working_days, t.status) for t in check_timeliness(G)]
    [('s47_to_icpc', 16, 'breached')]
    """
    if holidays is None:
        holidays = G.graph.get("holidays", frozenset())
    wd = holidays if isinstance(holidays, WorkingDays) else WorkingDays(holidays)
    return _run_checks(G, _Checker(wd, as_of), rules).results


def _run_checks(
    G: nx.DiGraph[str],
    checker: _Checker,
    rules: Sequence[TimelinessRule],
    nodes: dict[str, dict[str, Any]] | None = None,
    order: list[str] | None = None,
) -> _Checker:
    if nodes is None or order is None:
        nodes = dict(G.nodes(data=True))
        order = sorted(nodes, key=lambda n: nodes[n]["pos"])
    by_kind: dict[str, list[str]] = {}
    for key in order:
        by_kind.setdefault(nodes[key]["kind"], []).append(key)
    for rule in rules:
        _check_rule(G, nodes, rule, by_kind.get(rule.from_kind, []), checker)
    return checker


def check_timeliness_twice(
    G: nx.DiGraph[str],
    *,
    as_of: date,
    holidays: WorkingDays,
    rules: Sequence[TimelinessRule] = DEFAULT_TIMELINESS_RULES,
    nodes: dict[str, dict[str, Any]] | None = None,
    order: list[str] | None = None,
) -> tuple[list[Timeliness], list[Timeliness]]:
    """``check_timeliness`` at ``as_of`` and without a date, in one pass over the graph.

    For :func:`journeys.build_journey`, which stores both so that
    :func:`journeys.summarise_journey` need not run the checks again (and passes the
    graph's node dicts and its nodes in date order, ``nodes`` and ``order``).

    Examples
    --------
    >>> from journeys import Event, build_journey
    >>> G = build_journey([Event("assessment", date(2026, 1, 5))], as_of=date(2026, 3, 31))
    >>> dated, undated = check_timeliness_twice(G, as_of=date(2026, 3, 31),
    ...                                         holidays=WorkingDays())
    >>> dated == check_timeliness(G, as_of=date(2026, 3, 31)), undated == check_timeliness(G)
    (True, True)
    >>> [t.status for t in dated], [t.status for t in undated]
    (['overdue'], ['open'])
    """
    checker = _run_checks(G, _Checker(holidays, as_of, undated=True), rules, nodes, order)
    assert checker.undated is not None
    return checker.results, checker.undated
