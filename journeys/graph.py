"""A child's journey as a directed graph: events are nodes, "led to" links are edges.

The links come from :class:`LinkRule` records held as data (``DEFAULT_LINK_RULES``);
:func:`build_journey` applies them, numbers the referral episodes, and attaches the
data anomalies and timeliness checks to the nodes and edges they concern.

Node keys are ``"<kind>:<ISO start>:<occurrence>"``, e.g. ``"referral:2025-03-02:0"``.
Node attributes: ``kind``, ``start``, ``end``, ``occurrence``, ``attrs`` (a dict copy of
``Event.attrs``), ``ref``, ``label``, ``short``, ``pos`` (position in date order),
``episode`` (referral episode number or None) and ``flags`` (a list of codes:
``"unlinked"``, anomaly codes, ``"late:<rule>"``, ``"overdue:<rule>"``).
Edge attributes: ``rule``, ``step`` (``"up"``, ``"down"`` or None), ``primary``,
``days`` and ``working_days`` (from the cause's start to the event's start; negative
when the link points back in time) and ``flags``.  ``G.graph`` holds ``as_of``,
``holidays``, ``anomalies``, ``timeliness`` (the checks as at ``as_of``),
``timeliness_undated`` (the same checks without a date, for :func:`summarise_journey`)
and ``timeliness_rules`` (the rules they ran).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import networkx as nx

from ._dates import WorkingDays
from .anomalies import _detect
from .errors import JourneyError
from .events import (
    ASSESSMENT,
    CIN_EPISODE,
    CIN_PLAN,
    CLOSURE,
    CONTACT,
    CP_PLAN,
    EARLY_HELP,
    EVENT_KINDS,
    ICPC,
    KIND_LABELS,
    LAC,
    REFERRAL,
    S47,
    Event,
)
from .timeliness import DEFAULT_TIMELINESS_RULES, TimelinessRule, check_timeliness_twice

__all__ = [
    "LinkRule",
    "DEFAULT_LINK_RULES",
    "ROOT_KINDS",
    "POINT_KINDS",
    "SHORT_FORMS",
    "build_journey",
    "node_key",
    "finish_of",
    "reading_order",
]

#: Kinds that may begin a journey: one of these without a cause is not "unlinked".
ROOT_KINDS: frozenset[str] = frozenset({CONTACT, REFERRAL, EARLY_HELP})

#: Kinds that happen on one day; their finish is their start when no end is given.
#: For the others a missing end means "still open".
POINT_KINDS: frozenset[str] = frozenset({CONTACT, REFERRAL, ICPC, CLOSURE})

#: The short forms used in a journey's path, e.g. "C → R → A → S47 → ICPC → CPP → LAC".
SHORT_FORMS: dict[str, str] = {
    CONTACT: "C",
    EARLY_HELP: "EH",
    REFERRAL: "R",
    ASSESSMENT: "A",
    S47: "S47",
    ICPC: "ICPC",
    CIN_EPISODE: "CIN",
    CIN_PLAN: "CINP",
    CP_PLAN: "CPP",
    LAC: "LAC",
    CLOSURE: "CL",
}

_RANK = {kind: i for i, kind in enumerate(EVENT_KINDS)}
_MEASURES = ("start", "finish", "overlap")
_MONTHS = ("", *"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())


@dataclass(frozen=True, slots=True)
class LinkRule:
    """How an event of ``to_kind`` finds the event that led to it.

    Parameters
    ----------
    name : str
        Names the rule on the edges it makes.
    from_kinds : tuple of str
        Kinds the cause may be.  Among the candidates the latest wins (ties: the kind
        later in ``EVENT_KINDS``, so a same-day assessment beats its referral).
    to_kind : str
        The kind of event the rule links.
    window_days : int or None
        Calendar days the cause may lie before the event; None for no limit.
    measure : {"start", "finish", "overlap"}
        ``"start"``: the cause started in the window on or before the event's start.
        ``"finish"``: the cause finished (end, or start for one-day kinds) in the
        window on or before the event's start: a step-down after work ended.
        ``"overlap"``: the cause started on or before the event and was still open
        then or finished within the window.
    same_day : bool
        The cause must start on the event's start date (ICPC and CP plan).
    grace_days : int
        When nothing qualifies, a cause starting up to this many days *after* the
        event is linked anyway and the link carries an anomaly flag.
    exclusive : bool
        A cause leads to at most one event through this rule (one contact, one
        referral; one S47, one ICPC).
    also : bool
        The link is made beside the event's main cause rather than instead of one
        (a step-up from early help to a referral that also came from a contact).
        Rules without ``also`` are tried in order and the first that links wins.
    step : {"up", "down"} or None
        Marks step-up and step-down links, which the findings count.
    description : str
        Plain English for the journey page.
    """

    name: str
    from_kinds: tuple[str, ...]
    to_kind: str
    window_days: int | None = 30
    measure: str = "start"
    same_day: bool = False
    grace_days: int = 0
    exclusive: bool = False
    also: bool = False
    step: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        unknown = {self.to_kind, *self.from_kinds} - set(EVENT_KINDS)
        if unknown:
            raise JourneyError(f"link rule {self.name!r} names unknown kinds {sorted(unknown)}")
        if self.measure not in _MEASURES:
            raise JourneyError(f"link rule {self.name!r}: measure must be one of {_MEASURES}")
        if self.window_days is not None and self.window_days < 0:
            raise JourneyError(f"link rule {self.name!r}: window_days must be >= 0")
        if self.grace_days < 0:
            raise JourneyError(f"link rule {self.name!r}: grace_days must be >= 0")
        if self.step not in (None, "up", "down"):
            raise JourneyError(f"link rule {self.name!r}: step must be 'up', 'down' or None")


_WORK = (REFERRAL, ASSESSMENT, S47, ICPC, CIN_EPISODE, CIN_PLAN, CP_PLAN, EARLY_HELP, CONTACT)

#: The documented linking rules, in the order they are tried for each kind.
DEFAULT_LINK_RULES: tuple[LinkRule, ...] = (
    LinkRule(
        "contact_to_referral",
        (CONTACT,),
        REFERRAL,
        30,
        exclusive=True,
        description="The latest contact on or before the referral, within 30 days.",
    ),
    LinkRule(
        "step_up",
        (EARLY_HELP,),
        REFERRAL,
        30,
        measure="overlap",
        also=True,
        step="up",
        description="A referral during an early help episode or within 30 days of its end.",
    ),
    LinkRule(
        "step_down",
        (REFERRAL, ASSESSMENT, CIN_EPISODE, CIN_PLAN, CP_PLAN),
        EARLY_HELP,
        30,
        measure="finish",
        step="down",
        description="Early help starting within 30 days after a referral, assessment or plan "
        "finished.",
    ),
    LinkRule(
        "contact_to_early_help",
        (CONTACT,),
        EARLY_HELP,
        30,
        exclusive=True,
        description="The latest contact on or before the early help episode, within 30 days.",
    ),
    LinkRule(
        "referral_to_assessment",
        (REFERRAL,),
        ASSESSMENT,
        30,
        grace_days=14,
        description="The latest referral on or before the assessment's start, within 30 days "
        "(or one up to 14 days after it, flagged).",
    ),
    LinkRule(
        "to_s47",
        (REFERRAL, ASSESSMENT),
        S47,
        30,
        measure="overlap",
        description="The referral or assessment the enquiry arose from: the latest begun on or "
        "before the strategy discussion, still open then or within 30 days.",
    ),
    LinkRule(
        "s47_to_icpc",
        (S47,),
        ICPC,
        90,
        grace_days=14,
        exclusive=True,
        description="The section 47 enquiry the conference concludes: the latest begun within 90 "
        "days before (or up to 14 days after it, flagged).",
    ),
    LinkRule(
        "icpc_to_cp_plan",
        (ICPC,),
        CP_PLAN,
        0,
        same_day=True,
        exclusive=True,
        description="The initial conference on the plan's start date.",
    ),
    LinkRule(
        "to_cp_plan",
        (S47, ASSESSMENT, REFERRAL),
        CP_PLAN,
        90,
        measure="overlap",
        description="With no conference that day: the enquiry, assessment or referral before it.",
    ),
    LinkRule(
        "to_cin_plan",
        (ASSESSMENT, ICPC, CP_PLAN),
        CIN_PLAN,
        30,
        measure="overlap",
        description="The assessment that recommended it (or a conference, or a CP plan stepping "
        "down): the latest begun before it, still open or within 30 days.",
    ),
    LinkRule(
        "to_cin_episode",
        (REFERRAL,),
        CIN_EPISODE,
        30,
        description="The referral that opened the episode of need, within 30 days.",
    ),
    LinkRule(
        "to_lac",
        _WORK,
        LAC,
        90,
        measure="overlap",
        description="Whatever preceded it: the latest event begun before, still open or within "
        "90 days.",
    ),
    LinkRule(
        "to_closure",
        (*_WORK, LAC),
        CLOSURE,
        None,
        measure="overlap",
        description="The latest event before the closure.",
    ),
)


def node_key(event: Event) -> str:
    """The stable node key of an event.

    Examples
    --------
    >>> node_key(Event("referral", date(2025, 3, 2)))
    'referral:2025-03-02:0'
    """
    return f"{event.kind}:{event.start.isoformat()}:{event.occurrence}"


def finish_of(kind: str, start: date, end: date | None) -> date | None:
    """When an event finished: its end, its start for one-day kinds, else None (open).

    Examples
    --------
    >>> finish_of("referral", date(2025, 3, 2), None)
    datetime.date(2025, 3, 2)
    >>> finish_of("assessment", date(2025, 3, 2), None) is None
    True
    """
    if end is not None:
        return end
    return start if kind in POINT_KINDS else None


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_events(events: Sequence[Event]) -> list[str]:
    """The events' keys, once the events are known to be well formed."""
    seen: dict[str, None] = {}
    for event in events:
        if not isinstance(event, Event):
            raise JourneyError(f"build_journey takes Event records, got {type(event).__name__}")
        if event.kind not in _RANK:
            raise JourneyError(f"unknown event kind {event.kind!r}")
        if not _is_date(event.start) or (event.end is not None and not _is_date(event.end)):
            raise JourneyError(f"event dates must be dates: {event!r}")
        key = node_key(event)
        if key in seen:
            raise JourneyError(f"two events share the key {key}; number them by occurrence")
        seen[key] = None
    return list(seen)


