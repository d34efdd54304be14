"""The SEF's evidence base for the service (section 8(b), Appendix B), computed from the events.

:func:`compute_indicators` reads only the events a period needs (a few indexed range
queries on ``event(kind, start_date)``) and works them out set-wise in plain Python:
dates become day ordinals, working days come from a cumulative calendar built with
``journeys`` and the England and Wales bank holidays, and events are linked by the
journey link rules (:data:`journeys.DEFAULT_LINK_RULES`) applied to every child at
once (:func:`journeys.indicators.link_latest`).  Each indicator is a dict with
``value``, ``numerator``, ``denominator``, ``label`` and ``unit``, and ``england``
where the DfE publishes a comparator (``audit_app/data/national_comparators.csv``).

Definitions (the period runs from ``start`` to ``end``, both included):

- *contacts*, *referrals*, *S47 enquiries*, *ICPCs*, *CP plans started*: events that
  start in the period.  A contact converts when a referral is linked to it
  (contact → referral rule: the latest contact on or before, within 30 days).
- *re-referral*: a referral in the period with an earlier referral for the child on or
  after the same day 12 months before; where the data show none, the source
  system's "referrals in the last 12 months" count (Annex A) is used when above 0.
- *referrals leading to CIN*: a referral an assessment links to whose finding is
  "in need".
- *assessment duration*: for assessments authorised in the period, working days
  from the linked referral to authorisation (Working Together: "from the point of
  referral"); set against England's 85.7%.  Start to authorisation is beside it.
- *open assessments over 45 days*: open at the period end and more than 45 working
  days past the referral (or the start, with no referral linked) on that day.
- *ICPC timing*: strategy discussion (S47 start) to ICPC in working days; an ICPC
  dated before its S47 (linked only by the rule's 14-day grace) is left out.
- *repeat CP plan*: a plan starting in the period after an earlier plan in the data,
  or with ``previous_plans`` above 0.  *Ended after 2 years*: plans ending in the
  period on or after the same day two years after they began.
- *at the period end*: a child with a CIN episode or plan, assessment, S47, CP plan or
  looked-after episode begun by then and not ended by then (a plan ending on that day
  is over).  Caseloads: those children by the allocated worker of their latest open
  event.
"""

from __future__ import annotations

import csv
import gc
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Date, Integer, cast, func, literal, or_, select
from sqlmodel import Session

from audit_forms.rollup import TOO_FEW
from journeys import DEFAULT_LINK_RULES
from journeys.indicators import (
    ASSESSMENT_BANDS,
    ICPC_BANDS,
    WorkingDayIndex,
    add_months,
    age_band,
    band_counts,
    ethnic_group,
    is_high_nfa,
    link_latest,
    median,
    per_10000,
    percent,
    quartiles,
)

from ..calendar import bank_holidays
from ..models import Child, Event, Team

__all__ = [
    "CASELOAD_NOT_GROUPED",
    "GROUPINGS",
    "NO_GROUP_POPULATION",
    "INDICATOR_LABELS",
    "compute_indicators",
    "indicator_trend",
    "indicators_and_trend",
    "national_comparators",
    "default_period",
    "quarter_periods",
    "source_label",
]

COMPARATORS = Path(__file__).resolve().parent.parent / "data" / "national_comparators.csv"

#: Drill-down dimensions: key -> label.
GROUPINGS: dict[str, str] = {
    "age_band": "Age band",
    "ethnicity": "Ethnicity",
    "team": "Team",
    "locality": "Locality",
}
NOT_RECORDED = "Not recorded"
#: Why a group has no rate per 10,000: the data hold one population, for the whole area.
NO_GROUP_POPULATION = "no population figure for this group"
ASSESSMENT_LIMIT = 45  # working days, Working Together 2023
ICPC_LIMIT = 15

_RULES = {rule.name: rule for rule in DEFAULT_LINK_RULES}
_CONTACT_RULE = _RULES["contact_to_referral"]
_ASSESSMENT_RULE = _RULES["referral_to_assessment"]
_ICPC_RULE = _RULES["s47_to_icpc"]
_PLAN_RULE = _RULES["icpc_to_cp_plan"]
_AT_END_KINDS = ("cin_episode", "cin_plan", "lac")

_SOURCE_NAMES = {
    "1": "Individual", "2A": "Schools", "2B": "Education services", "3": "Health services",
    "4": "Housing", "5": "LA services", "6": "Police", "7": "Other legal agency", "8": "Other",
    "9": "Anonymous", "10": "Unknown",
}  # fmt: skip

