"""What a child's journey shows: a summary that does not depend on the date, and a status that does.

:func:`summarise_journey` gives a :class:`JourneySummary` the app stores and filters on,
rebuilt only when the child's events change.  :func:`status_at` gives a
:class:`JourneyStatus` at a reference date (open episodes and their age, time on
plan, overdue work), computed when asked.  Both run in time linear in the events.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import networkx as nx

from ._dates import WorkingDays, add_months
from .anomalies import Anomaly, detect_anomalies
from .events import (
    ASSESSMENT,
    CIN_EPISODE,
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
from .graph import POINT_KINDS, _reading_order
from .timeliness import (
    BREACHED,
    DEFAULT_TIMELINESS_RULES,
    OPEN,
    OVERDUE,
    Timeliness,
    check_timeliness,
)

__all__ = [
    "STAGES",
    "STAGE_LABELS",
    "STAGE_OF_KIND",
    "NFA",
    "ReferralFinding",
    "PlanSpan",
    "JourneySummary",
    "OpenEpisode",
    "JourneyStatus",
    "summarise_journey",
    "status_at",
]

#: Stages of a journey, from least to most intervention; "furthest stage" is the highest reached.
STAGES: tuple[str, ...] = (
    CONTACT,
    EARLY_HELP,
    REFERRAL,
    ASSESSMENT,
    "cin",
    S47,
    ICPC,
    CP_PLAN,
    LAC,
)
#: The stage each kind of event puts a child in (a closure is no stage).
STAGE_OF_KIND: dict[str, str] = {
    CONTACT: CONTACT,
    EARLY_HELP: EARLY_HELP,
    REFERRAL: REFERRAL,
    ASSESSMENT: ASSESSMENT,
    S47: S47,
    ICPC: ICPC,
    CIN_EPISODE: "cin",
    CIN_PLAN: "cin",
    CP_PLAN: CP_PLAN,
    LAC: LAC,
}
#: The flows' end stage for a journey that stopped at a referral marked NFA or a finished
#: assessment that led nowhere.
NFA = "nfa"
STAGE_LABELS: dict[str, str] = {
    CONTACT: "Contact",
    EARLY_HELP: "Early help",
    REFERRAL: "Referral",
    ASSESSMENT: "Assessment",
    "cin": "Child in need",
    S47: "Section 47 enquiry",
    ICPC: "Initial conference",
    CP_PLAN: "Child protection plan",
    LAC: "Looked after",
    NFA: "No further action",
}
_STAGE_RANK = {stage: i for i, stage in enumerate(STAGES)}
_PLAN_KINDS = (CIN_PLAN, CP_PLAN, LAC)
PATH_MAX = 500  # the summary table's column width
_Nodes = dict[str, dict[str, Any]]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class ReferralFinding:
    """One referral: whether it is a re-referral, and how far its episode went.

    ``rereferral`` is None when neither the data nor ``referrals_last_12m`` reach
    back 12 months (``history_incomplete`` is then True).
    """

    node: str
    day: date
    episode: int
    source: str | None
    nfa: bool
    rereferral: bool | None
    previous_referral: date | None
    history_incomplete: bool
    furthest_stage: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "day": self.day.isoformat(),
            "episode": self.episode,
            "source": self.source,
            "nfa": self.nfa,
            "rereferral": self.rereferral,
            "previous_referral": _iso(self.previous_referral),
            "history_incomplete": self.history_incomplete,
            "furthest_stage": self.furthest_stage,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReferralFinding:
        return cls(
            node=data["node"],
            day=date.fromisoformat(data["day"]),
            episode=data["episode"],
            source=data.get("source"),
            nfa=data["nfa"],
            rereferral=data.get("rereferral"),
            previous_referral=_day(data.get("previous_referral")),
            history_incomplete=data["history_incomplete"],
            furthest_stage=data["furthest_stage"],
        )


@dataclass(frozen=True, slots=True)
class PlanSpan:
    """Time on a CIN plan, CP plan or looked-after episode.

    ``days`` run from start to end (to the reference date in a status; None when
    open in a summary).  ``two_years_or_more`` likewise.  ``repeat`` (CP plans only)
    is whether the plan is a second or subsequent one; None when unknown.
    """

    node: str
    kind: str
    start: date
    end: date | None
    days: int | None
    two_years_or_more: bool | None
    repeat: bool | None = None
    category: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": _iso(self.end),
            "days": self.days,
            "two_years_or_more": self.two_years_or_more,
            "repeat": self.repeat,
            "category": self.category,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanSpan:
        return cls(
            node=data["node"],
            kind=data["kind"],
            start=date.fromisoformat(data["start"]),
            end=_day(data.get("end")),
            days=data.get("days"),
            two_years_or_more=data.get("two_years_or_more"),
            repeat=data.get("repeat"),
            category=data.get("category"),
        )


@dataclass(frozen=True, slots=True)
class JourneySummary:
    """The findings of one journey that do not depend on the reference date.

    Attributes
    ----------
    path : str
        Short form in reading order, repeats collapsed: "C → R → A×2 → CINP".
    stages : tuple of str
        Stages in the order first reached (each once), ending "nfa" when the journey
        stopped at an NFA referral or a finished assessment: the cohort flows.
    furthest_stage : str or None
        The highest of ``STAGES`` reached; None for no events.
    event_count, episode_count, referral_count, unlinked_count : int
    first_referral, latest_referral : date or None
    latest_source : str or None
        The latest referral's source.
    team, worker : str or None
        From the latest event that names them.
    referrals : tuple of ReferralFinding
    rereferred : bool
        Some referral is known to be a re-referral within 12 months.
    cp_plan_count : int
    repeat_cp : bool
        Some CP plan is known to be a second or subsequent one.
    cp_plans_two_years : int
        Ended CP plans that lasted two years or more.
    plans : tuple of PlanSpan
    step_ups, step_downs : int
    history_incomplete : bool
        Some re-referral or repeat-plan finding could not be settled from the data.
    anomalies : tuple of Anomaly
    anomaly_codes : tuple of str
        Distinct codes, sorted.
    timeliness : tuple of Timeliness
        Checks judged without a reference date: met, breached, or open.
    breach_count : int
    factors, cp_categories, outcomes : tuple of str
        Assessment factor codes; CP categories (latest, else initial); which of nfa,
        early_help, cin, s47, cp_plan, lac the journey includes.
    """

    path: str = ""
    stages: tuple[str, ...] = ()
    furthest_stage: str | None = None
    event_count: int = 0
    episode_count: int = 0
    referral_count: int = 0
    unlinked_count: int = 0
    first_referral: date | None = None
    latest_referral: date | None = None
    latest_source: str | None = None
    team: str | None = None
    worker: str | None = None
    referrals: tuple[ReferralFinding, ...] = ()
    rereferred: bool = False
    cp_plan_count: int = 0
    repeat_cp: bool = False
    cp_plans_two_years: int = 0
    plans: tuple[PlanSpan, ...] = ()
    step_ups: int = 0
    step_downs: int = 0
    history_incomplete: bool = False
    anomalies: tuple[Anomaly, ...] = ()
    anomaly_codes: tuple[str, ...] = ()
    timeliness: tuple[Timeliness, ...] = ()
    breach_count: int = 0
    factors: tuple[str, ...] = ()
    cp_categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = field(default=())

    @property
    def anomaly_count(self) -> int:
        return len(self.anomalies)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: dates as ISO strings, tuples as lists; ``from_dict`` reverses it.

        Examples
        --------
        >>> JourneySummary().to_dict()["path"]
        ''
        >>> s = JourneySummary(path="R", referral_count=1, first_referral=date(2025, 1, 2))
        >>> JourneySummary.from_dict(s.to_dict()) == s
        True
        """
        return {
            "path": self.path,
            "stages": list(self.stages),
            "furthest_stage": self.furthest_stage,
            "event_count": self.event_count,
            "episode_count": self.episode_count,
            "referral_count": self.referral_count,
            "unlinked_count": self.unlinked_count,
            "first_referral": _iso(self.first_referral),
            "latest_referral": _iso(self.latest_referral),
            "latest_source": self.latest_source,
            "team": self.team,
            "worker": self.worker,
            "referrals": [r.to_dict() for r in self.referrals],
            "rereferred": self.rereferred,
            "cp_plan_count": self.cp_plan_count,
            "repeat_cp": self.repeat_cp,
            "cp_plans_two_years": self.cp_plans_two_years,
            "plans": [p.to_dict() for p in self.plans],
            "step_ups": self.step_ups,
            "step_downs": self.step_downs,
            "history_incomplete": self.history_incomplete,
            "anomalies": [a.to_dict() for a in self.anomalies],
            "anomaly_count": self.anomaly_count,
            "anomaly_codes": list(self.anomaly_codes),
            "timeliness": [t.to_dict() for t in self.timeliness],
            "breach_count": self.breach_count,
            "factors": list(self.factors),
            "cp_categories": list(self.cp_categories),
            "outcomes": list(self.outcomes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JourneySummary:
        return cls(
            path=data["path"],
            stages=tuple(data["stages"]),
            furthest_stage=data["furthest_stage"],
            event_count=data["event_count"],
            episode_count=data["episode_count"],
            referral_count=data["referral_count"],
            unlinked_count=data["unlinked_count"],
            first_referral=_day(data["first_referral"]),
            latest_referral=_day(data["latest_referral"]),
            latest_source=data["latest_source"],
            team=data["team"],
            worker=data["worker"],
            referrals=tuple(ReferralFinding.from_dict(r) for r in data["referrals"]),
            rereferred=data["rereferred"],
            cp_plan_count=data["cp_plan_count"],
            repeat_cp=data["repeat_cp"],
            cp_plans_two_years=data["cp_plans_two_years"],
            plans=tuple(PlanSpan.from_dict(p) for p in data["plans"]),
            step_ups=data["step_ups"],
            step_downs=data["step_downs"],
            history_incomplete=data["history_incomplete"],
            anomalies=tuple(Anomaly.from_dict(a) for a in data["anomalies"]),
            anomaly_codes=tuple(data["anomaly_codes"]),
            timeliness=tuple(Timeliness.from_dict(t) for t in data["timeliness"]),
            breach_count=data["breach_count"],
            factors=tuple(data["factors"]),
            cp_categories=tuple(data["cp_categories"]),
            outcomes=tuple(data["outcomes"]),
        )


def _path(nodes: _Nodes, order: list[str]) -> str:
    runs: list[list[Any]] = []
    for key in order:
        short = nodes[key]["short"]
        if runs and runs[-1][0] == short:
            runs[-1][1] += 1
        else:
            runs.append([short, 1])
    text = " → ".join(s if n == 1 else f"{s}×{n}" for s, n in runs)
    if len(text) > PATH_MAX:
        text = text[: PATH_MAX - 4].rsplit(" → ", 1)[0] + " → …"
    return text


def _stages(G: nx.DiGraph[str], nodes: _Nodes, order: list[str]) -> tuple[str, ...]:
    reached: dict[str, str] = {}  # stage -> the last node in it
    for key in order:
        stage = STAGE_OF_KIND.get(nodes[key]["kind"])
        if stage is not None:
            reached[stage] = key
    seen: list[str] = []
    for key in order:
        stage = STAGE_OF_KIND.get(nodes[key]["kind"])
        if stage is not None and stage not in seen:
            seen.append(stage)
    if seen and seen[-1] in (REFERRAL, ASSESSMENT):
        last = nodes[reached[seen[-1]]]
        led = any(nodes[s]["kind"] != CLOSURE for s in G.successors(reached[seen[-1]]))
        if not led and (last["attrs"].get("nfa") is True or last["end"] is not None):
            seen.append(NFA)
    return tuple(seen)


def _episode_stages(nodes: _Nodes, order: list[str]) -> dict[int, str]:
    furthest: dict[int, str] = {}
    for key in order:
        node = nodes[key]
        stage = STAGE_OF_KIND.get(node["kind"])
        episode = node["episode"]
        if stage is None or episode is None or node["kind"] == CONTACT:
            continue
        if episode not in furthest or _STAGE_RANK[stage] > _STAGE_RANK[furthest[episode]]:
            furthest[episode] = stage
    return furthest


def _referral_findings(
    nodes: _Nodes, referrals: list[str], history_start: date | None, order: list[str]
) -> tuple[ReferralFinding, ...]:
    furthest = _episode_stages(nodes, order)
    found = []
    for i, key in enumerate(referrals):
        node = nodes[key]
        day: date = node["start"]
        year_before = add_months(day, -12)
        previous: date | None = nodes[referrals[i - 1]]["start"] if i else None
        count = node["attrs"].get("referrals_last_12m")
        rereferral: bool | None
        if previous is not None and previous >= year_before:
            rereferral = True
        elif i == len(referrals) - 1 and isinstance(count, int) and not isinstance(count, bool):
            # Annex A gives the count before the *latest* referral only.
            rereferral = count > 0
        elif history_start is None or history_start <= year_before:
            rereferral = False
        else:
            rereferral = None
        found.append(
            ReferralFinding(
                node=key,
                day=day,
                episode=node["episode"],
                source=node["attrs"].get("source"),
                nfa=node["attrs"].get("nfa") is True,
                rereferral=rereferral,
                previous_referral=previous,
                history_incomplete=rereferral is None,
                furthest_stage=furthest.get(node["episode"], REFERRAL),
            )
        )
    return tuple(found)


def _plans(nodes: _Nodes, order: list[str], history_start: date | None) -> tuple[PlanSpan, ...]:
    spans = []
    cp_seen = 0
    for key in order:
        node = nodes[key]
        kind = node["kind"]
        if kind not in _PLAN_KINDS:
            continue
        start, end = node["start"], node["end"]
        repeat: bool | None = None
        category = None
        if kind == CP_PLAN:
            previous = node["attrs"].get("previous_plans")
            if cp_seen:
                repeat = True
            elif isinstance(previous, int) and not isinstance(previous, bool):
                repeat = previous > 0
            elif history_start is None:
                repeat = False
            cp_seen += 1
            category = node["attrs"].get("category_latest") or node["attrs"].get("category_initial")
        spans.append(
            PlanSpan(
                node=key,
                kind=kind,
                start=start,
                end=end,
                days=(end - start).days if end else None,
                two_years_or_more=(end >= add_months(start, 24)) if end else None,
                repeat=repeat,
                category=category,
            )
        )
    return tuple(spans)


def summarise_journey(
    G: nx.DiGraph[str],
    *,
    holidays: Collection[date] | None = None,
    history_start: date | None = None,
) -> JourneySummary:
    """The date-independent findings of a journey.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph from :func:`journeys.build_journey`.
    holidays : collection of date, optional
        Bank holidays; by default those the graph was built with.
    history_start : date or None
        The earliest date the data cover (Annex A: six months before the return).
        Where a re-referral or repeat plan cannot be settled from the data or from
        ``referrals_last_12m`` / ``previous_plans``, the finding is None and the
        summary is marked ``history_incomplete``.  None means the data are complete.

    Returns
    -------
    JourneySummary

    Examples
    --------
    >>> from journeys import Event, build_journey
    >>> G = build_journey(
    ...     [Event("contact", date(2025, 1, 6)), Event("referral", date(2025, 1, 7)),
    ...      Event("referral", date(2025, 9, 1), attrs={"referrals_last_12m": 1})],
    ...     as_of=date(2025, 10, 1))
    >>> s = summarise_journey(G, history_start=date(2024, 11, 1))
    >>> s.path, s.referral_count, [r.rereferral for r in s.referrals], s.history_incomplete
    ('C → R×2', 2, [None, True], True)
    >>> summarise_journey(build_journey([], as_of=date(2025, 1, 1))).path
    ''
    """
    nodes: _Nodes = dict(G.nodes(data=True))
    pos: dict[str, int] = {key: node["pos"] for key, node in nodes.items()}
    by_date = sorted(nodes, key=pos.__getitem__)
    order = _reading_order(G, pos, by_date)
    referrals = [k for k in by_date if nodes[k]["kind"] == REFERRAL]
    stages_reached = {STAGE_OF_KIND[nodes[k]["kind"]] for k in G if nodes[k]["kind"] != CLOSURE}
    referral_findings = _referral_findings(nodes, referrals, history_start, by_date)
    plans = _plans(nodes, by_date, history_start)
    cp = [p for p in plans if p.kind == CP_PLAN]

    anomalies = G.graph.get("anomalies")
    if anomalies is None:
        anomalies = detect_anomalies(G)
    # build_journey ran the same checks without a date beside those at as_of: reuse them
    # when they were run with these rules and holidays.
    checks = G.graph.get("timeliness_undated")
    if (
        checks is None
        or G.graph.get("timeliness_rules") != DEFAULT_TIMELINESS_RULES
        or (holidays is not None and frozenset(holidays) != G.graph.get("holidays"))
    ):
        checks = check_timeliness(G, holidays=holidays)

    team = worker = None
    for key in reversed(by_date):
        attrs = nodes[key]["attrs"]
        team = team or attrs.get("team")
        worker = worker or attrs.get("worker")
        if team and worker:
            break
    factors: dict[str, None] = {}
    categories: dict[str, None] = {}
    for key in by_date:
        attrs = nodes[key]["attrs"]
        if nodes[key]["kind"] == ASSESSMENT and attrs.get("factors"):
            factors.update((f.strip(), None) for f in str(attrs["factors"]).split(","))
    for span in cp:
        if span.category:
            categories[span.category] = None
    factors.pop("", None)
    outcomes = [NFA] if any(r.nfa for r in referral_findings) else []
    outcomes += [s for s in (EARLY_HELP, "cin", S47, CP_PLAN, LAC) if s in stages_reached]
    steps: list[str] = [step for _, _, step in G.edges(data="step") if step]

    return JourneySummary(
        path=_path(nodes, order),
        stages=_stages(G, nodes, order),
        furthest_stage=max(stages_reached, key=_STAGE_RANK.__getitem__, default=None),
        event_count=G.number_of_nodes(),
        episode_count=len(referrals),
        referral_count=len(referrals),
        unlinked_count=sum("unlinked" in nodes[k]["flags"] for k in G),
        first_referral=referral_findings[0].day if referral_findings else None,
        latest_referral=referral_findings[-1].day if referral_findings else None,
        latest_source=referral_findings[-1].source if referral_findings else None,
        team=team,
        worker=worker,
        referrals=referral_findings,
        rereferred=any(r.rereferral for r in referral_findings),
        cp_plan_count=len(cp),
        repeat_cp=any(p.repeat for p in cp),
        cp_plans_two_years=sum(bool(p.two_years_or_more) for p in cp),
        plans=plans,
        step_ups=steps.count("up"),
        step_downs=steps.count("down"),
        history_incomplete=any(r.history_incomplete for r in referral_findings)
        or any(p.repeat is None for p in cp),
        anomalies=tuple(anomalies),
        anomaly_codes=tuple(sorted({a.code for a in anomalies})),
        timeliness=tuple(checks),
        breach_count=sum(t.status == BREACHED for t in checks),
        factors=tuple(sorted(factors)),
        cp_categories=tuple(categories),
        outcomes=tuple(outcomes),
    )


@dataclass(frozen=True, slots=True)
class OpenEpisode:
    """An episode with work open at the reference date.

    ``episode`` is None for open work outside any referral episode (early help).
    ``since`` is the referral's date (else the earliest open event's start); the ages
    run from it to the reference date.
    """

    episode: int | None
    referral: str | None
    since: date
    age_days: int
    age_working_days: int
    open_nodes: tuple[str, ...]
    stage: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "episode": self.episode,
            "referral": self.referral,
            "since": self.since.isoformat(),
            "age_days": self.age_days,
            "age_working_days": self.age_working_days,
            "open_nodes": list(self.open_nodes),
            "stage": self.stage,
        }


@dataclass(frozen=True, slots=True)
class JourneyStatus:
    """Where a child is at a reference date.

    ``stage`` is the highest stage open then (None when nothing is open);
    ``open_plans`` the plans open with their days so far; ``long_cp_plan`` whether
    an open CP plan has lasted two years or more; ``pending`` the timeliness checks
    still open, of which ``overdue`` are past their limit; ``later_events`` counts
    events dated after the reference date (left out of the status).
    """

    as_of: date
    stage: str | None
    open_episodes: tuple[OpenEpisode, ...]
    open_plans: tuple[PlanSpan, ...]
    long_cp_plan: bool
    pending: tuple[Timeliness, ...]
    overdue: tuple[Timeliness, ...]
    later_events: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "stage": self.stage,
            "open_episodes": [e.to_dict() for e in self.open_episodes],
            "open_plans": [p.to_dict() for p in self.open_plans],
            "long_cp_plan": self.long_cp_plan,
            "pending": [t.to_dict() for t in self.pending],
            "overdue": [t.to_dict() for t in self.overdue],
            "later_events": self.later_events,
        }


