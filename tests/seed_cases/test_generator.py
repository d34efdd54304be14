"""The synthetic authority: deterministic, well-formed, and awkward where it should be."""

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from journeys.calendar import add_working_days, working_days_between
from journeys.events import EVENT_FIELDS, EVENT_KINDS
from seed_cases import awkward_cases, england_bank_holidays, generate
from seed_cases.awkward import AWKWARD_KINDS
from seed_cases.calendar import WorkingCalendar


@pytest.fixture(scope="module")
def small():
    return generate(300, seed=5)


class TestGenerate:
    def test_same_seed_same_data(self, small):
        assert generate(300, seed=5).cases() == small.cases()

    def test_different_seed_different_data(self, small):
        assert generate(300, seed=6).cases() != small.cases()

    def test_any_child_regenerates_alone(self, small):
        cases = small.cases()
        assert small.case(123) == cases[123]

    def test_teams_and_workers_are_made_up(self, small):
        assert 6 <= len(small.teams) <= 12
        for team in small.teams:
            assert team.locality and team.name.startswith(team.locality)
            assert 5 <= len(team.workers) <= 10
            assert all(re.fullmatch(r"Worker [A-L]\d{1,2}", w) for w in team.workers)

    def test_child_ids_keep_leading_zeros_in_order(self, small):
        ids = [c.child.child_id for c in small.iter_cases()]
        assert ids[0] == "0000001" and ids == sorted(ids) and len(set(ids)) == 300

    def test_events_are_well_formed(self, small):
        for case in small.iter_cases():
            seen = Counter()
            for e in case.events:
                assert e.kind in EVENT_KINDS
                assert small.start <= e.start <= small.end
                assert e.end is None or e.end <= small.end
                assert set(e.attrs) <= set(EVENT_FIELDS), set(e.attrs) - set(EVENT_FIELDS)
                assert e.occurrence == seen[(e.kind, e.start)]
                seen[(e.kind, e.start)] += 1
            assert [e.start for e in case.events] == sorted(e.start for e in case.events)

    def test_children_are_0_to_17_or_unborn(self, small):
        for case in small.iter_cases():
            child = case.child
            assert child.sex in {"a", "b", "c", "d"}
            if child.dob is None:
                assert child.unborn and child.sex == "c" and child.expected_dob > small.end
                continue
            first = case.events[0].start
            assert (first - child.dob).days < 18 * 366

    def test_contacts_precede_referrals(self, small):
        for case in small.iter_cases():
            contacts = {e.start for e in case.events if e.kind == "contact"}
            referrals = [e.start for e in case.events if e.kind == "referral"]
            assert all(r in contacts for r in referrals)

    def test_every_awkward_case_on_200_children(self):
        found = awkward_cases(generate(200, seed=9))
        assert set(found) == set(AWKWARD_KINDS)
        assert {kind for kind, ids in found.items() if not ids} == set()

    def test_refuses_a_negative_size(self):
        with pytest.raises(ValueError):
            generate(-1, seed=1)


class TestWorkingCalendar:
    def test_agrees_with_journeys_calendar(self):
        holidays = england_bank_holidays(range(2024, 2028))
        cal = WorkingCalendar(date(2024, 1, 1), date(2027, 12, 31), holidays)
        day = date(2025, 12, 20)
        for offset in range(0, 30):
            start = day + timedelta(days=offset)
            for n in (0, 1, 5, 15, 45):
                assert cal.add(start, n) == add_working_days(start, n, holidays)
                end = start + timedelta(days=n * 2)
                assert cal.between(start, end) == working_days_between(start, end, holidays)

    def test_knows_english_bank_holidays(self):
        holidays = england_bank_holidays([2026])
        assert date(2026, 8, 31) in holidays  # summer bank holiday (England, not Scotland)
        assert date(2026, 1, 2) not in holidays  # a Scottish holiday only

    def test_refuses_dates_outside_its_span(self):
        cal = WorkingCalendar(date(2026, 1, 1), date(2026, 12, 31))
        with pytest.raises(ValueError):
            cal.add(date(2025, 6, 1), 3)