class _Index:
    """Per-kind lists in date order, searched with bisect."""

    def __init__(self, data: dict[str, dict[str, Any]], order: list[str]) -> None:
        self.data = data
        self.pos = {key: i for i, key in enumerate(order)}
        self.by_kind: dict[str, list[str]] = {}
        for key in order:
            self.by_kind.setdefault(self.data[key]["kind"], []).append(key)
        self.starts: dict[str, list[date]] = {
            kind: [data[k]["start"] for k in keys] for kind, keys in self.by_kind.items()
        }
        self._reach: dict[str, list[date]] = {}
        self._finishes: dict[str, tuple[list[date], list[str]]] = {}

    def reach(self, kind: str) -> list[date]:
        """The latest finish among a kind's events up to each position (open: date.max),
        so an "overlap" search stops as soon as nothing earlier can still qualify."""
        reach = self._reach.get(kind)
        if reach is None:
            reach, latest = [], date.min
            for k in self.by_kind[kind]:
                latest = max(latest, self.data[k]["finish"] or date.max)
                reach.append(latest)
            self._reach[kind] = reach
        return reach

    def finishes(self, kind: str) -> tuple[list[date], list[str]]:
        """A kind's finished events in order of finish (then position): dates and keys."""
        found = self._finishes.get(kind)
        if found is None:
            data = self.data
            done = sorted(
                (data[k]["finish"], self.pos[k], k) for k in self.by_kind[kind] if data[k]["finish"]
            )
            found = self._finishes[kind] = ([d for d, _, _ in done], [k for _, _, k in done])
        return found

    def usable(self, rule: LinkRule, used: set[str], cand: str, target: str) -> bool:
        if cand == target or (rule.exclusive and cand in used):
            return False
        # A same-kind cause must come first, or two events could each cause the other.
        return (
            self.data[cand]["kind"] != self.data[target]["kind"]
            or self.pos[cand] < self.pos[target]
        )