INDICATOR_LABELS: dict[str, str] = {
    "contacts": "Contacts",
    "referrals": "Referrals",
    "referral_rate_per_10000": "Referrals per 10,000 children",
    "contact_referral_conversion": "Contacts that led to a referral",
    "nfa_rate": "Referrals resulting in no further action",
    "referrals_by_source": "Referral sources with a high NFA rate",
    "rereferral_rate": "Re-referrals within 12 months",
    "referrals_to_cin_rate": "Referrals leading to a child in need finding",
    "assessments_completed": "Assessments completed",
    "assessment_duration_bands": "Assessment duration (referral to authorisation)",
    "assessments_within_45_rate": "Assessments within 45 working days of the referral",
    "assessment_start_within_45_rate": "Assessments within 45 working days of their start",
    "median_assessment_duration": "Median assessment duration (referral to authorisation)",
    "open_assessments_over_45": "Open assessments past 45 working days at the period end",
    "s47_enquiries": "Section 47 enquiries",
    "s47_icpc_conversion": "Section 47 enquiries leading to an ICPC",
    "icpcs": "Initial child protection conferences",
    "icpc_timing_bands": "Strategy discussion to ICPC",
    "icpc_within_15_rate": "ICPCs within 15 working days of the strategy discussion",
    "icpc_cp_plan_rate": "ICPCs resulting in a child protection plan",
    "cp_plans_started": "Child protection plans started",
    "repeat_cp_rate": "Child protection plans that are a second or later plan",
    "cp_plans_ended_two_years_rate": "CP plans ended that lasted two years or more",
    "cin_at_end": "Children in need at the period end",
    "cin_rate_per_10000": "Children in need per 10,000 children",
    "cp_at_end": "Children on a child protection plan at the period end",
    "cp_rate_per_10000": "Children on a CP plan per 10,000 children",
    "lac_at_end": "Children looked after at the period end",
    "lac_rate_per_10000": "Children looked after per 10,000 children",
    "caseloads": "Children per allocated worker at the period end",
}


def source_label(code: str | None) -> str:
    """A CIN census referral source code in words: ``"6: Police"``."""
    if not code:
        return NOT_RECORDED
    name = _SOURCE_NAMES.get(code) or _SOURCE_NAMES.get(code[:1]) or "Other"
    return f"{code}: {name}"


@lru_cache(maxsize=1)
def national_comparators() -> dict[str, dict[str, Any]]:
    """England's figures, keyed by indicator name (a new DfE release is an edit of the CSV)."""
    found: dict[str, dict[str, Any]] = {}
    with COMPARATORS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value = float(row["value"])
            found[row["key"]] = {
                "value": int(value) if value.is_integer() else value,
                "measure": row["measure"],
                "unit": row["unit"],
                "low": float(row["low"]) if row["low"] else None,
                "high": float(row["high"]) if row["high"] else None,
                "year": row["year"],
                "kind": row["kind"],
                "source": row["source"],
            }
    return found


_JULIAN_OFFSET = 1721424.5  # julianday() of day ordinal 0


def _ordinal(column, dialect: str):
    """``column`` (a date) as its ``date.toordinal()`` integer, worked out by the database."""
    if dialect == "sqlite":
        return cast(func.julianday(column) - _JULIAN_OFFSET, Integer)
    return cast(column - literal(date(1, 1, 1), type_=Date) + 1, Integer)


def _rows(session: Session, columns: list, *where) -> list[tuple]:
    """Plain tuples straight from the driver (booleans may come back as 0/1 on SQLite)."""
    result = session.connection().execute(select(*columns).where(*where))
    try:
        return result.cursor.fetchall()  # skips building a Row per record: half the time
    finally:
        result.close()


#: (day, occurrence, id): the journey's date order for rows of one kind.
_IN_ORDER = itemgetter(2, 3, 0)
_IN_ORDER_4 = itemgetter(2, 4, 0)  # rows with the end date before the occurrence


