"""Working days on dated examples across England and Wales bank holidays."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journeys import add_working_days, is_working_day, working_days_between
from journeys._dates import WorkingDays, add_months, to_dates

from .helpers import (
    CHRISTMAS_2026,
    CORONATION_2023,
    EASTER_2022,
    HOLIDAYS,
    JUBILEE_2022,
    STATE_FUNERAL_2022,
    d,
)


class TestWorkingDaysBetween:
    @pytest.mark.parametrize(
        ("start", "end", "holidays", "expected"),
        [
            # Thu before Good Friday to Tue after Easter Monday: only Tue counts.
            ("2022-04-14", "2022-04-19", EASTER_2022, 1),
            # Wed before the Platinum Jubilee (Thu 2, Fri 3 Jun) to the next Mon.
            ("2022-06-01", "2022-06-06", JUBILEE_2022, 1),
            # Fri before the State Funeral (Mon 19 Sep) to Tue 20 Sep.
            ("2022-09-16", "2022-09-20", STATE_FUNERAL_2022, 1),
            # Fri before the Coronation (Mon 8 May 2023) to Tue 9 May.
            ("2023-05-05", "2023-05-09", CORONATION_2023, 1),
            # Christmas Eve 2026 (Thu) to Tue 29 Dec: Fri 25 and substitute Mon 28 off.
            ("2026-12-24", "2026-12-29", CHRISTMAS_2026, 1),
            # The same spans without the holidays, to show each one counts.
            ("2022-04-14", "2022-04-19", (), 3),
            ("2026-12-24", "2026-12-29", (), 3),
        ],
    )
    def test_dated_examples_across_bank_holidays(self, start, end, holidays, expected):
        assert working_days_between(d(start), d(end), frozenset(holidays)) == expected

    def test_same_day_is_day_zero(self):
        assert working_days_between(d("2022-06-02"), d("2022-06-02"), HOLIDAYS) == 0

    def test_an_end_on_a_holiday_counts_the_working_days_up_to_it(self):
        # Wed 1 Jun to the Jubilee Friday: Thu and Fri are both holidays.
        assert working_days_between(d("2022-06-01"), d("2022-06-03"), HOLIDAYS) == 0

    def test_45_working_days_across_easter_2022(self):
        # Fri 1 Apr 2022 + 45 working days is Fri 3 Jun without holidays (nine weeks);
        # Easter and the Jubilee take out four weekdays, so Thu 9 Jun.  (This set leaves
        # out the 2 May bank holiday on purpose; with it the date would be 10 Jun.)
        due = add_working_days(d("2022-04-01"), 45, HOLIDAYS)
        assert due == d("2022-06-09")
        assert working_days_between(d("2022-04-01"), due, HOLIDAYS) == 45


class TestWorkingDays:
    @given(
        st.dates(date(2021, 1, 1), date(2027, 12, 31)),
        st.dates(date(2021, 1, 1), date(2027, 12, 31)),
    )
    def test_counts_as_the_calendar_function_does(self, a, b):
        assert WorkingDays(HOLIDAYS).between(a, b) == working_days_between(a, b, HOLIDAYS)

    @given(st.dates(date(2021, 1, 1), date(2027, 12, 31)), st.integers(0, 80))
    def test_adds_as_the_calendar_function_does(self, start, n):
        assert WorkingDays(HOLIDAYS).add(start, n) == add_working_days(start, n, HOLIDAYS)

    def test_christmas_2026(self):
        assert WorkingDays(CHRISTMAS_2026).add(d("2026-12-24"), 1) == d("2026-12-29")


def _counted_day_by_day(start: date, end: date, holidays: frozenset[date]) -> int:
    if end < start:
        return -_counted_day_by_day(end, start, holidays)
    days = (end - start).days
    return sum(is_working_day(start + timedelta(days=k), holidays) for k in range(1, days + 1))


class TestCountsInConstantTime:
    """The O(1) counts (weekdays from a fixed Monday) against a day-by-day count."""

    @given(
        st.dates(date(2020, 1, 1), date(2028, 12, 31)),
        st.integers(-60, 400),
    )
    def test_between_counts_as_a_day_by_day_walk(self, start, span):
        end = start + timedelta(days=span)
        expected = _counted_day_by_day(start, end, HOLIDAYS)
        assert working_days_between(start, end, HOLIDAYS) == expected
        assert WorkingDays(HOLIDAYS).between(start, end) == expected
        assert working_days_between(start, end) == _counted_day_by_day(start, end, frozenset())

    def test_every_weekday_pair_of_two_weeks_and_the_first_and_last_dates(self):
        for start in [date(2026, 11, 30) + timedelta(days=i) for i in range(14)]:
            for span in range(22):
                end = start + timedelta(days=span)
                assert working_days_between(start, end) == _counted_day_by_day(
                    start, end, frozenset()
                )
        assert working_days_between(date(1, 1, 1), date(1, 1, 8)) == 5  # Mon to Mon
        assert working_days_between(date(9999, 12, 24), date(9999, 12, 31)) == 5

    @given(st.dates(date(2020, 1, 1), date(2028, 12, 31)), st.integers(0, 120))
    def test_add_is_the_first_day_that_many_working_days_on(self, start, n):
        due = WorkingDays(HOLIDAYS).add(start, n)
        assert due == add_working_days(start, n, HOLIDAYS)
        if n:
            assert is_working_day(due, HOLIDAYS)
            assert _counted_day_by_day(start, due, HOLIDAYS) == n
            assert _counted_day_by_day(start, due - timedelta(days=1), HOLIDAYS) == n - 1
        else:
            assert due == start  # even on a weekend


class TestDateHelpers:
    def test_months_clamp_to_the_month_end(self):
        assert add_months(d("2024-02-29"), 12) == d("2025-02-28")
        assert add_months(d("2025-03-31"), -1) == d("2025-02-28")

    def test_review_dates_parse_sorted_and_skip_junk(self):
        assert to_dates("2025-06-01,junk, 2025-01-02,") == [d("2025-01-02"), d("2025-06-01")]
        assert to_dates([d("2025-01-02") + timedelta(1)]) == [d("2025-01-03")]