def _is_open(G: nx.DiGraph[str], key: str, as_of: date, closures: dict[int, list[date]]) -> bool:
    node = G.nodes[key]
    if node["kind"] in POINT_KINDS or node["start"] > as_of:
        return False
    if node["end"] is not None:
        return bool(node["end"] > as_of)
    # Open-ended work counts as closed once its episode has a closure.
    return not any(node["start"] <= c <= as_of for c in closures.get(node["episode"], ()))


def status_at(
    G: nx.DiGraph[str], as_of: date, *, holidays: Collection[date] | None = None
) -> JourneyStatus:
    """The journey's status at a reference date.

    An event is open at ``as_of`` when it has begun and has no end, or ends after
    ``as_of`` (a plan ending on that day is no longer open); open-ended work in an
    episode that has a closure on or before ``as_of`` is taken as closed.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph from :func:`journeys.build_journey`.
    as_of : date
    holidays : collection of date, optional
        Bank holidays; by default those the graph was built with.

    Returns
    -------
    JourneyStatus

    Examples
    --------
    >>> from journeys import Event, build_journey
    >>> G = build_journey([Event("referral", date(2026, 1, 5)),
    ...                    Event("assessment", date(2026, 1, 5))], as_of=date(2026, 3, 31))
    >>> s = status_at(G, date(2026, 3, 31))
    >>> s.stage, s.open_episodes[0].age_working_days, [t.over_by for t in s.overdue]
    ('assessment', 61, [16, 16])
    """
    nodes = G.nodes
    if holidays is None:
        holidays = G.graph.get("holidays", frozenset())
    wd = WorkingDays(holidays)
    by_date = sorted(G, key=lambda n: nodes[n]["pos"])
    closures: dict[int, list[date]] = {}
    for key in by_date:
        if nodes[key]["kind"] == CLOSURE and nodes[key]["episode"] is not None:
            closures.setdefault(nodes[key]["episode"], []).append(nodes[key]["start"])
    open_keys = [k for k in by_date if _is_open(G, k, as_of, closures)]

    groups: dict[int | None, list[str]] = {}
    for key in open_keys:
        groups.setdefault(nodes[key]["episode"], []).append(key)
    referral_of = {nodes[k]["episode"]: k for k in by_date if nodes[k]["kind"] == REFERRAL}
    episodes = []
    for episode, keys in groups.items():
        referral = referral_of.get(episode) if episode is not None else None
        since = nodes[referral]["start"] if referral else min(nodes[k]["start"] for k in keys)
        stage = max((STAGE_OF_KIND[nodes[k]["kind"]] for k in keys), key=_STAGE_RANK.__getitem__)
        episodes.append(
            OpenEpisode(
                episode,
                referral,
                since,
                (as_of - since).days,
                wd.between(since, as_of),
                tuple(keys),
                stage,
            )
        )
    plans = tuple(
        PlanSpan(
            node=k,
            kind=nodes[k]["kind"],
            start=nodes[k]["start"],
            end=nodes[k]["end"],
            days=(as_of - nodes[k]["start"]).days,
            two_years_or_more=as_of >= add_months(nodes[k]["start"], 24),
        )
        for k in open_keys
        if nodes[k]["kind"] in _PLAN_KINDS
    )
    checks = check_timeliness(G, as_of=as_of, holidays=wd)
    pending = tuple(t for t in checks if t.status in (OPEN, OVERDUE))
    stages = [STAGE_OF_KIND[nodes[k]["kind"]] for k in open_keys]
    return JourneyStatus(
        as_of=as_of,
        stage=max(stages, key=_STAGE_RANK.__getitem__, default=None),
        open_episodes=tuple(episodes),
        open_plans=plans,
        long_cp_plan=any(p.kind == CP_PLAN and p.two_years_or_more for p in plans),
        pending=pending,
        overdue=tuple(t for t in pending if t.status == OVERDUE),
        later_events=sum(nodes[k]["start"] > as_of for k in by_date),
    )