class _Data:
    """The events the period needs, as tuples of plain values (dates as day ordinals)."""

    def __init__(
        self, session: Session, start: date, end: date, *, open_from: date | None = None
    ) -> None:
        """Events for periods within ``start``..``end``; open work at any end from ``open_from``."""
        e = Event.__table__.c
        dialect = session.get_bind().dialect.name
        s_day, e_day = _ordinal(e.start_date, dialect), _ordinal(e.end_date, dialect)
        self.start, self.end = start.toordinal(), end.toordinal()
        year_back = add_months(start, -12) - timedelta(days=_ASSESSMENT_RULE.window_days or 30)
        ahead = end + timedelta(days=_CONTACT_RULE.window_days or 30)
        # Conferences up to 120 days before the period compete for the enquiries that
        # in-period conferences could link to (90 days back), so read those too.
        icpc_back = start - timedelta(days=120)
        # Conferences up to 90 days after it may conclude an enquiry begun in the period;
        # they take the latest enquiry before them, so enquiries up to then are read too.
        icpc_ahead = end + timedelta(days=_ICPC_RULE.window_days or 90)
        s47_back = icpc_back - timedelta(days=(_ICPC_RULE.window_days or 90) + 1)

        def kind_between(kind: str, lo: date | None, hi: date) -> list:
            cond = [e.kind == kind, e.start_date <= hi]
            if lo is not None:
                cond.append(e.start_date >= lo)
            return cond

        # Each list: (id, child, start day, ...), sorted into the journey's date order.
        self.contacts = _rows(
            session, [e.id, e.child_id, s_day, e.occurrence], *kind_between("contact", start, ahead)
        )
        self.contacts.sort(key=_IN_ORDER)
        # (id, child, start, end, occurrence, in_need, team, worker)
        self.assessments = _rows(
            session,
            [e.id, e.child_id, s_day, e_day, e.occurrence, e.in_need, e.team, e.worker],
            e.kind == "assessment",
            e.start_date <= ahead,
            or_(
                e.end_date.is_(None),
                e.end_date >= start,
                e.start_date >= start - timedelta(days=_ASSESSMENT_RULE.grace_days),
            ),
        )
        self.assessments.sort(key=_IN_ORDER_4)
        # (id, child, start, occurrence, source, nfa, referrals_last_12m, team)
        ref_cols = [e.id, e.child_id, s_day, e.occurrence, e.source, e.nfa,
                    e.referrals_last_12m, e.team]  # fmt: skip
        self.referrals = _rows(session, ref_cols, *kind_between("referral", year_back, ahead))
        # Assessments begun long before the period (rare) still need their referral.
        lo = year_back.toordinal()
        old = {a[1] for a in self.assessments if a[2] - 30 < lo}
        if old:
            self.referrals += _rows(
                session, ref_cols, e.kind == "referral", e.start_date < year_back,
                e.child_id.in_(sorted(old)),
            )  # fmt: skip
        self.referrals.sort(key=_IN_ORDER)
        # (id, child, start, end, occurrence, team, worker)
        self.s47s = _rows(
            session,
            [e.id, e.child_id, s_day, e_day, e.occurrence, e.team, e.worker],
            *kind_between("s47", s47_back, icpc_ahead + timedelta(days=_ICPC_RULE.grace_days)),
        )
        self.s47s.sort(key=_IN_ORDER_4)
        # (id, child, start, occurrence, plan_resulted, team)
        self.icpcs = _rows(
            session,
            [e.id, e.child_id, s_day, e.occurrence, e.plan_resulted, e.team],
            *kind_between("icpc", icpc_back, icpc_ahead),
        )
        self.icpcs.sort(key=_IN_ORDER)
        # (id, child, start, end, occurrence, previous_plans, team, worker)
        self.cp_plans = _rows(
            session,
            [e.id, e.child_id, s_day, e_day, e.occurrence, e.previous_plans, e.team, e.worker],
            *kind_between("cp_plan", None, end),
        )
        self.cp_plans.sort(key=_IN_ORDER_4)
        # (kind, child, start, end, team, worker): still open at some day from open_from.
        self.open_other = _rows(
            session,
            [e.kind, e.child_id, s_day, e_day, e.team, e.worker],
            e.kind.in_(_AT_END_KINDS),
            e.start_date <= end,
            or_(e.end_date.is_(None), e.end_date > (open_from or end)),
        )
        # The calendar must span every date counted from or to: the lists are sorted.
        firsts = [rows[0][2] for rows in (self.referrals, self.assessments, self.s47s) if rows]
        ends = [a[3] for a in self.assessments if a[3] is not None]
        lasts = [rows[-1][2] for rows in (self.referrals, self.assessments, self.icpcs) if rows]
        first = min([*firsts, self.start]) - 7
        last = max([*lasts, max(ends, default=self.end), ahead.toordinal()]) + 7
        self.wd = WorkingDayIndex(date.fromordinal(first), date.fromordinal(last), bank_holidays())


def _by_child(
    rows: list[tuple], wanted: Iterable[tuple] | None = None
) -> dict[int, tuple[list[int], list[int]]]:
    """Each child's rows as (day ordinals, ids), for ``link_latest``; ``rows`` in date order.

    With ``wanted`` (the target rows), only the children that have a target are kept.
    """
    children = {row[1] for row in wanted} if wanted is not None else None
    grouped: dict[int, tuple[list[int], list[int]]] = {}
    for row in rows:
        child = row[1]
        if children is not None and child not in children:
            continue
        pair = grouped.get(child)
        if pair is None:
            grouped[child] = ([row[2]], [row[0]])
        else:
            pair[0].append(row[2])
            pair[1].append(row[0])
    return grouped


class _Groups:
    """The drill-down: a group name for an event from its child, date and team."""

    def __init__(self, session: Session, group_by: str | None) -> None:
        self.group_by = group_by
        self.children: dict[int, tuple] = {}
        self.localities: dict[str, str | None] = {}
        if group_by in ("age_band", "ethnicity"):
            c = Child.__table__.c
            self.children = {
                i: (dob, exp, eth)
                for i, dob, exp, eth in session.connection().execute(
                    select(c.id, c.dob, c.expected_dob, c.ethnicity)
                )
            }
        elif group_by == "locality":
            t = Team.__table__.c
            self.localities = dict(session.connection().execute(select(t.name, t.locality)).all())

    def key(self, child: int, day: int, team: str | None) -> str:
        g = self.group_by
        if g == "team":
            return team or NOT_RECORDED
        if g == "locality":
            return (self.localities.get(team) if team else None) or NOT_RECORDED
        info = self.children.get(child)
        if g == "ethnicity":
            return ethnic_group(info[2] if info else None)
        dob, expected = (info[0], info[1]) if info else (None, None)
        return age_band(dob, expected, date.fromordinal(day))