def _find_cause(ix: _Index, rule: LinkRule, used: set[str], target: str) -> str | None:
    day: date = ix.data[target]["start"]
    window = rule.window_days
    best: tuple[date, int, int] | None = None
    found: str | None = None
    for kind in rule.from_kinds:
        if kind not in ix.by_kind:
            continue
        hit: str | None = None
        anchor: date | None = None
        if rule.measure == "finish":
            dates, keys = ix.finishes(kind)
            i = bisect_right(dates, day) - 1
            while i >= 0:
                if window is not None and (day - dates[i]).days > window:
                    break
                if ix.usable(rule, used, keys[i], target):
                    hit, anchor = keys[i], dates[i]
                    break
                i -= 1
        else:
            starts = ix.starts[kind]
            keys = ix.by_kind[kind]
            overlap = rule.measure == "overlap" and window is not None
            reach = ix.reach(kind) if overlap else starts
            i = bisect_right(starts, day) - 1
            while i >= 0:
                gap = (day - starts[i]).days
                if rule.same_day and gap:
                    break
                if rule.measure == "start" and window is not None and gap > window:
                    break
                if overlap and window is not None and (day - reach[i]).days > window:
                    break
                cand = keys[i]
                if ix.usable(rule, used, cand, target):
                    fin = ix.data[cand]["finish"]
                    if not overlap or fin is None or window is None or (day - fin).days <= window:
                        hit, anchor = cand, starts[i]
                        break
                i -= 1
        if hit is not None and anchor is not None:
            score = (anchor, _RANK[kind], ix.pos[hit])
            if best is None or score > best:
                best, found = score, hit
    if found is None and rule.grace_days:
        found = _find_later_cause(ix, rule, used, target)
    return found


