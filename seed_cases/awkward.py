"""Find the awkward cases in an authority's data: the ones importers and journeys trip on.

Detected from the events alone, so the same checks work on data from any source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

from journeys.events import (
    ASSESSMENT,
    CIN_EPISODE,
    CP_PLAN,
    EARLY_HELP,
    ICPC,
    REFERRAL,
    Child,
    Event,
)

if TYPE_CHECKING:
    from .generator import Authority

__all__ = ["AWKWARD_KINDS", "awkward_cases", "awkward_kinds_of"]

_Check = Callable[[Child, tuple[Event, ...], frozenset[date]], bool]


def _unborn(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return child.unborn


def _under_one(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return child.dob is not None and any(0 <= (e.start - child.dob).days < 365 for e in events)


def _same_day(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return any(n > 1 for n in Counter(e.start for e in events).values())


def _same_kind_same_day(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return any(e.occurrence > 0 for e in events)


def _weekend(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return any(e.start.weekday() >= 5 for e in events)


def _bank_holiday(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return any(e.start in holidays for e in events)


def _open_episode(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return any(e.kind == CIN_EPISODE and e.end is None for e in events)


def _repeat_cp(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    return sum(1 for e in events if e.kind == CP_PLAN) > 1


def _step_down_up(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    """Early help starting as an episode of need closes, then a referral while it is open."""
    closes = [e.end for e in events if e.kind == CIN_EPISODE and e.end is not None]
    referrals = [e.start for e in events if e.kind == REFERRAL]
    for eh in (e for e in events if e.kind == EARLY_HELP):
        stepped_down = any(0 <= (eh.start - c).days <= 14 for c in closes)
        stepped_up = any(eh.start < r and (eh.end is None or r <= eh.end) for r in referrals)
        if stepped_down and stepped_up:
            return True
    return False


def _cp_without_icpc(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    icpcs = [e.start for e in events if e.kind == ICPC]
    return any(
        e.kind == CP_PLAN and not any(0 <= (e.start - d).days <= 31 for d in icpcs) for e in events
    )


def _assessment_early(child: Child, events: tuple[Event, ...], holidays: frozenset[date]) -> bool:
    """An assessment before its referral: none in the year up to it, one within 30 days after."""
    referrals = [e.start for e in events if e.kind == REFERRAL]
    for a in (e for e in events if e.kind == ASSESSMENT):
        before = any(0 <= (a.start - r).days <= 365 for r in referrals)
        after = any(0 < (r - a.start).days <= 30 for r in referrals)
        if after and not before:
            return True
    return False


#: Kind of awkwardness -> its check on (child, events, bank holidays).
AWKWARD_KINDS: dict[str, _Check] = {
    "unborn": _unborn,
    "under_one": _under_one,
    "weekend": _weekend,
    "bank_holiday": _bank_holiday,
    "same_day": _same_day,
    "same_kind_same_day": _same_kind_same_day,
    "open_episode": _open_episode,
    "repeat_cp_plan": _repeat_cp,
    "step_down_step_up": _step_down_up,
    "cp_plan_without_icpc": _cp_without_icpc,
    "assessment_before_referral": _assessment_early,
}


def awkward_kinds_of(
    child: Child, events: Iterable[Event], holidays: frozenset[date] = frozenset()
) -> list[str]:
    """The kinds of awkwardness one child's data shows.

    Examples
    --------
    >>> awkward_kinds_of(Child("0000009", expected_dob=date(2027, 1, 5)), [])
    ['unborn']
    """
    events = tuple(events)
    return [kind for kind, check in AWKWARD_KINDS.items() if check(child, events, holidays)]


def awkward_cases(authority: Authority) -> dict[str, list[str]]:
    """Kind of awkwardness -> the IDs of the children who show it, detected from the data.

    Examples
    --------
    >>> from seed_cases.generator import generate
    >>> found = awkward_cases(generate(200, seed=1))
    >>> sorted(kind for kind, ids in found.items() if ids) == sorted(AWKWARD_KINDS)
    True
    """
    found: dict[str, list[str]] = {kind: [] for kind in AWKWARD_KINDS}
    holidays = authority.bank_holidays
    for case in authority.iter_cases():
        for kind in awkward_kinds_of(case.child, case.events, holidays):
            found[kind].append(case.child.child_id)
    return found