def _indicator(key: str, value: Any, numerator: Any = None, denominator: Any = None,
               unit: str = "count", **extra: Any) -> dict[str, Any]:  # fmt: skip
    found = {
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "label": INDICATOR_LABELS[key],
        "unit": unit,
        **extra,
    }
    england = national_comparators().get(key)
    if england is not None:
        found["england"] = england
    return found


def _sort_groups(groups: dict[str, dict]) -> dict[str, dict]:
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] == NOT_RECORDED, kv[0])))


def _count(key: str, keys: list[str] | None, n: int, **extra: Any) -> dict[str, Any]:
    found = _indicator(key, n, n, None, **extra)
    if keys is not None:
        found["groups"] = _sort_groups(
            {g: {"value": m, "numerator": m, "denominator": None} for g, m in Counter(keys).items()}
        )
    return found


def _rate(key: str, hits: list[bool], keys: list[str] | None, **extra: Any) -> dict[str, Any]:
    num = sum(hits)
    found = _indicator(key, percent(num, len(hits)), num, len(hits), "percent", **extra)
    if keys is not None:
        den_by: Counter[str] = Counter(keys)
        num_by: Counter[str] = Counter(k for k, hit in zip(keys, hits, strict=True) if hit)
        found["groups"] = _sort_groups(
            {
                g: {
                    "value": percent(num_by[g], n),
                    "numerator": num_by[g],
                    "denominator": n,
                    "too_few": n < TOO_FEW,
                }
                for g, n in den_by.items()
            }
        )
    return found


def _per_10000(
    key: str, count: int, population: int | None, counted: dict | None = None
) -> dict[str, Any]:
    """A rate per 10,000; by group, none (``counted``: the count it divides, with its groups)."""
    found = _indicator(key, per_10000(count, population), count, population, "per 10000")
    if counted is not None and "groups" in counted:
        found["groups"] = {
            g: {"value": None, "numerator": v["numerator"], "denominator": None,
                "reason": NO_GROUP_POPULATION}
            for g, v in counted["groups"].items()
        }  # fmt: skip
    return found


def _band_groups(keys: list[str], values: list[int], bands) -> dict[str, dict]:
    """Per group: its measured values in ``bands``; fewer than TOO_FEW are not compared."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for k, d in zip(keys, values, strict=True):
        by_group[k].append(d)
    return _sort_groups(
        {g: {"value": len(v), "numerator": len(v), "denominator": len(v),
             "bands": _bands(band_counts(v, bands)), "too_few": len(v) < TOO_FEW}
         for g, v in by_group.items()}
    )  # fmt: skip


def _bands(counts: dict[str, int]) -> list[dict[str, Any]]:
    total = sum(counts.values())
    return [{"band": b, "count": n, "percent": percent(n, total)} for b, n in counts.items()]


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Hundreds of thousands of short-lived tuples, none in a cycle: the cyclic collector
    would only rescan them (half the time), so it is off inside, and back on after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def compute_indicators(
    *,
    session: Session,
    start: date,
    end: date,
    population_under_18: int | None = None,
    group_by: str | None = None,
) -> dict[str, dict]:
    """Every indicator of the evidence base for the period ``start``..``end`` (both included).

    ``population_under_18`` gives the rates per 10,000 (None leaves them None).
    ``group_by`` (one of :data:`GROUPINGS`) adds ``groups`` to the indicators that can
    be drilled into: group name -> ``{"value", "numerator", "denominator"}``.
    """
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    if group_by is not None and group_by not in GROUPINGS:
        raise ValueError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUPINGS)}")
    with _no_cyclic_gc():
        return _compute(session, start, end, population_under_18, group_by)


class _Period:
    """What every section of one computation shares: the events, the drill-down, the period."""

    def __init__(
        self, data: _Data, groups: _Groups | None, start: date, end: date, population: int | None
    ) -> None:
        self.data, self.groups, self.wd, self.population = data, groups, data.wd, population
        self.start, self.end = start.toordinal(), end.toordinal()
        self.referrals_in = [r for r in data.referrals if self.start <= r[2] <= self.end]
        self.ref_keys = self.keyed(self.referrals_in, 2, 7)

    def keyed(self, rows: list, day: int, team: int | None) -> list[str] | None:
        """Each row's drill-down group (None without one): from its child, date and team."""
        if self.groups is None:
            return None
        key = self.groups.key
        return [key(r[1], r[day], r[team] if team is not None else None) for r in rows]


def _compute(
    session: Session, start: date, end: date, population_under_18: int | None, group_by: str | None
) -> dict[str, dict]:
    groups = _Groups(session, group_by) if group_by else None
    return _sections(_Period(_Data(session, start, end), groups, start, end, population_under_18),
                     session)  # fmt: skip


def _sections(p: _Period, session: Session) -> dict[str, dict]:
    out: dict[str, dict] = {}
    _front_door(p, out)
    open_assessments = _assessments(p, out)
    _protection(p, out)
    _at_end(p, out, open_assessments, session)
    return out