def _find_later_cause(ix: _Index, rule: LinkRule, used: set[str], target: str) -> str | None:
    """The earliest cause dated just after the event: linked anyway, and flagged."""
    day: date = ix.data[target]["start"]
    best: tuple[date, int] | None = None
    found: str | None = None
    for kind in rule.from_kinds:
        starts = ix.starts.get(kind, [])
        keys = ix.by_kind.get(kind, [])
        i = bisect_right(starts, day)
        while i < len(starts) and (starts[i] - day).days <= rule.grace_days:
            if ix.usable(rule, used, keys[i], target):
                if best is None or (starts[i], ix.pos[keys[i]]) < best:
                    best, found = (starts[i], ix.pos[keys[i]]), keys[i]
                break
            i += 1
    return found


def _link(
    G: nx.DiGraph[str],
    data: dict[str, dict[str, Any]],
    order: list[str],
    rules: Iterable[LinkRule],
    wd: WorkingDays,
) -> dict[str, str]:
    """Add the links; returns each linked node's main (``primary``) cause."""
    by_target: dict[str, list[LinkRule]] = {}
    for rule in rules:
        by_target.setdefault(rule.to_kind, []).append(rule)
    ix = _Index(data, order)
    used: dict[str, set[str]] = {}
    leads: set[str] = set()  # the nodes that are the cause of some link
    primary: dict[str, str] = {}
    for target in order:
        node = data[target]
        rules_for = by_target.get(node["kind"])
        if not rules_for:
            continue
        has_cause = False
        for rule in rules_for:
            if has_cause and not rule.also:
                continue
            taken = used.setdefault(rule.name, set())
            cause = _find_cause(ix, rule, taken, target)
            if cause is None:
                continue
            # Only a node that already leads somewhere can close a cycle; that happens
            # only after a link that went back in date order, so the check is rare.
            if target in leads and nx.has_path(G, target, cause):
                continue
            start: date = data[cause]["start"]
            G.add_edge(
                cause,
                target,
                rule=rule.name,
                step=rule.step,
                primary=not rule.also,
                days=(node["start"] - start).days,
                working_days=wd.between(start, node["start"]),
                flags=[],
            )
            leads.add(cause)
            taken.add(cause)
            if not rule.also:
                has_cause = True
                primary[target] = cause
            elif primary.get(target) == cause:  # the same link again, now not the main one
                del primary[target]
    return primary


