"""Working days in England and Wales, with bank holidays supplied as data.

Convention (used everywhere in the app and shown in the UI): the start day is
day 0, so an event on the same day is 0 working days later, and "within N working
days" means ``working_days_between(start, end, holidays) <= N``.  A working day is
Monday to Friday and not a bank holiday.  The days counted are those after
``start`` up to and including ``end``; when ``end`` falls on a weekend or holiday
it counts as the working days up to it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from .errors import JourneyError

__all__ = ["is_working_day", "working_days_between", "add_working_days"]


def is_working_day(day: date, holidays: Collection[date] = frozenset()) -> bool:
    """True when ``day`` is Monday to Friday and not in ``holidays``.

    Examples
    --------
    >>> is_working_day(date(2026, 12, 28), {date(2026, 12, 28)})
    False
    >>> is_working_day(date(2026, 12, 29))
    True
    """
    return day.weekday() < 5 and day not in holidays


def _weekdays_to(ordinal: int) -> int:
    """Weekdays from 1 January of year 1 (a Monday) up to the day ``ordinal``, inclusive."""
    weeks, day = divmod(ordinal - 1, 7)
    return weeks * 5 + (day + 1 if day < 5 else 5)


def _weekdays_after(start: date, end: date) -> int:
    """Weekdays in (start, end] for start <= end, in O(1)."""
    return _weekdays_to(end.toordinal()) - _weekdays_to(start.toordinal())


def working_days_between(start: date, end: date, holidays: Collection[date] = frozenset()) -> int:
    """Working days from ``start`` (day 0) to ``end``; negative when ``end`` is earlier.

    Examples
    --------
    >>> working_days_between(date(2026, 12, 24), date(2026, 12, 24))
    0
    >>> xmas = {date(2026, 12, 25), date(2026, 12, 28)}  # Boxing Day is a Saturday
    >>> working_days_between(date(2026, 12, 24), date(2026, 12, 29), xmas)
    1
    """
    if not isinstance(start, date) or not isinstance(end, date):
        raise JourneyError(f"working days need two dates, got {start!r} and {end!r}")
    if end < start:
        return -working_days_between(end, start, holidays)
    count = _weekdays_after(start, end)
    for day in holidays:
        if start < day <= end and day.weekday() < 5:
            count -= 1
    return count


def add_working_days(start: date, n: int, holidays: Collection[date] = frozenset()) -> date:
    """The date ``n`` working days after ``start`` (``n`` >= 0).

    Examples
    --------
    >>> add_working_days(date(2026, 11, 27), 1)  # a Friday
    datetime.date(2026, 11, 30)
    """
    if n < 0:
        raise JourneyError(f"add_working_days needs n >= 0, got {n}")
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            n -= 1
    return day