def _front_door(p: _Period, out: dict[str, dict]) -> None:
    """Contacts, referrals, conversion, NFA and its sources, re-referrals."""
    data, keyed = p.data, p.keyed
    S, E = p.start, p.end
    # -- contacts and referrals -----------------------------------------------------------
    contacts_in = [c for c in data.contacts if S <= c[2] <= E]
    referrals_in, ref_keys = p.referrals_in, p.ref_keys
    out["contacts"] = _count("contacts", keyed(contacts_in, 2, None), len(contacts_in))
    out["referrals"] = _count("referrals", ref_keys, len(referrals_in))
    out["referral_rate_per_10000"] = _per_10000(
        "referral_rate_per_10000", len(referrals_in), p.population, out["referrals"]
    )
    later_referrals = [r for r in data.referrals if r[2] >= S]
    contact_links = link_latest(
        _CONTACT_RULE,
        _by_child(data.contacts, later_referrals),
        ((r[1], r[2], r[0]) for r in later_referrals),
    )
    converted = {cause for cause, _ in contact_links.values()}
    out["contact_referral_conversion"] = _rate(
        "contact_referral_conversion",
        [c[0] in converted for c in contacts_in],
        keyed(contacts_in, 2, None),
    )
    nfa = [bool(r[5]) for r in referrals_in]
    out["nfa_rate"] = _rate("nfa_rate", nfa, ref_keys)
    overall_nfa = out["nfa_rate"]["value"]
    per_source: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for r, is_nfa in zip(referrals_in, nfa, strict=True):
        per_source[r[4]][0] += 1
        per_source[r[4]][1] += is_nfa
    sources = {
        source_label(src): {
            "code": src,
            "referrals": n,
            "share": percent(n, len(referrals_in)),
            "nfa": k,
            "nfa_rate": percent(k, n),
            "high_nfa": is_high_nfa(k, n, overall_nfa),
        }
        for src, (n, k) in sorted(per_source.items(), key=lambda kv: (-kv[1][0], kv[0] or ""))
    }
    flagged = sum(s["high_nfa"] for s in sources.values())
    out["referrals_by_source"] = _indicator(
        "referrals_by_source", flagged, flagged, len(sources), sources=sources
    )
    if ref_keys is not None:
        out["referrals_by_source"]["groups"] = _source_groups(
            ref_keys, referrals_in, nfa, overall_nfa
        )

    # -- re-referrals --------------------------------------------------------------------
    previous: dict[int, int] = {}
    year_before: dict[int, int] = {}
    rereferred = []
    for r in data.referrals:  # in date order
        child, day = r[1], r[2]
        if S <= day <= E:
            back = year_before.get(day)
            if back is None:
                back = year_before[day] = add_months(date.fromordinal(day), -12).toordinal()
            last = previous.get(child)
            count = r[6]
            rereferred.append(
                (last is not None and last >= back) or (count is not None and count > 0)
            )
        previous[child] = day
    out["rereferral_rate"] = _rate("rereferral_rate", rereferred, ref_keys)