def reading_order(G: nx.DiGraph[str]) -> list[str]:
    """The nodes in date order, causes before what they led to.

    Examples
    --------
    >>> G = build_journey([Event("referral", date(2025, 3, 3)),
    ...                    Event("contact", date(2025, 3, 1))], as_of=date(2025, 4, 1))
    >>> reading_order(G)
    ['contact:2025-03-01:0', 'referral:2025-03-03:0']
    """
    pos: dict[str, int] = dict(G.nodes(data="pos"))
    return _reading_order(G, pos, sorted(pos, key=pos.__getitem__))


def _reading_order(G: nx.DiGraph[str], pos: dict[str, int], by_date: list[str]) -> list[str]:
    """``reading_order`` given each node's position and the nodes in date order."""
    # When every link points forward in date order (nearly always), date order is the
    # answer: the earliest node left never waits for a cause.
    if all(pos[u] < pos[v] for u, v in G.edges):
        return list(by_date)
    return list(nx.lexicographical_topological_sort(G, key=pos.__getitem__))


def _number_episodes(
    G: nx.DiGraph[str], data: dict[str, dict[str, Any]], order: list[str], primary: dict[str, str]
) -> None:
    number = 0
    for key in order:
        if data[key]["kind"] == REFERRAL:
            number += 1
            data[key]["episode"] = number
    done = {key for key in order if data[key]["kind"] == REFERRAL}
    for key in order:
        # Walk up the main causes to a referral or a node already numbered.
        chain: list[str] = []
        at: str | None = key
        while at is not None and at not in done:
            chain.append(at)
            at = primary.get(at)
        episode = data[at]["episode"] if at is not None else None
        for k in chain:
            data[k]["episode"] = episode
            done.add(k)
    # The contact a referral came from belongs to the referral's episode.
    for key in order:
        node = data[key]
        if node["kind"] == CONTACT and node["episode"] is None:
            led = [data[s]["episode"] for s in G.successors(key) if data[s]["episode"]]
            if led:
                node["episode"] = min(led)


def _flag(target: dict[str, object], code: str) -> None:
    flags = target["flags"]
    assert isinstance(flags, list)
    if code not in flags:
        flags.append(code)


