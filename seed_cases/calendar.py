"""England's bank holidays, and fast working-day arithmetic for the generator.

The generator adds working days about a million times for a large authority, so
``WorkingCalendar`` precomputes a running count of working days once and answers
by lookup; it follows ``journeys.calendar`` exactly (start day is day 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

__all__ = ["england_bank_holidays", "WorkingCalendar"]


def england_bank_holidays(years: Iterable[int]) -> frozenset[date]:
    """Bank holidays in England for ``years`` (the ``holidays`` package, subdivision ENG).

    Examples
    --------
    >>> date(2026, 12, 28) in england_bank_holidays([2026])  # Boxing Day substitute
    True
    """
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=list(years)))


class WorkingCalendar:
    """Working days between ``first`` and ``last``, answered in constant time.

    Parameters
    ----------
    first, last : date
        The span the calendar covers; dates outside it raise ``ValueError``.
    bank_holidays : frozenset of date, optional
        Defaults to England's bank holidays for the years spanned.

    Examples
    --------
    >>> cal = WorkingCalendar(date(2026, 1, 1), date(2027, 12, 31))
    >>> cal.add(date(2026, 12, 24), 1)  # over Christmas and the Boxing Day substitute
    datetime.date(2026, 12, 29)
    >>> cal.between(date(2026, 12, 24), date(2026, 12, 29))
    1
    """

    def __init__(
        self, first: date, last: date, bank_holidays: frozenset[date] | None = None
    ) -> None:
        if last < first:
            raise ValueError(f"calendar from {first} to {last} is empty")
        if bank_holidays is None:
            bank_holidays = england_bank_holidays(range(first.year, last.year + 1))
        self.first = first
        self.last = last
        self.holidays = bank_holidays
        self._base = first.toordinal()
        count = 0
        cumulative: list[int] = []
        working: list[date] = []
        day = first
        while day <= last:
            if day.weekday() < 5 and day not in bank_holidays:
                count += 1
                working.append(day)
            cumulative.append(count)
            day += timedelta(days=1)
        self._cumulative = cumulative
        self._working = working

    def _count(self, day: date) -> int:
        offset = day.toordinal() - self._base
        if offset < 0 or offset >= len(self._cumulative):
            raise ValueError(f"{day} is outside the calendar {self.first} to {self.last}")
        return self._cumulative[offset]

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is Monday to Friday and not a bank holiday."""
        return day.weekday() < 5 and day not in self.holidays

    def between(self, start: date, end: date) -> int:
        """Working days from ``start`` (day 0) to ``end``; negative when ``end`` is earlier."""
        return self._count(end) - self._count(start)

    def add(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start`` (``n`` >= 0)."""
        if n < 0:
            raise ValueError(f"add needs n >= 0, got {n}")
        if n == 0:
            return start
        index = self._count(start) + n - 1
        if index >= len(self._working):
            raise ValueError(f"{n} working days after {start} is beyond {self.last}")
        return self._working[index]