def _source_groups(
    keys: list[str], referrals: list[tuple], nfa: list[bool], overall_nfa: float | None
) -> dict[str, dict]:
    """Per group: its referrals and NFA by source (a source's rate only from TOO_FEW up)."""
    per: dict[str, dict[str | None, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for k, r, is_nfa in zip(keys, referrals, nfa, strict=True):
        counts = per[k][r[4]]
        counts[0] += 1
        counts[1] += is_nfa
    groups = {}
    for g, by_source in per.items():
        total = sum(n for n, _ in by_source.values())
        groups[g] = {
            "value": total, "numerator": total, "denominator": None,
            "sources": {
                source_label(src): {
                    "referrals": n, "nfa": k, "nfa_rate": percent(k, n),
                    "too_few": n < TOO_FEW, "high_nfa": is_high_nfa(k, n, overall_nfa),
                }
                for src, (n, k) in by_source.items()
            },
        }  # fmt: skip
    return _sort_groups(groups)


def _assessments(p: _Period, out: dict[str, dict]) -> list[tuple]:
    """Referrals leading to CIN, durations in DfE bands, timeliness; returns those still open."""
    data, keyed, wd = p.data, p.keyed, p.wd
    S, E = p.start, p.end
    # -- assessments ---------------------------------------------------------------------
    referrals_in, ref_keys = p.referrals_in, p.ref_keys
    referral_day = {r[0]: r[2] for r in data.referrals}
    assess = data.assessments  # in date order
    assess_links = link_latest(
        _ASSESSMENT_RULE, _by_child(data.referrals, assess), ((a[1], a[2], a[0]) for a in assess)
    )
    in_need_referrals = {assess_links[a[0]][0] for a in assess if a[5] and a[0] in assess_links}
    out["referrals_to_cin_rate"] = _rate(
        "referrals_to_cin_rate", [r[0] in in_need_referrals for r in referrals_in], ref_keys
    )
    done = [a for a in assess if a[3] is not None and S <= a[3] <= E]
    from_referral: list[int] = []
    measured: list[tuple] = []
    unlinked = negative = 0
    for a in done:
        link = assess_links.get(a[0])
        if link is None:
            unlinked += 1
            continue
        days = wd.between(referral_day[link[0]], a[3])
        if days < 0:
            negative += 1
            continue
        from_referral.append(days)
        measured.append(a)
    from_start = [(a, d) for a in done if (d := wd.between(a[2], a[3])) >= 0]
    done_keys = keyed(done, 3, 6)
    out["assessments_completed"] = _count("assessments_completed", done_keys, len(done))
    out["assessment_duration_bands"] = _indicator(
        "assessment_duration_bands",
        len(from_referral),
        len(from_referral),
        len(done),
        bands=_bands(band_counts(from_referral, ASSESSMENT_BANDS)),
        bands_from_start=_bands(band_counts([d for _, d in from_start], ASSESSMENT_BANDS)),
        measure="referral to authorisation",
        unlinked=unlinked,
        negative=negative,
    )
    measured_keys = keyed(measured, 3, 6)
    if measured_keys is not None:
        out["assessment_duration_bands"]["groups"] = _band_groups(
            measured_keys, from_referral, ASSESSMENT_BANDS
        )
    out["assessments_within_45_rate"] = _rate(
        "assessments_within_45_rate",
        [d <= ASSESSMENT_LIMIT for d in from_referral],
        measured_keys,
        measure="referral to authorisation",
        unlinked=unlinked,
    )
    out["assessment_start_within_45_rate"] = _rate(
        "assessment_start_within_45_rate",
        [d <= ASSESSMENT_LIMIT for _, d in from_start],
        keyed([a for a, _ in from_start], 3, 6),
        measure="assessment start to authorisation",
    )
    spread = quartiles(from_referral)
    out["median_assessment_duration"] = _indicator(
        "median_assessment_duration",
        median(from_referral),
        None,
        len(from_referral),
        "working days",
        lower_quartile=spread[0] if spread else None,
        upper_quartile=spread[1] if spread else None,
        measure="referral to authorisation",
    )
    if measured_keys is not None:
        by_group: dict[str, list[int]] = defaultdict(list)
        for k, d in zip(measured_keys, from_referral, strict=True):
            by_group[k].append(d)
        out["median_assessment_duration"]["groups"] = _sort_groups(
            {k: {"value": median(v), "numerator": None, "denominator": len(v),
                 "too_few": len(v) < TOO_FEW}
             for k, v in by_group.items()}
        )  # fmt: skip
    open_assess = [a for a in assess if a[2] <= E and (a[3] is None or a[3] > E)]
    overdue = []
    for a in open_assess:
        link = assess_links.get(a[0])
        since = referral_day[link[0]] if link else a[2]
        overdue.append(wd.between(since, E) > ASSESSMENT_LIMIT)
    out["open_assessments_over_45"] = _rate(
        "open_assessments_over_45", overdue, keyed(open_assess, 2, 6)
    )

    return open_assess


def _protection(p: _Period, out: dict[str, dict]) -> None:
    """Section 47 enquiries, conferences and their timing, CP plans: repeats and long ones."""
    data, keyed, wd = p.data, p.keyed, p.wd
    S, E = p.start, p.end
    # -- section 47 and conferences ------------------------------------------------------
    s47_day = {s[0]: s[2] for s in data.s47s}
    icpc_links = link_latest(
        _ICPC_RULE, _by_child(data.s47s, data.icpcs), ((i[1], i[2], i[0]) for i in data.icpcs)
    )
    s47_in = [s for s in data.s47s if S <= s[2] <= E]
    s47_keys = keyed(s47_in, 2, 5)
    out["s47_enquiries"] = _count("s47_enquiries", s47_keys, len(s47_in))
    led = {cause for cause, _ in icpc_links.values()}
    out["s47_icpc_conversion"] = _rate(
        "s47_icpc_conversion", [s[0] in led for s in s47_in], s47_keys
    )
    icpc_in = [i for i in data.icpcs if S <= i[2] <= E]
    icpc_keys = keyed(icpc_in, 2, 5)
    out["icpcs"] = _count("icpcs", icpc_keys, len(icpc_in))
    timed: list[tuple] = []
    timing: list[int] = []
    before_s47 = no_s47 = 0
    for i in icpc_in:
        link = icpc_links.get(i[0])
        if link is None:
            no_s47 += 1
        elif link[1]:
            before_s47 += 1  # dated before its S47: left out of the timing
        else:
            timed.append(i)
            timing.append(wd.between(s47_day[link[0]], i[2]))
    out["icpc_timing_bands"] = _indicator(
        "icpc_timing_bands",
        len(timing),
        len(timing),
        len(icpc_in),
        bands=_bands(band_counts(timing, ICPC_BANDS)),
        before_s47=before_s47,
        no_s47=no_s47,
    )
    timed_keys = keyed(timed, 2, 5)
    if timed_keys is not None:
        out["icpc_timing_bands"]["groups"] = _band_groups(timed_keys, timing, ICPC_BANDS)
    out["icpc_within_15_rate"] = _rate(
        "icpc_within_15_rate",
        [d <= ICPC_LIMIT for d in timing],
        timed_keys,
        before_s47=before_s47,
        no_s47=no_s47,
    )
    plan_links = link_latest(
        _PLAN_RULE,
        _by_child(data.icpcs, data.cp_plans),
        ((p[1], p[2], p[0]) for p in data.cp_plans),
    )
    with_plan = {cause for cause, _ in plan_links.values()}
    out["icpc_cp_plan_rate"] = _rate(
        "icpc_cp_plan_rate", [i[0] in with_plan or bool(i[4]) for i in icpc_in], icpc_keys
    )

    # -- child protection plans -------------------------------------------------------------
    seen_plan: set[int] = set()
    plans_in, repeat = [], []
    for p in data.cp_plans:  # in date order
        if S <= p[2] <= E:
            plans_in.append(p)
            earlier = p[5]
            repeat.append(p[1] in seen_plan or (earlier is not None and earlier > 0))
        seen_plan.add(p[1])
    plan_keys = keyed(plans_in, 2, 6)
    out["cp_plans_started"] = _count("cp_plans_started", plan_keys, len(plans_in))
    out["repeat_cp_rate"] = _rate("repeat_cp_rate", repeat, plan_keys)
    ended = [p for p in data.cp_plans if p[3] is not None and S <= p[3] <= E]
    out["cp_plans_ended_two_years_rate"] = _rate(
        "cp_plans_ended_two_years_rate",
        [p[3] >= add_months(date.fromordinal(p[2]), 24).toordinal() for p in ended],
        keyed(ended, 3, 6),
    )


def _at_end(p: _Period, out: dict[str, dict], open_assess: list[tuple], session: Session) -> None:
    """Children in need, on CP plans and looked after at the period end; caseloads."""
    data = p.data
    E = p.end
    # -- at the period end ---------------------------------------------------------------
    open_rows = [
        (k, c, s, t, w) for k, c, s, f, t, w in data.open_other if s <= E and (f is None or f > E)
    ]
    open_rows += [
        ("s47", c, s, t, w) for _, c, s, f, _, t, w in data.s47s if s <= E and (f is None or f > E)
    ]
    open_rows += [("assessment", a[1], a[2], a[6], a[7]) for a in open_assess]
    cp_open = [plan for plan in data.cp_plans if plan[2] <= E and (plan[3] is None or plan[3] > E)]
    open_rows += [("cp_plan", plan[1], plan[2], plan[6], plan[7]) for plan in cp_open]
    open_rows.sort(key=itemgetter(2))
    # child -> (team, worker): the latest open event that names a worker (its team with
    # it); failing one, the latest that names a team.
    allocation: dict[int, tuple] = {}
    for _kind, child, _day, team, worker in open_rows:  # oldest first
        known = allocation.get(child)
        if known is None or worker or (team and not known[1]):
            allocation[child] = (team, worker)

    def at_end(children: Iterable[int]) -> list[str] | None:
        if p.groups is None:
            return None
        return [p.groups.key(c, E, allocation.get(c, (None, None))[0]) for c in children]

    cin = sorted(allocation)
    cp = sorted({plan[1] for plan in cp_open})
    lac = sorted({r[1] for r in open_rows if r[0] == "lac"})
    for key, children in (("cin", cin), ("cp", cp), ("lac", lac)):
        found = _count(f"{key}_at_end", at_end(children), len(children))
        found["rate_per_10000"] = per_10000(len(children), p.population)
        out[f"{key}_at_end"] = found
        out[f"{key}_rate_per_10000"] = _per_10000(
            f"{key}_rate_per_10000", len(children), p.population, found
        )
    out["caseloads"] = _caseloads(allocation, session, p.groups.group_by if p.groups else None)


#: Why caseloads have no drill-down by these: a worker's children span them.
CASELOAD_NOT_GROUPED = {
    "age_band": "A caseload is a worker’s children, of every age: there is no caseload "
    "per age band.",
    "ethnicity": "A caseload is a worker’s children, of every ethnicity: there is no caseload "
    "per ethnic group.",
}


def _caseload_groups(
    teams: list[dict], allocation: dict[int, tuple], by: str, localities: dict
) -> dict[str, dict]:
    """Children per worker by team or locality; fewer than TOO_FEW workers are not compared."""

    def name(team: str | None) -> str:
        if by == "team":
            return team or NOT_RECORDED
        return (localities.get(team) if team else None) or NOT_RECORDED

    groups: dict[str, dict] = {}

    def group(g: str) -> dict:
        return groups.setdefault(
            g, {"value": None, "numerator": 0, "denominator": 0, "unallocated": 0}
        )

    for team in teams:
        found = group(name(None if team["team"] == NOT_RECORDED else team["team"]))
        found["numerator"] += team["children"]
        found["denominator"] += team["workers"]
    for team, worker in allocation.values():
        if not worker:
            group(name(team))["unallocated"] += 1
    for found in groups.values():
        workers = found["denominator"]
        found["value"] = round(found["numerator"] / workers, 1) if workers else None
        found["too_few"] = workers < TOO_FEW
    return _sort_groups(groups)


def _caseloads(
    allocation: dict[int, tuple], session: Session, group_by: str | None = None
) -> dict[str, Any]:
    t = Team.__table__.c
    localities = dict(session.connection().execute(select(t.name, t.locality)).all())
    per_worker: Counter[tuple[str, str]] = Counter()
    unallocated = 0
    for team, worker in allocation.values():
        if worker:
            per_worker[(worker, team or NOT_RECORDED)] += 1
        else:
            unallocated += 1
    workers = [
        {"worker": w, "team": t, "children": n}
        for (w, t), n in sorted(per_worker.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    teams: dict[str, dict[str, Any]] = {}
    for row in workers:
        team = teams.setdefault(
            row["team"],
            {"team": row["team"], "locality": localities.get(row["team"]) or NOT_RECORDED,
             "children": 0, "workers": 0},
        )  # fmt: skip
        team["children"] += row["children"]
        team["workers"] += 1
    for team in teams.values():
        team["per_worker"] = round(team["children"] / team["workers"], 1)
    allocated = sum(per_worker.values())
    extra: dict[str, Any] = {}
    if group_by in ("team", "locality"):
        extra["groups"] = _caseload_groups(list(teams.values()), allocation, group_by, localities)
    elif group_by in CASELOAD_NOT_GROUPED:
        extra["groups_note"] = CASELOAD_NOT_GROUPED[group_by]
    return _indicator(
        "caseloads",
        round(allocated / len(workers), 1) if workers else None,
        allocated,
        len(workers),
        "children per worker",
        workers=workers,
        teams=sorted(teams.values(), key=lambda t: t["team"]),
        unallocated=unallocated,
        busiest=workers[0]["children"] if workers else None,
        **extra,
    )


def quarter_periods(end: date, quarters: int = 4) -> list[tuple[date, date]]:
    """The ``quarters`` three-month periods ending on ``end``, oldest first.

    A period ending on a month's last day steps back by calendar months, so
    31 March gives Apr–Jun, Jul–Sep, Oct–Dec and Jan–Mar.
    """
    month_end = (end + timedelta(days=1)).day == 1
    periods = []
    hi = end
    for _ in range(quarters):
        if month_end:
            first_of_next = hi + timedelta(days=1)
            lo = add_months(first_of_next, -3)
        else:
            lo = add_months(hi, -3) + timedelta(days=1)
        periods.append((lo, hi))
        hi = lo - timedelta(days=1)
    return periods[::-1]


def indicator_trend(
    *,
    session: Session,
    end: date,
    quarters: int = 4,
    population_under_18: int | None = None,
) -> list[dict[str, Any]]:
    """The indicators for each of the last ``quarters`` quarters to ``end``, oldest first.

    Each item: ``start``, ``end``, ``label`` ("Jul–Sep 2026") and ``indicators``, the
    same figures ``compute_indicators`` gives for that quarter (the events are read
    once for all the quarters).
    """
    periods = quarter_periods(end, quarters)
    with _no_cyclic_gc():
        data = _Data(session, periods[0][0], end, open_from=periods[0][1])
        return _trend(session, data, periods, population_under_18)


def indicators_and_trend(
    *,
    session: Session,
    start: date,
    end: date,
    quarters: int = 4,
    population_under_18: int | None = None,
) -> tuple[dict[str, dict], list[dict[str, Any]]]:
    """``compute_indicators`` for ``start``..``end`` and ``indicator_trend`` to ``end`` at once.

    The same figures as the two calls, from one read of the events that covers both the
    period and the quarters (the evidence base page and the SEF show them side by side).
    """
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    periods = quarter_periods(end, quarters)
    with _no_cyclic_gc():
        data = _Data(session, min(start, periods[0][0]), end, open_from=min(end, periods[0][1]))
        found = _sections(_Period(data, None, start, end, population_under_18), session)
        return found, _trend(session, data, periods, population_under_18)


def _trend(
    session: Session, data: _Data, periods: list[tuple[date, date]], population: int | None
) -> list[dict[str, Any]]:
    trend = []
    for lo, hi in periods:
        label = f"{lo:%b}–{hi:%b %Y}" if lo.year == hi.year else f"{lo:%b %Y}–{hi:%b %Y}"
        found = _sections(_Period(data, None, lo, hi, population), session)
        trend.append({"start": lo, "end": hi, "label": label, "indicators": found})
    return trend


def default_period(*, session: Session, today: date) -> tuple[date, date]:
    """Twelve months to the latest event in the data (or to ``today`` when none is later)."""
    latest = (
        session.connection()
        .execute(select(Event.start_date).order_by(Event.start_date.desc()).limit(1))
        .scalar()
    )
    end = min(latest, today) if latest else today
    return add_months(end, -12) + timedelta(days=1), end