def build_journey(
    events: Iterable[Event],
    *,
    as_of: date,
    holidays: Collection[date] = frozenset(),
    rules: Sequence[LinkRule] = DEFAULT_LINK_RULES,
    timeliness_rules: Sequence[TimelinessRule] = DEFAULT_TIMELINESS_RULES,
) -> nx.DiGraph[str]:
    """Build a child's journey graph from its events.

    Every event becomes a node; none is dropped.  The link rules are tried in order
    for each event; an event of a kind that needs a cause (anything but a contact,
    referral or early help) that no rule links is flagged ``"unlinked"``.  The graph
    is acyclic.  Anomalies and timeliness checks (as at ``as_of``) are attached to
    the nodes and edges they concern and listed in ``G.graph``.

    Parameters
    ----------
    events : iterable of Event
        One child's events, in any order.
    as_of : date
        The reference date for open and overdue timeliness checks.  Nothing else
        depends on it.
    holidays : collection of date
        Bank holidays (England and Wales) for counting working days.
    rules : sequence of LinkRule
        The linking rules, tried in order for each kind.
    timeliness_rules : sequence of TimelinessRule
        The timeliness checks and their limits.

    Returns
    -------
    G : networkx.DiGraph

    Raises
    ------
    JourneyError
        For an unknown kind, a non-date, two events with the same key, or an
        ``as_of`` that is not a date.

    Examples
    --------
    >>> G = build_journey(
    ...     [Event("contact", date(2025, 3, 3)), Event("referral", date(2025, 3, 4)),
    ...      Event("assessment", date(2025, 3, 5), date(2025, 4, 10))],
    ...     as_of=date(2025, 6, 1))
    >>> sorted(G.edges(data="rule"))  # doctest: +NORMALIZE_WHITESPACE
    [('contact:2025-03-03:0', 'referral:2025-03-04:0', 'contact_to_referral'),
     ('referral:2025-03-04:0', 'assessment:2025-03-05:0', 'referral_to_assessment')]
    >>> G.nodes["assessment:2025-03-05:0"]["episode"]
    1
    """
    if not _is_date(as_of):
        raise JourneyError(f"as_of must be a date, got {as_of!r}")
    events = list(events)
    keyed = sorted(
        zip(_check_events(events), events, strict=True),
        key=lambda ke: (ke[1].start, _RANK[ke[1].kind], ke[1].occurrence),
    )
    order = [key for key, _ in keyed]
    wd = WorkingDays(holidays)
    G: nx.DiGraph[str] = nx.DiGraph(as_of=as_of, holidays=wd.holidays, anomalies=[], timeliness=[])
    G.add_nodes_from(order)
    # The graph's own attribute dicts, filled in place (quicker than nodes given with dicts).
    data: dict[str, dict[str, Any]] = dict(G.nodes(data=True))
    for pos, (key, event) in enumerate(keyed):
        kind, start = event.kind, event.start
        data[key].update(
            kind=kind,
            start=start,
            end=event.end,
            finish=finish_of(kind, start, event.end),
            occurrence=event.occurrence,
            attrs=dict(event.attrs),
            ref=event.ref,
            label=f"{KIND_LABELS[kind]}, {start.day} {_MONTHS[start.month]} {start.year}",
            short=SHORT_FORMS[kind],
            pos=pos,
            episode=None,
            flags=[],
        )
    primary = _link(G, data, order, rules, wd)
    _number_episodes(G, data, order, primary)
    for key in order:
        if data[key]["kind"] not in ROOT_KINDS and not G.pred[key]:
            _flag(data[key], "unlinked")

    anomalies = _detect(G, data, order)
    for anomaly in anomalies:
        _flag(data[anomaly.node], anomaly.code)
        if anomaly.edge is not None:
            _flag(G.edges[anomaly.edge], anomaly.code)
    G.graph["anomalies"] = anomalies

    checks, undated = check_timeliness_twice(
        G, as_of=as_of, holidays=wd, rules=timeliness_rules, nodes=data, order=order
    )
    for check in checks:
        if check.status in ("breached", "overdue"):
            mark = f"{'late' if check.status == 'breached' else 'overdue'}:{check.rule}"
            _flag(data[check.node], mark)
            if check.to_node is not None and G.has_edge(check.from_node, check.to_node):
                _flag(G.edges[check.from_node, check.to_node], mark)
    G.graph["timeliness"] = checks
    G.graph["timeliness_undated"] = undated
    G.graph["timeliness_rules"] = tuple(timeliness_rules)
    return G
