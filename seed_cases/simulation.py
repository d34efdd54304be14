"""One child's path through the front door, drawn from that child's own random stream.

``simulate_child`` is a pure function of (seed, index, context): any child can be
regenerated alone, so an authority of any size streams in constant memory.  The
rates below are the calibration (England 2024-25, see ``PRODUCT.md``); the tests
measure them back from the events, not from these constants.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from journeys.events import (
    ASSESSMENT,
    CIN_EPISODE,
    CIN_PLAN,
    CLOSURE,
    CONTACT,
    CP_PLAN,
    EARLY_HELP,
    EVENT_KINDS,
    ICPC,
    LAC,
    REFERRAL,
    S47,
    Child,
    Event,
)

from .calendar import WorkingCalendar
from .codes import CATEGORY_WEIGHTS, ETHNICITY_WEIGHTS, SOURCE_WEIGHTS

__all__ = ["Case", "Context", "AWKWARD_SLOTS", "simulate_child", "child_id"]

#: Child indices that are forced to show each kind of awkwardness (all < 200).
AWKWARD_SLOTS: dict[str, int] = {
    "unborn": 5,
    "under_one": 11,
    "weekend": 23,
    "bank_holiday": 37,
    "same_day": 43,
    "same_kind_same_day": 59,
    "open_episode": 71,
    "repeat_cp_plan": 89,
    "step_down_step_up": 97,
    "cp_plan_without_icpc": 113,
    "assessment_before_referral": 131,
}
_FORCED = {index: kind for kind, index in AWKWARD_SLOTS.items()}

# Calibration.  Shares of children and of events, not published figures themselves.
P_CONTACT_ONLY = 0.42  # children known to the front door who are never referred
P_NFA = 0.065  # referrals: no further action
P_S47 = 0.36  # non-NFA referrals with a strategy discussion / S47 enquiry
P_ICPC = 0.31  # S47 enquiries that lead to an ICPC
P_ICPC_IN_15 = 0.81  # ICPCs within 15 working days of the strategy discussion
P_PLAN = 0.88  # ICPCs that result in a CP plan
P_AGAIN = 0.42  # after a closure, the child is referred again
P_QUICK = 0.62  # ... and, if so, soon after
P_STEP_UP = 0.3  # stepped down to early help, then stepped back up
P_UNBORN = 0.015
P_UASC = 0.004
#: Inverse CDF of referral -> assessment authorisation, in working days:
#: median 33, IQR 17-43, 86% within 45.
_DURATION = ((0.0, 1), (0.25, 17), (0.5, 33), (0.75, 43), (0.862, 45.4), (0.95, 62), (1.0, 110))
_FACTORS = (  # (probability, codes, weights): each drawn independently
    (0.33, ("3A", "3B", "3C"), (15, 75, 10)),  # domestic abuse
    (0.33, ("4A", "4B", "4C"), (30, 62, 8)),  # mental health
    (0.18, ("16A",), (1,)),  # neglect
    (0.16, ("17A",), (1,)),  # emotional abuse
    (0.13, ("2A", "2B", "2C"), (25, 65, 10)),  # drugs
    (0.11, ("1A", "1B", "1C"), (15, 75, 10)),  # alcohol
    (0.07, ("18B", "18C"), (70, 30)),
    (0.03, ("19B", "19C"), (60, 40)),
    (0.05, ("10A",), (1,)),
    (0.04, ("11A",), (1,)),
    (0.04, ("24A",), (1,)),
    (0.02, ("13A",), (1,)),
    (0.04, ("14A",), (1,)),
    (0.05, ("15A",), (1,)),
    (0.05, ("5A", "5B"), (50, 50)),
    (0.05, ("6A", "6B"), (40, 60)),
    (0.01, ("7A",), (1,)),
    (0.005, ("12A",), (1,)),
    (0.002, ("22A",), (1,)),
    (0.003, ("23A",), (1,)),
    (0.04, ("20",), (1,)),
)
_EH_ORGANISATIONS = (
    "Family hub", "School", "Health visiting", "Early help team", "Youth service",
    "Voluntary sector",
)  # fmt: skip
_KIND_ORDER = {kind: i for i, kind in enumerate(EVENT_KINDS)}
#: Irrational steps of the low-discrepancy streams used for the rarest calibrated
#: decisions (ICPC, timeliness, category): across children they hit their rates
#: far more evenly than independent draws, whatever the seed.
_WEYL = {"icpc": 0.6180339887498949, "in_15": 0.41421356237309515, "category": 0.7320508075688772}


class _Choice:
    """A weighted choice by bisection over cumulative weights (fast, reproducible)."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, weights: dict[str, float] | tuple[tuple[Any, float], ...]) -> None:
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        self.values = [v for v, _ in pairs]
        self.cumulative = list(accumulate(w for _, w in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.at(rng.random())

    def at(self, u: float) -> Any:
        """The value at quantile ``u`` in [0, 1)."""
        return self.values[bisect(self.cumulative, u * self.total)]


_ETHNICITY = _Choice(ETHNICITY_WEIGHTS)
_SOURCE = _Choice(SOURCE_WEIGHTS)
_CATEGORY = _Choice(CATEGORY_WEIGHTS)
_AGE_BAND = _Choice((((0, 0), 12), ((1, 4), 18), ((5, 9), 24), ((10, 15), 34), ((16, 17), 12)))
_CONTACT_OUTCOME = _Choice((("advice", 45), ("nfa", 30), ("early_help", 25)))
_NEED = _Choice((("N1", 48), ("N2", 5), ("N3", 5), ("N4", 11), ("N5", 20), ("N6", 5),
                 ("N7", 1), ("N8", 5)))  # fmt: skip
_LEGAL = _Choice((("V2", 35), ("C1", 30), ("C2", 18), ("E1", 6), ("L1", 4), ("L2", 4), ("J1", 3)))
_PLACEMENT = _Choice((("U6", 40), ("U4", 15), ("U3", 10), ("U1", 5), ("P1", 7), ("K2", 13),
                      ("H5", 10)))  # fmt: skip
_PROVIDER = _Choice((("PR1", 45), ("PR4", 40), ("PR2", 5), ("PR5", 5), ("PR0", 5)))
_CEASED = _Choice((("E4A", 35), ("E4B", 5), ("E45", 15), ("E11", 10), ("E5", 10), ("E8", 25)))
_CEASED_CLOSURE = {"E11": "RC1", "E45": "RC4"}


@dataclass(frozen=True, slots=True)
class Case:
    """A child and its events, in date order (kind order within a day)."""

    child: Child
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Context:
    """What every child of one authority shares: window, calendar, teams, seed."""

    seed: int
    start: date
    end: date
    calendar: WorkingCalendar
    teams: tuple[tuple[str, tuple[str, ...]], ...]  # (team name, workers)
    bank_holidays: tuple[date, ...] = field(default=())


def child_id(index: int) -> str:
    """The synthetic identifier of child ``index``: seven digits, leading zeros kept.

    Examples
    --------
    >>> child_id(0)
    '0000001'
    """
    return f"{index + 1:07d}"


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _duration(rng: random.Random) -> int:
    u = rng.random()
    for (u0, d0), (u1, d1) in zip(_DURATION, _DURATION[1:], strict=False):
        if u <= u1:
            return round(d0 + (d1 - d0) * (u - u0) / (u1 - u0))
    return int(_DURATION[-1][1])


def _factors(rng: random.Random, uasc: bool) -> str:
    found: list[str] = []
    for p, codes, weights in _FACTORS:
        if rng.random() < p:
            found.append(rng.choices(codes, weights)[0] if len(codes) > 1 else codes[0])
    if uasc:
        found.append("9A")
    return ",".join(found) or "21"


class _Journey:
    """Builds one child's events; dates after the authority's end are left out or open."""

    def __init__(
        self, ctx: Context, rng: random.Random, child: Child, life_end: date, index: int
    ) -> None:
        self.ctx = ctx
        self.rng = rng
        self.index = index
        self.draws: dict[str, int] = {}
        self.child = child
        self.life_end = life_end
        self.events: list[tuple[str, date, date | None, dict[str, Any]]] = []
        self.referrals: list[date] = []
        self.s47s: list[date] = []
        self.icpcs: list[date] = []
        self.cp_plans = 0
        self.lac_ends: list[date] = []

    # -- helpers ---------------------------------------------------------------------
    def add(self, kind: str, start: date, end: date | None = None, **attrs: Any) -> bool:
        """Record an event if it starts by the authority's end; False when it does not."""
        if start > self.ctx.end:
            return False
        if end is not None and end > self.ctx.end:
            end = None
        self.events.append((kind, start, end, {k: v for k, v in attrs.items() if v is not None}))
        return True

    def closed(self, day: date | None) -> date | None:
        """``day`` if it has happened by the authority's end, else None (still open)."""
        return day if day is not None and day <= self.ctx.end else None

    def quasi(self, stream: str) -> float:
        """The next number in [0, 1) of a low-discrepancy stream over children."""
        k = self.draws.get(stream, 0)
        self.draws[stream] = k + 1
        step = _WEYL[stream]
        return (self.ctx.seed * 0.1234567 + (self.index + 7919 * k) * step) % 1.0

    def allocate(self) -> tuple[str, str]:
        team, workers = self.rng.choice(self.ctx.teams)
        return team, self.rng.choice(workers)

    def wd(self, day: date, n: int) -> date:
        return self.ctx.calendar.add(day, n)

    def last_seen(self, upto: date | None, since: date) -> date:
        day = min(upto or self.ctx.end, self.ctx.end) - _days(self.rng.randint(0, 20))
        return max(day, since)

    # -- front door ------------------------------------------------------------------
    def contact(self, day: date, source: str, outcome: str) -> None:
        self.add(CONTACT, day, source=source, outcome=outcome)
        if outcome == "early_help":
            self.early_help(day + _days(self.rng.randint(1, 21)), step_up=False)

    def early_help(self, start: date, *, step_up: bool, org: str | None = None) -> date | None:
        """An early-help episode; returns the step-up date when it escalates."""
        rng = self.rng
        org = org or rng.choice(_EH_ORGANISATIONS)
        if step_up:
            end = start + _days(rng.randint(30, 200))
            outcome = "step_up"
        else:
            end = start + _days(rng.randint(45, 300))
            outcome = "disengaged" if rng.random() < 0.15 else "completed"
        done = self.closed(end)
        self.add(EARLY_HELP, start, end, organisation=org, outcome=outcome if done else None)
        return end if step_up and done and end <= self.life_end else None

    def loose_contacts(self, before: date, after: date) -> None:
        """Contacts that did not become referrals, in the months before one that did."""
        rng = self.rng
        for _ in range(rng.choices((0, 1, 2, 3), (40, 33, 17, 10))[0]):
            day = before - _days(rng.randint(1, 200))
            if day > after and day >= self.ctx.start:
                self.contact(day, self.source(), _CONTACT_OUTCOME(rng))

    def source(self) -> str:
        return _SOURCE(self.rng)

    # -- social care -----------------------------------------------------------------
    def referral(self, day: date, source: str, force: set[str]) -> tuple[date | None, date | None]:
        """A referral and the episode of need it opens.

        Returns (closure date or None if still open, date of a step-up referral or None).
        """
        rng = self.rng
        team, worker = self.allocate()
        previous = sum(1 for d in self.referrals if 0 <= (day - d).days <= 365)
        self.referrals.append(day)
        nfa = not force and rng.random() < P_NFA
        self.add(REFERRAL, day, source=source, nfa=nfa, referrals_last_12m=previous,
                 team=team, worker=worker)  # fmt: skip
        if nfa:
            self.add(CLOSURE, day, reason="RC8")
            self.add(CIN_EPISODE, day, day, primary_need="N9", reason="RC8",
                     case_status="Closed episode", last_seen=day,
                     team=team, worker=worker)  # fmt: skip
            return day, None
        return self.episode(day, team, worker, force)

    def episode(
        self, r: date, team: str, worker: str, force: set[str]
    ) -> tuple[date | None, date | None]:
        rng = self.rng
        duration = 60 if "open" in force else _duration(rng)
        auth = self.wd(r, duration)
        a_start = self.wd(r, min(duration, rng.choice((0, 0, 1, 1, 2, 3, 5))))
        if "assessment_early" in force:
            a_start = r - _days(rng.randint(3, 20))
        cp_start, status = None, "Open assessment"
        s47 = bool(force & {"s47_cp", "cp_no_icpc"}) or (not force and rng.random() < P_S47)
        if s47:
            cp_start = self.section47(r, team, worker, force)
        if cp_start is not None:
            outcome = "s47"
        elif s47:
            outcome = rng.choices(("cin_plan", "nfa", "step_down"), (45, 45, 10))[0]
        elif "step_down" in force:
            outcome = "step_down"
        elif "open" in force:
            outcome = "cin_plan"
        else:
            outcome = rng.choices(("nfa", "cin_plan", "step_down", "lac"), (38, 33, 25, 4))[0]
        done = self.closed(auth)
        self.add(ASSESSMENT, a_start, auth, child_seen=rng.random() < 0.94 if done else None,
                 factors=_factors(rng, bool(self.child.uasc)) if done else None,
                 outcome=outcome if done else None,
                 in_need=outcome in {"s47", "cin_plan", "lac"} if done else None,
                 team=team, worker=worker)  # fmt: skip
        need = "N1" if outcome in {"s47", "lac"} else _NEED(rng)
        if self.child.disability and rng.random() < 0.5:
            need = "N2"
        step_up = None
        if cp_start is not None:
            close, reason, status = self.protection(cp_start, team, worker, force)
        elif done is None:
            close, reason = None, None
        elif outcome == "cin_plan":
            close, reason, status = self.cin_plan(auth, team, worker)
        elif outcome == "lac":
            close, reason, status = self.looked_after(auth, team, worker)
        else:
            close, reason = auth, ("RC8" if outcome == "nfa" else "RC7")
        close = self.closed(close)
        if close is not None and close > self.life_end:
            close = self.life_end
        if close is not None:
            self.add(CLOSURE, close, reason=reason)
            if outcome == "step_down":
                step_up = self.early_help(
                    close, step_up="step_down" in force or rng.random() < P_STEP_UP,
                    org="Early help team",
                )  # fmt: skip
        self.add(CIN_EPISODE, r, close, primary_need=need, reason=reason if close else None,
                 case_status="Closed episode" if close else status,
                 last_seen=self.last_seen(close, r), team=team, worker=worker)  # fmt: skip
        return close, step_up

    def section47(self, r: date, team: str, worker: str, force: set[str]) -> date | None:
        """Strategy discussion, S47 enquiry and maybe an ICPC; returns a CP plan's start."""
        rng = self.rng
        s_start = self.wd(r, rng.choice((0, 0, 1, 2, 3, 5, 8)))
        earlier_s47 = sum(1 for d in self.s47s if 0 < (s_start - d).days <= 365)
        earlier_icpc = sum(1 for d in self.icpcs if 0 < (s_start - d).days <= 365)
        self.s47s.append(s_start)
        icpc = "s47_cp" in force or ("cp_no_icpc" not in force and self.quasi("icpc") < P_ICPC)
        if icpc:
            within = self.quasi("in_15") < P_ICPC_IN_15
            icpc_date = self.wd(s_start, rng.randint(4, 15) if within else rng.randint(16, 32))
            s_end = icpc_date
        else:
            s_end = self.wd(s_start, rng.randint(5, 25))
        decided = self.closed(s_end)
        self.add(S47, s_start, s_end, outcome=("icpc" if icpc else "no_icpc") if decided else None,
                 icpc_not_required=(not icpc) if decided else None, s47_last_12m=earlier_s47,
                 icpcs_last_12m=earlier_icpc, team=team, worker=worker)  # fmt: skip
        if "cp_no_icpc" in force:
            return self.wd(s_start, 12)  # the data anomaly: a plan with no conference
        if not icpc or decided is None:
            return None
        self.icpcs.append(icpc_date)
        plan = "s47_cp" in force or rng.random() < P_PLAN
        self.add(ICPC, icpc_date, plan_resulted=plan, team=team, worker=worker)
        return icpc_date if plan else None

    def protection(
        self, start: date, team: str, worker: str, force: set[str]
    ) -> tuple[date | None, str | None, str]:
        """A CP plan, reviewed within 3 months and then every 6; what follows it."""
        rng = self.rng
        n_reviews = rng.choices((1, 2, 3, 4, 5, 6), (20, 36, 29, 10.6, 3.4, 1))[0]
        if force & {"s47_cp"}:
            n_reviews = min(n_reviews, 3)
        reviews = [start + _days(rng.randint(55, 90))]
        for _ in range(n_reviews - 1):
            reviews.append(reviews[-1] + _days(rng.randint(160, 182)))
        end = reviews[-1]
        held = [d for d in reviews if d <= self.ctx.end]
        initial = _CATEGORY.at(self.quasi("category"))
        latest = _CATEGORY(rng) if rng.random() < 0.1 else initial
        self.add(CP_PLAN, start, end, category_initial=initial, category_latest=latest,
                 last_visit=self.last_seen(self.closed(end), start), seen_alone=rng.random() < 0.8,
                 latest_review=held[-1] if held else None,
                 reviews=",".join(d.isoformat() for d in held) or None,
                 previous_plans=self.cp_plans, epo=rng.random() < 0.03,
                 team=team, worker=worker)  # fmt: skip
        self.cp_plans += 1
        if self.closed(end) is None:
            return None, None, "Child Protection plan"
        then = "close" if force else rng.choices(("lac", "cin_plan", "close"), (10, 55, 35))[0]
        if then == "lac":
            return self.looked_after(end, team, worker)
        if then == "cin_plan":
            return self.cin_plan(end, team, worker)
        return end, "RC7", "Closed episode"

    def cin_plan(self, start: date, team: str, worker: str) -> tuple[date | None, str, str]:
        end = start + _days(self.rng.randint(60, 420))
        self.add(CIN_PLAN, start, end, team=team, worker=worker)
        reason = self.rng.choices(("RC7", "RC5", "RC3"), (92, 5, 3))[0]
        return end, reason, "Child in need plan"

    def looked_after(self, start: date, team: str, worker: str) -> tuple[date | None, str, str]:
        rng = self.rng
        end = start + _days(int(rng.expovariate(1 / 650)) + 20)
        if self.life_end < self.ctx.end:
            # Care ends by the 18th birthday, but never before it began (an episode that
            # starts in the last days of childhood ends the day it starts).
            end = max(start, min(end, self.life_end))
        legal = "V2" if self.child.uasc else _LEGAL(rng)
        legal_start = start
        if legal == "C1" and (start + _days(270)) <= min(end, self.ctx.end):
            legal, legal_start = "C2", start + _days(rng.randint(180, 300))
        ceased = _CEASED(rng)
        self.add(LAC, start, end, category_of_need="N1" if not self.child.uasc else "N8",
                 legal_status=legal, legal_status_start=legal_start,
                 placement_type=_PLACEMENT(rng), placement_provider=_PROVIDER(rng),
                 placement_location="In" if rng.random() < 0.6 else "Out",
                 reason=ceased if self.closed(end) else None,
                 team=team, worker=worker)  # fmt: skip
        self.lac_ends.append(end)
        return end, _CEASED_CLOSURE.get(ceased, "RC7"), "Looked after child"


def _make_child(
    index: int, rng: random.Random, ctx: Context, forced: str | None, first: date
) -> tuple[Child, date, date]:
    """The child, its first contact date and the last day it can have events (turning 18)."""
    unborn = forced == "unborn" or (forced is None and rng.random() < P_UNBORN)
    uasc = forced is None and not unborn and rng.random() < P_UASC
    expected = dob = None
    if unborn:
        first = ctx.end - _days(rng.randint(14, 120)) if forced else first
        expected = first + _days(rng.randint(40, 220))
        if expected <= ctx.end:  # born since: the record now has a date of birth
            dob, expected = expected + _days(rng.randint(-14, 14)), None
    else:
        low, high = (14, 17) if uasc else _AGE_BAND(rng)
        if forced is not None:  # young enough for the whole forced journey
            low, high = (0, 0) if forced == "under_one" else (min(low, 10), min(high, 10))
        dob = first - _days(rng.randint(low * 365, high * 365 + 364))
    disability = rng.random() < 0.08
    sex = "c" if dob is None else rng.choices("abcd", (50.5, 48.8, 0.5, 0.2))[0]
    if uasc:
        sex = "a" if rng.random() < 0.9 else "b"
    child = Child(child_id(index), sex, _ETHNICITY(rng), dob, expected, disability, uasc)
    birth = dob or expected or first
    adult = date(birth.year + 18, birth.month, min(birth.day, 28)) - _days(1)
    return child, first, min(ctx.end, adult)


def _first_force(forced: str | None) -> set[str]:
    return {
        "open_episode": {"open"},
        "repeat_cp_plan": {"s47_cp"},
        "step_down_step_up": {"step_down"},
        "cp_plan_without_icpc": {"cp_no_icpc"},
        "assessment_before_referral": {"assessment_early"},
        "unborn": {"referred"},
        "same_day": {"referred"},
    }.get(forced or "", set())


def _forced_first_day(forced: str | None, first: date, ctx: Context, rng: random.Random) -> date:
    if forced == "weekend":
        return first + _days((5 - first.weekday()) % 7)
    if forced == "bank_holiday" and ctx.bank_holidays:
        return rng.choice(ctx.bank_holidays)
    if forced == "open_episode":
        return ctx.end - _days(40)
    if forced is not None and forced != "unborn":
        return ctx.start + _days(rng.randint(30, 200))
    return first


def simulate_child(index: int, ctx: Context) -> Case:
    """Generate child ``index`` of the authority described by ``ctx``.

    Examples
    --------
    >>> from seed_cases.generator import generate
    >>> case = simulate_child(5, generate(10, seed=1).context)
    >>> case.child.child_id, case.child.unborn
    ('0000006', True)
    """
    rng = random.Random(f"{ctx.seed}:{index}")
    forced = _FORCED.get(index)
    first = ctx.start + _days(rng.randrange((ctx.end - ctx.start).days + 1))
    first = _forced_first_day(forced, first, ctx, rng)
    child, first, life_end = _make_child(index, rng, ctx, forced, first)
    journey = _Journey(ctx, rng, child, life_end, index)
    if forced is None and rng.random() < P_CONTACT_ONLY and not child.unborn:
        _contacts_only(journey, first)
    else:
        _referred(journey, first, forced)
    return Case(child, _finish(journey.events))


def _contacts_only(journey: _Journey, first: date) -> None:
    rng, day = journey.rng, first
    for _ in range(rng.choices((1, 2, 3), (62, 26, 12))[0]):
        if day > journey.life_end:
            break
        journey.contact(_weekday_mostly(rng, day), journey.source(), _CONTACT_OUTCOME(rng))
        day += _days(rng.randint(20, 700))


def _weekday_mostly(rng: random.Random, day: date) -> date:
    """Most contacts from agencies arrive on a working day; some still come at weekends."""
    if day.weekday() >= 5 and rng.random() < 0.6:
        return day + _days(7 - day.weekday())
    return day


def _referred(journey: _Journey, first: date, forced: str | None) -> None:
    rng, ctx = journey.rng, journey.ctx
    force = _first_force(forced)
    day = first if forced in {"weekend", "bank_holiday"} else _weekday_mostly(rng, first)
    after = ctx.start - _days(1)
    repeat_cp = forced == "repeat_cp_plan"
    while day <= journey.life_end:
        journey.loose_contacts(day, after)
        source = "6" if forced in {"weekend", "bank_holiday"} else journey.source()
        if forced == "same_kind_same_day" and not journey.referrals:
            journey.contact(day, "2A", "advice")
        journey.add(CONTACT, day, source=source, outcome="referral")
        close, step_up = journey.referral(day, source, force)
        force = set()
        if close is None:
            break
        after = close
        if step_up is not None:
            day = step_up
            continue
        if repeat_cp and journey.cp_plans == 1:
            day, force = close + _days(rng.randint(60, 200)), {"s47_cp"}
            continue
        if rng.random() >= P_AGAIN:
            break
        quick = rng.random() < P_QUICK
        day = close + _days(rng.randint(7, 240) if quick else rng.randint(120, 1400))
        day = _weekday_mostly(rng, day)


def _finish(raw: list[tuple[str, date, date | None, dict[str, Any]]]) -> tuple[Event, ...]:
    """Sort by date then kind, and number same-kind same-day events."""
    order = sorted(range(len(raw)), key=lambda i: (raw[i][1], _KIND_ORDER[raw[i][0]], i))
    seen: dict[tuple[str, date], int] = {}
    events = []
    for i in order:
        kind, start, end, attrs = raw[i]
        occurrence = seen.get((kind, start), 0)
        seen[(kind, start)] = occurrence + 1
        events.append(Event(kind, start, end, occurrence, attrs))
    return tuple(events)
