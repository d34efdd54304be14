"""A deterministic synthetic local authority: teams, children and their journeys.

``generate(children, seed)`` describes the authority; its cases are drawn lazily,
each child from its own random stream seeded by (seed, index), so 150,000 children
stream in flat memory and the same seed always gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from .awkward import awkward_cases
from .calendar import WorkingCalendar, england_bank_holidays
from .simulation import Case, Context, simulate_child

__all__ = ["Team", "Authority", "Case", "generate", "awkward_cases"]

_PLACES = (
    "Northmoor", "Eastbrook", "Westerdale", "Southfen", "Highcombe", "Lowmere", "Ashcross",
    "Brackenfield", "Coldharbour", "Fernleigh", "Greystone", "Hollowell", "Kestrel Vale",
    "Marshgate", "Oakhurst", "Ravensholt", "Stonebridge", "Thornwick", "Wyndale",
)  # fmt: skip
_TEAM_KINDS = ("Assessment", "Safeguarding", "Children in Need", "Family Support", "Front Door")


@dataclass(frozen=True, slots=True)
class Team:
    """A social work team in a named locality, with made-up worker names."""

    name: str
    locality: str
    workers: tuple[str, ...]


@dataclass(frozen=True)
class Authority:
    """A synthetic authority; its cases are generated on demand from ``seed``.

    Examples
    --------
    >>> authority = generate(5, seed=2)
    >>> [case.child.child_id for case in authority.iter_cases()]
    ['0000001', '0000002', '0000003', '0000004', '0000005']
    """

    name: str
    seed: int
    start: date
    end: date
    teams: tuple[Team, ...]
    children: int
    context: Context

    def iter_cases(self) -> Iterator[Case]:
        """Each child and its events, in child-ID order, generated one at a time."""
        for index in range(self.children):
            yield simulate_child(index, self.context)

    def cases(self) -> list[Case]:
        """All cases as a list (for small authorities)."""
        return list(self.iter_cases())

    def case(self, index: int) -> Case:
        """Child ``index`` alone, regenerated independently of the others."""
        if not 0 <= index < self.children:
            raise IndexError(f"the authority has {self.children} children, not {index + 1}")
        return simulate_child(index, self.context)

    @property
    def bank_holidays(self) -> frozenset[date]:
        """England's bank holidays over the authority's calendar."""
        return self.context.calendar.holidays


def _teams(rng: random.Random) -> tuple[Team, ...]:
    localities = rng.sample(_PLACES[1:], rng.randint(3, 4))
    n_teams = rng.randint(6, 12)
    teams = []
    for t in range(n_teams):
        locality = localities[t % len(localities)]
        kind = _TEAM_KINDS[(t // len(localities)) % len(_TEAM_KINDS)]
        letter = chr(ord("A") + t)
        workers = tuple(f"Worker {letter}{w + 1}" for w in range(rng.randint(5, 10)))
        teams.append(Team(f"{locality} {kind} Team", locality, workers))
    return tuple(teams)


def _years_before(day: date, years: int) -> date:
    return date(day.year - years, day.month, min(day.day, 28)) + timedelta(
        days=max(0, day.day - 28)
    )


def generate(
    children: int, seed: int, *, end: date = date(2026, 9, 30), years: int = 6
) -> Authority:
    """Describe a synthetic authority of ``children`` children over ``years`` to ``end``.

    Parameters
    ----------
    children : int
        How many children (each known to the front door at least once).
    seed : int
        Same seed, same authority, same cases.
    end : date
        The last day of data (events after it are left out or open).
    years : int
        How far back the data goes.

    Examples
    --------
    >>> authority = generate(200, seed=1)
    >>> authority.name, authority.start, len(authority.cases())
    ('Northmoor', datetime.date(2020, 10, 1), 200)
    >>> generate(200, seed=1).cases() == authority.cases()
    True
    """
    if children < 0:
        raise ValueError(f"children must be >= 0, got {children}")
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    rng = random.Random(f"{seed}:authority")
    start = _years_before(end, years) + timedelta(days=1)
    first, last = start - timedelta(days=400), end + timedelta(days=1500)
    bank = england_bank_holidays(range(first.year, last.year + 1))
    calendar = WorkingCalendar(first, last, bank)
    teams = _teams(rng)
    usable = tuple(
        sorted(d for d in bank if start + timedelta(days=30) <= d <= end - timedelta(days=200))
    )
    context = Context(
        seed=seed,
        start=start,
        end=end,
        calendar=calendar,
        teams=tuple((team.name, team.workers) for team in teams),
        bank_holidays=usable,
    )
    return Authority(_PLACES[0], seed, start, end, teams, children, context)
