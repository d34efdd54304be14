"""Date helpers shared by the journey modules: calendar months, attribute dates, fast counting."""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections.abc import Collection
from datetime import date, datetime
from functools import lru_cache

from .calendar import _weekdays_to
from .errors import JourneyError

__all__ = ["add_months", "to_date", "to_dates", "WorkingDays"]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the month's end.

    Examples
    --------
    >>> add_months(date(2025, 11, 30), 3)
    datetime.date(2026, 2, 28)
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def to_date(value: object) -> date | None:
    """A date from an attribute value: a ``date`` or an ISO string; anything else is None.

    Attributes that are not contract fields (``decision_date``) travel through the
    database as JSON, so they may come back as ISO strings.

    Examples
    --------
    >>> to_date("2025-03-02"), to_date(""), to_date("not a date")
    (datetime.date(2025, 3, 2), None, None)
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def to_dates(value: object) -> list[date]:
    """Sorted dates from a comma-separated ISO string (or a list of dates); bad parts are skipped.

    Examples
    --------
    >>> to_dates("2025-06-01, 2025-01-02")
    [datetime.date(2025, 1, 2), datetime.date(2025, 6, 1)]
    """
    parts: list[object]
    if isinstance(value, str):
        parts = list(value.split(","))
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        parts = [value]
    return sorted(d for d in map(to_date, parts) if d is not None)


class WorkingDays:
    """``working_days_between`` with the holidays sorted once, so each count is O(log h).

    Gives exactly the answers of :func:`journeys.calendar.working_days_between`
    (a property test checks it); the journey code counts hundreds of intervals
    against a decade of bank holidays, where the plain function scans them all.

    Examples
    --------
    >>> wd = WorkingDays({date(2026, 12, 25), date(2026, 12, 28)})
    >>> wd.between(date(2026, 12, 24), date(2026, 12, 29))
    1
    """

    __slots__ = ("holidays", "_weekday_holidays")

    def __init__(self, holidays: Collection[date] = frozenset()) -> None:
        self.holidays = frozenset(holidays)
        self._weekday_holidays = _weekday_holidays(self.holidays)

    def between(self, start: date, end: date) -> int:
        if end < start:
            return -self.between(end, start)
        count = _weekdays_to(end.toordinal()) - _weekdays_to(start.toordinal())
        hols = self._weekday_holidays
        if hols:
            count -= bisect_right(hols, end) - bisect_right(hols, start)
        return count

    def add(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start``, as :func:`~journeys.add_working_days`.

        Examples
        --------
        >>> WorkingDays({date(2026, 12, 25), date(2026, 12, 28)}).add(date(2026, 12, 24), 1)
        datetime.date(2026, 12, 29)
        """
        if n < 0:
            raise JourneyError(f"add needs n >= 0, got {n}")
        day = _add_weekdays(start, n)
        hols, counted = self._weekday_holidays, 0
        while hols:
            # Each holiday passed on the way pushes the date on by one more working day.
            passed = bisect_right(hols, day) - bisect_right(hols, start)
            if passed == counted:
                break
            day, counted = _add_weekdays(day, passed - counted), passed
        return day


@lru_cache(maxsize=64)
def _weekday_holidays(holidays: frozenset[date]) -> tuple[date, ...]:
    """The holidays that fall on a weekday, sorted (shared between calls, so a tuple).

    A rebuild makes a ``WorkingDays`` per journey from a handful of holiday sets.
    """
    return tuple(sorted(d for d in holidays if d.weekday() < 5))


def _add_weekdays(day: date, n: int) -> date:
    """The ``n``-th weekday after ``day`` (``day`` itself when n is 0), in O(1)."""
    if n == 0:
        return day
    ordinal = day.toordinal()
    weekday = (ordinal - 1) % 7  # 1 January of year 1 was a Monday
    if weekday > 4:  # from a weekend, count as from the Friday before it
        ordinal -= weekday - 4
        weekday = 4
    weeks, rest = divmod(weekday + n, 5)
    return date.fromordinal(ordinal + weeks * 7 + rest - weekday)
