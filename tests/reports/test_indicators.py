"""The SEF evidence base (section 8(b)) on a small literal authority, every answer worked by hand.

The period is the financial year 1 April 2025 to 31 March 2026.  Working days count
the start day as day 0 and skip England's bank holidays (Christmas, Boxing Day and
New Year's Day fall inside F's assessment).  Each child's events are listed in
``COHORT`` with the figures they feed.
"""

from datetime import date

import pytest

from audit_app.db import session_scope
from audit_app.models import Child, Event, Team
from audit_app.reports.indicators import (
    compute_indicators,
    indicator_trend,
    national_comparators,
    quarter_periods,
)
from journeys import DEFAULT_LINK_RULES, working_days_between
from journeys.indicators import (
    ASSESSMENT_BANDS,
    WorkingDayIndex,
    band_of,
    is_high_nfa,
    link_latest,
)

START, END = date(2025, 4, 1), date(2026, 3, 31)
D = date
N, S = "North Team", "South Team"

# child ref -> (dob, expected dob, ethnicity), then its events as
# (kind, start, end, attrs).  Teams: North (Northside), South (Southside).
COHORT: dict[str, tuple] = {
    # contact and referral the same day; assessment 40 working days from the referral
    # (39 from its start); CIN plan open at the end; worker W1.
    "A": ((D(2015, 6, 1), None, "WBRI"), [
        ("contact", D(2025, 6, 2), None, {"source": "6"}),
        ("referral", D(2025, 6, 2), None, {"source": "6", "team": N, "worker": "W1"}),
        ("assessment", D(2025, 6, 3), D(2025, 7, 28), {"in_need": True, "team": N, "worker": "W1"}),
        ("cin_plan", D(2025, 7, 28), None, {"team": N, "worker": "W1"}),
    ]),
    # NFA from a school; re-referral (previous referral 2024-06-10, within 12 months).
    "B": ((D(2010, 1, 15), None, "APKN"), [
        ("referral", D(2024, 6, 10), None, {"source": "2A", "nfa": False, "team": S}),
        ("contact", D(2025, 5, 1), None, {"source": "2A"}),
        ("referral", D(2025, 5, 1), None, {"source": "2A", "nfa": True, "team": S, "worker": "W2"}),
        ("cin_episode", D(2025, 5, 1), D(2025, 5, 1), {"team": S, "worker": "W2"}),
    ]),
    # previous referral 12 months and a day before: NOT a re-referral.
    "C": ((D(2012, 3, 3), None, "WBRI"), [
        ("referral", D(2024, 9, 30), None, {"source": "6", "team": N}),
        ("referral", D(2025, 10, 1), None, {"source": "6", "team": N, "worker": "W1"}),
    ]),
    # previous referral exactly 12 months before: a re-referral; same-day assessment.
    "D": ((D(2019, 2, 2), None, "BAFR"), [
        ("referral", D(2024, 10, 1), None, {"source": "6", "team": N}),
        ("referral", D(2025, 10, 1), None, {"source": "6", "team": N, "worker": "W1"}),
        ("assessment", D(2025, 10, 1), D(2025, 10, 1), {"in_need": False, "team": N}),
    ]),
    # no earlier referral in the data, but the source system counts one: a re-referral.
    "E": ((D(2008, 5, 5), None, "MWBC"), [
        ("referral", D(2025, 11, 3), None, {"source": "3A", "referrals_last_12m": 1, "team": S}),
    ]),
    # 47 working days from the referral (late), 37 from the assessment start (in time).
    "F": ((D(2021, 7, 7), None, "WBRI"), [
        ("referral", D(2025, 12, 1), None, {"source": "3A", "team": S, "worker": "W2"}),
        ("assessment", D(2025, 12, 15), D(2026, 2, 9), {"in_need": True, "team": S}),
    ]),
    # open assessments at 31 March 2026: G 51 working days from its referral (overdue),
    # H exactly 45 (not overdue), I 46 and authorised only after the period (overdue).
    "G": ((D(2012, 1, 1), None, "WBRI"), [
        ("referral", D(2026, 1, 19), None, {"source": "6", "team": N, "worker": "W3"}),
        ("assessment", D(2026, 1, 20), None, {"team": N, "worker": "W3"}),
    ]),
    "H": ((D(2012, 1, 1), None, "WBRI"), [
        ("referral", D(2026, 1, 27), None, {"source": "6", "team": N, "worker": "W3"}),
        ("assessment", D(2026, 1, 27), None, {"team": N, "worker": "W3"}),
    ]),
    "I": ((D(2012, 1, 1), None, "WBRI"), [
        ("referral", D(2026, 1, 26), None, {"source": "6", "team": S, "worker": "W2"}),
        ("assessment", D(2026, 1, 26), D(2026, 4, 10), {"team": S, "worker": "W2"}),
    ]),
    # a contact that went nowhere; its child has no recorded date of birth or ethnicity.
    "J": ((None, None, None), [("contact", D(2025, 7, 7), None, {"source": "1A"})]),
    # a contact 31 days before the referral: too long ago to have led to it; NFA.
    "L": ((D(2012, 1, 1), None, "WBRI"), [
        ("contact", D(2025, 9, 1), None, {"source": "8"}),
        ("referral", D(2025, 10, 2), None, {"source": "8", "nfa": True, "team": S}),
    ]),
    # a contact on the last day that led to a referral after the period: converted.
    "M": ((D(2012, 1, 1), None, "WBRI"), [
        ("contact", D(2026, 3, 31), None, {"source": "6"}),
        ("referral", D(2026, 4, 2), None, {"source": "6", "team": N}),
    ]),
    # S47 to ICPC in 15 working days; CP plan open at the end (worker W1).
    "N": ((D(2012, 1, 1), None, "WBRI"), [
        ("referral", D(2025, 9, 1), None, {"source": "6", "team": N, "worker": "W1"}),
        ("s47", D(2025, 9, 3), D(2025, 9, 24), {"team": N}),
        ("icpc", D(2025, 9, 24), None, {"plan_resulted": True, "team": N}),
        ("cp_plan", D(2025, 9, 24), None, {"previous_plans": 0, "team": N, "worker": "W1"}),
    ]),
    # S47 to ICPC in 16 working days; no plan.
    "O": ((D(2012, 1, 1), None, "WBRI"), [
        ("referral", D(2025, 10, 6), None, {"source": "6", "team": S}),
        ("s47", D(2025, 10, 6), D(2025, 10, 28), {"team": S}),
        ("icpc", D(2025, 10, 28), None, {"plan_resulted": False, "team": S}),
    ]),
    # the ICPC is dated four days before its S47: left out of the timing.  A second
    # CP plan (an earlier one in the data), open at the end.
    "P": ((D(2012, 1, 1), None, "WBRI"), [
        ("cp_plan", D(2022, 1, 10), D(2024, 2, 1), {"team": N}),
        ("referral", D(2025, 11, 7), None, {"source": "5A", "team": N, "worker": "W1"}),
        ("icpc", D(2025, 11, 10), None, {"plan_resulted": True, "team": N}),
        ("cp_plan", D(2025, 11, 10), None, {"team": N, "worker": "W1"}),
        ("s47", D(2025, 11, 14), D(2025, 11, 20), {"team": N}),
    ]),
    # an S47 that needed no conference.
    "Q": ((D(2012, 1, 1), None, "WBRI"), [
        ("referral", D(2025, 12, 1), None, {"source": "6", "team": S}),
        ("s47", D(2025, 12, 1), D(2025, 12, 12), {"icpc_not_required": True, "team": S}),
    ]),
    # unborn: S47 to ICPC in 5 working days; the plan (linked by its date, the
    # conference says nothing) is a repeat by its count and ends on the last day.
    "R": ((None, D(2026, 5, 1), "WBRI"), [
        ("referral", D(2026, 2, 2), None, {"source": "6", "team": N}),
        ("s47", D(2026, 2, 2), D(2026, 2, 9), {"team": N}),
        ("icpc", D(2026, 2, 9), None, {"team": N}),
        ("cp_plan", D(2026, 2, 9), D(2026, 3, 31), {"previous_plans": 2, "team": N}),
    ]),
    # CP plans ending in the period: T after 2 years 3 months, U a day short of two
    # years, V exactly two years.
    "T": ((D(2012, 1, 1), None, "WBRI"), [("cp_plan", D(2023, 3, 15), D(2025, 6, 30), {})]),
    "U": ((D(2012, 1, 1), None, "WBRI"), [("cp_plan", D(2024, 1, 10), D(2026, 1, 9), {})]),
    "V": ((D(2012, 1, 1), None, "WBRI"), [("cp_plan", D(2023, 5, 1), D(2025, 5, 1), {})]),
    # looked after: W open at the end (worker W4); X ends on the last day; Y starts after.
    "W": ((D(2012, 1, 1), None, "WBRI"), [
        ("lac", D(2025, 1, 1), None, {"team": S, "worker": "W4"}),
    ]),
    "X": ((D(2012, 1, 1), None, "WBRI"), [("lac", D(2024, 5, 1), D(2026, 3, 31), {})]),
    "Y": ((D(2012, 1, 1), None, "WBRI"), [("lac", D(2026, 4, 1), None, {})]),
    # an episode of need open at the end (worker W4).
    "Z": ((D(2012, 1, 1), None, "WBRI"), [
        ("cin_episode", D(2025, 3, 1), None, {"team": S, "worker": "W4"}),
    ]),
}  # fmt: skip


def load(app, cohort: dict[str, tuple]) -> None:
    with session_scope(app) as session:
        session.add(Team(name=N, locality="Northside"))
        session.add(Team(name=S, locality="Southside"))
        for ref, ((dob, expected, ethnicity), events) in cohort.items():
            child = Child(child_ref=ref, dob=dob, expected_dob=expected, ethnicity=ethnicity)
            session.add(child)
            session.flush()
            seen: dict[tuple, int] = {}
            for kind, start, end, attrs in events:
                occurrence = seen.get((kind, start), 0)
                seen[(kind, start)] = occurrence + 1
                session.add(
                    Event(child_id=child.id, kind=kind, start_date=start, end_date=end,
                          occurrence=occurrence, **attrs)
                )  # fmt: skip
        session.commit()


@pytest.fixture
def indicators(app):
    load(app, COHORT)
    with session_scope(app) as session:
        return compute_indicators(
            session=session, start=START, end=END, population_under_18=10000
        )


def figures(found: dict, key: str) -> tuple:
    return found[key]["value"], found[key]["numerator"], found[key]["denominator"]


class TestFrontDoor:
    def test_contacts_and_their_conversion(self, indicators):
        # A, B, J, L, M; converted: A and B (same day), M (referral two days after
        # the period); J led nowhere and L's contact was 31 days before its referral.
        assert figures(indicators, "contacts") == (5, 5, None)
        assert figures(indicators, "contact_referral_conversion") == (60.0, 3, 5)

    def test_referrals_and_rate_per_10000(self, indicators):
        # 15 in the year (B's, C's and D's earlier ones and M's later one are outside it).
        assert figures(indicators, "referrals") == (15, 15, None)
        assert figures(indicators, "referral_rate_per_10000") == (15.0, 15, 10000)

    def test_nfa_rate(self, indicators):
        assert figures(indicators, "nfa_rate") == (13.3, 2, 15)  # B and L

    def test_referrals_by_source(self, indicators):
        sources = indicators["referrals_by_source"]["sources"]
        assert sources["6: Police"]["referrals"] == 10
        assert sources["6: Police"]["nfa_rate"] == 0.0
        assert sources["2A: Schools"] == {
            "code": "2A", "referrals": 1, "share": 6.7, "nfa": 1, "nfa_rate": 100.0,
            "high_nfa": False,  # one referral is too few to call a source's rate high
        }  # fmt: skip
        assert sources["8: Other"]["nfa"] == 1
        assert sum(s["referrals"] for s in sources.values()) == 15

    def test_rereferrals_need_a_previous_referral_within_12_months(self, indicators):
        # B (2024-06-10 before 2025-05-01), D (exactly 12 months), E (by the count);
        # not C, whose previous referral was 12 months and a day before.
        assert figures(indicators, "rereferral_rate") == (20.0, 3, 15)

    def test_referrals_leading_to_cin(self, indicators):
        assert figures(indicators, "referrals_to_cin_rate") == (13.3, 2, 15)  # A and F


class TestAssessments:
    def test_completed_in_the_period_in_dfe_bands(self, indicators):
        # A 40 working days, D the same day, F 47 (over Christmas and New Year).
        assert figures(indicators, "assessments_completed") == (3, 3, None)
        bands = {b["band"]: b["count"] for b in indicators["assessment_duration_bands"]["bands"]}
        assert bands == {
            "Same day": 1, "1–10": 0, "11–20": 0, "21–30": 0, "31–40": 1, "41–45": 0,
            "46–50": 1, "51–60": 0, "61+": 0,
        }  # fmt: skip
        start_bands = indicators["assessment_duration_bands"]["bands_from_start"]
        assert [b["count"] for b in start_bands if b["count"]] == [1, 2]  # 0; 37 and 39

    def test_within_45_from_the_referral_against_england(self, indicators):
        found = indicators["assessments_within_45_rate"]
        assert figures(indicators, "assessments_within_45_rate") == (66.7, 2, 3)
        assert found["measure"] == "referral to authorisation"
        assert found["england"]["value"] == 85.7 and found["england"]["kind"] == "derived"

    def test_within_45_from_the_start_beside_it(self, indicators):
        assert figures(indicators, "assessment_start_within_45_rate") == (100.0, 3, 3)
        assert "england" not in indicators["assessment_start_within_45_rate"]

    def test_median(self, indicators):
        found = indicators["median_assessment_duration"]
        assert (found["value"], found["denominator"]) == (40, 3)
        assert found["england"]["value"] == 33 and found["england"]["low"] == 17

    def test_open_assessment_is_overdue_only_past_45_working_days(self, indicators):
        # G (51) and I (46, authorised after the period) are overdue; H (45) is not.
        assert figures(indicators, "open_assessments_over_45") == (66.7, 2, 3)


class TestProtection:
    def test_s47_to_icpc(self, indicators):
        assert figures(indicators, "s47_enquiries") == (5, 5, None)  # N, O, P, Q, R
        assert figures(indicators, "s47_icpc_conversion") == (80.0, 4, 5)  # all but Q

    def test_icpc_before_its_s47_is_left_out_of_the_timing(self, indicators):
        found = indicators["icpc_timing_bands"]
        assert figures(indicators, "icpcs") == (4, 4, None)
        assert {b["band"]: b["count"] for b in found["bands"]} == {
            "0–10": 1, "11–15": 1, "16–20": 1, "21+": 0,  # R 5, N 15, O 16; P left out
        }  # fmt: skip
        assert (found["before_s47"], found["no_s47"]) == (1, 0)
        assert figures(indicators, "icpc_within_15_rate") == (66.7, 2, 3)

    def test_icpc_to_cp_plan(self, indicators):
        # N and P say so; R's plan starts on the conference's day; O had none.
        assert figures(indicators, "icpc_cp_plan_rate") == (75.0, 3, 4)

    def test_repeat_plans(self, indicators):
        assert figures(indicators, "cp_plans_started") == (3, 3, None)  # N, P, R
        assert figures(indicators, "repeat_cp_rate") == (66.7, 2, 3)  # P (data), R (count)

    def test_plans_ended_that_lasted_two_years(self, indicators):
        # T and V (exactly two years); not U (a day short) nor R.
        assert figures(indicators, "cp_plans_ended_two_years_rate") == (50.0, 2, 4)


class TestProtectionAtTheEdge:
    def test_a_conference_after_the_period_belongs_to_the_enquiry_just_before_it(self, app):
        # The March enquiry had no conference; May's conference concludes April's enquiry.
        load(app, {"SX": ((D(2015, 1, 1), None, "WBRI"), [
            ("s47", D(2026, 3, 20), D(2026, 3, 30), {"icpc_not_required": True}),
            ("s47", D(2026, 4, 20), D(2026, 5, 5), {}),
            ("icpc", D(2026, 5, 5), None, {"plan_resulted": False}),
        ])})  # fmt: skip
        with session_scope(app) as session:
            found = compute_indicators(session=session, start=START, end=END)
        assert figures(found, "s47_icpc_conversion") == (0.0, 0, 1)


class TestAtTheEnd:
    def test_children_in_need_cp_and_looked_after(self, indicators):
        # CIN: A, G, H, I, N, P, W, Z.  CP: N, P (R's plan ended that day).  LAC: W.
        assert figures(indicators, "cin_at_end") == (8, 8, None)
        assert figures(indicators, "cp_at_end") == (2, 2, None)
        assert figures(indicators, "lac_at_end") == (1, 1, None)
        assert figures(indicators, "cin_rate_per_10000") == (8.0, 8, 10000)
        assert indicators["cp_at_end"]["rate_per_10000"] == 2.0
        lac = indicators["lac_rate_per_10000"]
        assert lac["value"] == 1.0 and lac["england"]["value"] == 67

    def test_caseloads_per_worker_and_team(self, indicators):
        found = indicators["caseloads"]
        assert figures(indicators, "caseloads") == (2.0, 8, 4)
        assert found["workers"][0] == {"worker": "W1", "team": N, "children": 3}  # A, N, P
        teams = {t["team"]: (t["locality"], t["children"], t["workers"], t["per_worker"])
                 for t in found["teams"]}  # fmt: skip
        assert teams == {N: ("Northside", 5, 2, 2.5), S: ("Southside", 3, 2, 1.5)}


class TestAllocation:
    def test_a_child_counts_for_the_latest_worker_with_that_workers_team(self, app):
        cohort = {
            # an episode with W4 in the South team, then a plan with no worker recorded.
            "AA": ((D(2015, 1, 1), None, "WBRI"), [
                ("cin_episode", D(2025, 6, 1), None, {"team": S, "worker": "W4"}),
                ("cp_plan", D(2025, 9, 1), None, {"team": N}),
            ]),
            # no worker anywhere: not allocated, grouped under the latest team named.
            "AB": ((D(2015, 1, 1), None, "WBRI"), [
                ("cin_episode", D(2025, 6, 1), None, {"team": S}),
                ("cin_plan", D(2025, 7, 1), None, {"team": N}),
            ]),
        }  # fmt: skip
        load(app, cohort)
        with session_scope(app) as session:
            found = compute_indicators(session=session, start=START, end=END, group_by="team")
        assert found["caseloads"]["workers"] == [{"worker": "W4", "team": S, "children": 1}]
        assert found["caseloads"]["unallocated"] == 1
        assert {g: v["value"] for g, v in found["cin_at_end"]["groups"].items()} == {N: 1, S: 1}


class TestShape:
    def test_every_indicator_has_value_n_and_label(self, indicators):
        for key, found in indicators.items():
            assert {"value", "numerator", "denominator", "label"} <= set(found), key

    def test_england_where_shipped(self, indicators):
        shipped = national_comparators()
        assert set(shipped) <= set(indicators)
        for key, england in shipped.items():
            assert indicators[key]["england"] == england
            assert england["source"].startswith("DfE") and england["year"] == "2024-25"

    def test_rates_need_a_population(self, app):
        load(app, COHORT)
        with session_scope(app) as session:
            found = compute_indicators(session=session, start=START, end=END)
        assert found["referral_rate_per_10000"]["value"] is None
        assert found["cin_at_end"]["rate_per_10000"] is None

    def test_bad_arguments(self, app):
        with session_scope(app) as session, pytest.raises(ValueError, match="before it starts"):
            compute_indicators(session=session, start=END, end=START)
        with session_scope(app) as session, pytest.raises(ValueError, match="cannot group"):
            compute_indicators(session=session, start=START, end=END, group_by="child")


class TestDrillDown:
    def groups(self, app, by: str, key: str) -> dict:
        load(app, COHORT)
        with session_scope(app) as session:
            found = compute_indicators(session=session, start=START, end=END, group_by=by)
        return {g: v["numerator"] for g, v in found[key]["groups"].items()}

    def test_by_team(self, app):
        assert self.groups(app, "team", "referrals") == {N: 8, S: 7}

    def test_by_locality_from_the_team_table(self, app):
        assert self.groups(app, "locality", "nfa_rate") == {"Northside": 0, "Southside": 2}

    def test_by_ethnicity(self, app):
        assert self.groups(app, "ethnicity", "referrals") == {
            "Asian or Asian British": 1, "Black or Black British": 1, "Mixed or multiple": 1,
            "White": 12,
        }  # fmt: skip

    def test_by_age_band_at_the_referral(self, app):
        assert self.groups(app, "age_band", "referrals") == {
            "1–4": 1, "10–15": 11, "16–17": 1, "5–9": 1, "Unborn": 1,
        }  # fmt: skip

    def test_contacts_without_a_team_are_not_recorded(self, app):
        assert self.groups(app, "team", "contacts") == {"Not recorded": 5}


class TestDrillDownTables:
    """The band, source and caseload tables by group, and the too-few-to-compare rule."""

    @pytest.fixture
    def by_team(self, app):
        load(app, COHORT)
        with session_scope(app) as session:
            return compute_indicators(
                session=session, start=START, end=END, population_under_18=10000, group_by="team"
            )

    def test_assessment_bands_by_team(self, by_team):
        # North: A 40 working days from the referral, D the same day; South: F 47.
        groups = by_team["assessment_duration_bands"]["groups"]
        counts = {g: {b["band"]: b["count"] for b in v["bands"] if b["count"]}
                  for g, v in groups.items()}  # fmt: skip
        assert counts == {N: {"Same day": 1, "31–40": 1}, S: {"46–50": 1}}
        assert {g: (v["denominator"], v["too_few"]) for g, v in groups.items()} == {
            N: (2, True), S: (1, True),
        }  # fmt: skip

    def test_icpc_bands_by_team(self, by_team):
        # North: R 5 and N 15 working days (P, before its S47, left out); South: O 16.
        groups = by_team["icpc_timing_bands"]["groups"]
        counts = {g: {b["band"]: b["count"] for b in v["bands"] if b["count"]}
                  for g, v in groups.items()}  # fmt: skip
        assert counts == {N: {"0–10": 1, "11–15": 1}, S: {"16–20": 1}}

    def test_sources_by_team(self, by_team):
        # North: A, C, D, G, H, N, R by the police, P by LA services.  South: I, O, Q
        # by the police, E and F by health, B by a school (NFA), L other (NFA).
        groups = by_team["referrals_by_source"]["groups"]
        north, south = groups[N]["sources"], groups[S]["sources"]
        assert {s: v["referrals"] for s, v in north.items()} == {
            "6: Police": 7, "5A: LA services": 1,
        }  # fmt: skip
        assert {s: (v["referrals"], v["nfa"]) for s, v in south.items()} == {
            "6: Police": (3, 0), "3A: Health services": (2, 0), "2A: Schools": (1, 1),
            "8: Other": (1, 1),
        }  # fmt: skip
        assert (north["6: Police"]["nfa_rate"], north["6: Police"]["too_few"]) == (0.0, False)
        assert south["6: Police"]["too_few"] is True  # 3 referrals: no rate to rank

    def test_a_rate_over_fewer_than_five_is_too_few_to_compare(self, by_team):
        groups = by_team["assessments_within_45_rate"]["groups"]
        assert groups[N] == {"value": 100.0, "numerator": 2, "denominator": 2,
                                  "too_few": True}  # A and D  # fmt: skip
        referrals_nfa = by_team["nfa_rate"]["groups"]  # North 0 of 8, South 2 of 7
        assert [(v["numerator"], v["denominator"], v["too_few"]) for v in
                referrals_nfa.values()] == [(0, 8, False), (2, 7, False)]  # fmt: skip

    def test_rates_per_10000_have_no_group_population(self, by_team):
        groups = by_team["referral_rate_per_10000"]["groups"]
        assert groups[N] == {"value": None, "numerator": 8, "denominator": None,
                             "reason": "no population figure for this group"}  # fmt: skip
        assert by_team["cin_rate_per_10000"]["groups"][S]["reason"]

    def test_caseloads_by_team_and_locality_not_age(self, app, by_team):
        # North: A, N, P with W1, G and H with W3; South: I with W2, W and Z with W4.
        groups = by_team["caseloads"]["groups"]
        assert {g: (v["numerator"], v["denominator"], v["value"], v["too_few"])
                for g, v in groups.items()} == {N: (5, 2, 2.5, True), S: (3, 2, 1.5, True)}
        with session_scope(app) as session:
            by_place = compute_indicators(session=session, start=START, end=END,
                                          group_by="locality")  # fmt: skip
            by_age = compute_indicators(session=session, start=START, end=END,
                                        group_by="age_band")  # fmt: skip
        assert set(by_place["caseloads"]["groups"]) == {"Northside", "Southside"}
        assert "groups" not in by_age["caseloads"]
        assert "no caseload per age band" in by_age["caseloads"]["groups_note"]

    def test_the_page_by_team(self, app, make_user, auth, client):
        load(app, COHORT)
        auth.login(make_user("a-viewer", "viewer"))
        url = "/reports/indicators?from=2025-04-01&to=2026-03-31&by=team"
        for headers in ({}, {"HX-Request": "true"}):  # without JS, and as the htmx swap
            html = client.get(url, headers=headers).text
            html = html[html.index('<div id="indicators-groups"'):]  # the drill-down
            bands = html[html.index('id="indicators-groups-assessment-bands"'):]
            bands = bands[: bands.index("</table>")]
            assert "Same day" in bands and "too few to compare" in bands
            assert "50.0%" not in bands  # North's 1 of 2: no share on a group of two
            row = html[html.index("Assessments within 45 working days of the referral"):]
            row = row[: row.index("</tr>")]
            assert "too few to compare" in row and "2 of 2" in row and "100.0%" not in row
            nfa = html[html.index(">Referrals resulting in no further action<"):]
            nfa = nfa[: nfa.index("</tr>")]
            assert "0.0%" in nfa and "28.6%" in nfa  # 8 and 7 referrals: compared
            assert "no population figure for this group" in html
            assert 'id="indicators-groups-sources"' in html
            assert 'id="indicators-groups-caseloads"' in html
        by_age = client.get(url.replace("team", "age_band"), headers={"HX-Request": "true"})
        assert "no caseload per age band" in by_age.text


class TestTrend:
    def test_quarters_ending_31_march(self):
        assert quarter_periods(END) == [
            (D(2025, 4, 1), D(2025, 6, 30)), (D(2025, 7, 1), D(2025, 9, 30)),
            (D(2025, 10, 1), D(2025, 12, 31)), (D(2026, 1, 1), D(2026, 3, 31)),
        ]  # fmt: skip

    def test_referrals_by_quarter(self, app):
        load(app, COHORT)
        with session_scope(app) as session:
            trend = indicator_trend(session=session, end=END)
        assert [q["label"] for q in trend] == [
            "Apr–Jun 2025", "Jul–Sep 2025", "Oct–Dec 2025", "Jan–Mar 2026",
        ]  # fmt: skip
        assert [q["indicators"]["referrals"]["value"] for q in trend] == [2, 1, 8, 4]


    @pytest.mark.parametrize("synthetic", [False, True])
    def test_each_quarter_as_compute_indicators_gives_it(self, app, synthetic):
        """The trend reads the events once; each quarter's figures are still the period's own."""
        if synthetic:
            from audit_app.seeding import load_cases, load_teams
            from seed_cases.generator import generate

            authority = generate(600, 5)
            load_teams(authority.teams, engine=app.extensions["frontdoor_engine"])
            load_cases(authority.iter_cases(), engine=app.extensions["frontdoor_engine"])
            end = D(2026, 9, 30)
        else:
            load(app, COHORT)
            end = END
        with session_scope(app) as session:
            trend = indicator_trend(session=session, end=end, population_under_18=5000)
            for quarter in trend:
                alone = compute_indicators(
                    session=session, start=quarter["start"], end=quarter["end"],
                    population_under_18=5000,
                )  # fmt: skip
                assert quarter["indicators"] == alone, quarter["label"]
        assert sum(q["indicators"]["referrals"]["value"] for q in trend) > 0


    @pytest.mark.parametrize(
        "start,end",
        [(D(2025, 10, 1), D(2026, 9, 30)), (D(2025, 12, 3), D(2026, 12, 2)),
         (D(2026, 7, 1), D(2026, 9, 30)), (D(2024, 4, 1), D(2026, 9, 30))],
    )  # fmt: skip
    def test_the_year_and_its_quarters_at_once(self, app, start, end):
        """One read for both gives what the two calls give, whichever starts first."""
        from audit_app.reports.indicators import indicators_and_trend
        from audit_app.seeding import load_cases, load_teams
        from seed_cases.generator import generate

        authority = generate(600, 5)
        load_teams(authority.teams, engine=app.extensions["frontdoor_engine"])
        load_cases(authority.iter_cases(), engine=app.extensions["frontdoor_engine"])
        with session_scope(app) as session:
            found, trend = indicators_and_trend(
                session=session, start=start, end=end, population_under_18=5000
            )
            assert found == compute_indicators(
                session=session, start=start, end=end, population_under_18=5000
            )
            assert trend == indicator_trend(session=session, end=end, population_under_18=5000)
        assert found["referrals"]["value"] > 0


class TestHighNfa:
    def test_a_source_with_many_nfa_referrals_is_flagged(self, app):
        cohort = {
            f"K{i}": ((D(2012, 1, 1), None, "WBRI"), [
                ("referral", D(2025, 5, 1 + i), None,
                 {"source": "9" if i < 12 else "6", "nfa": i < 4}),
            ])
            for i in range(24)
        }  # fmt: skip
        load(app, cohort)
        with session_scope(app) as session:
            found = compute_indicators(session=session, start=START, end=END)
        # 4 of 24 overall (16.7%); anonymous 4 of 12 (33.3%, over 1.5 times); police 0 of 12.
        sources = found["referrals_by_source"]["sources"]
        assert sources["9: Anonymous"]["high_nfa"] is True
        assert sources["6: Police"]["high_nfa"] is False
        assert figures(found, "referrals_by_source") == (1, 1, 2)

    def test_the_rule(self):
        assert is_high_nfa(3, 20, 6.5)  # 15% against 6.5%
        assert not is_high_nfa(1, 20, 6.5)
        assert not is_high_nfa(9, 9, 6.5)  # too few referrals to judge


class TestArithmetic:
    def test_working_day_index_matches_journeys(self):
        from audit_app.calendar import bank_holidays

        holidays = bank_holidays()
        first, last = D(2025, 12, 1), D(2026, 5, 31)
        wd = WorkingDayIndex(first, last, holidays)
        days = [D.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1, 3)]
        for a in days[::4]:
            for b in days:
                assert wd.between(a.toordinal(), b.toordinal()) == working_days_between(
                    a, b, holidays
                ), (a, b)

    def test_bands_cover_every_day_once(self):
        assert [band_of(d, ASSESSMENT_BANDS) for d in (0, 1, 10, 11, 45, 46, 60, 61, 400)] == [
            "Same day", "1–10", "1–10", "11–20", "41–45", "46–50", "51–60", "61+", "61+",
        ]  # fmt: skip

    def test_exclusive_link_takes_the_next_unused_cause(self):
        rule = next(r for r in DEFAULT_LINK_RULES if r.name == "contact_to_referral")
        d = D(2025, 8, 4).toordinal()
        # two contacts, three referrals: the third finds both contacts already used.
        links = link_latest(rule, {7: ([d, d + 1], [1, 2])},
                            [(7, d + 2, 10), (7, d + 3, 11), (7, d + 4, 12)])  # fmt: skip
        assert links == {10: (2, False), 11: (1, False)}


class TestPage:
    URL = "/reports/indicators?from=2025-04-01&to=2026-03-31"

    def sign_in(self, app, make_user, auth, role="viewer"):
        load(app, COHORT)
        app.config["UNDER_18_POPULATION"] = 10000
        auth.login(make_user(f"someone-{role}", role))

    def test_each_indicator_beside_england_with_n(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth)
        page = client.get(self.URL)
        assert page.status_code == 200
        html = page.text
        row = html[html.index('id="indicator-rereferral-rate"'):]
        row = row[: row.index("</tr>")]
        assert "20.0%" in row and "3 of 15" in row
        assert "22.6%" in row and "2024-25, published" in row
        assert "from the referral to authorisation" in html and "85.7%" in html
        # no child's identifier anywhere on the page
        for ref in COHORT:
            assert f">{ref}<" not in html

    def test_quarterly_trend_and_sparklines(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth)
        html = client.get(self.URL).text
        trend = html[html.index('id="indicators-trend"'):]
        trend = trend[: trend.index("</table>")]
        assert "Apr–Jun 2025" in trend and "Jan–Mar 2026" in trend
        assert "<polyline" in trend

    def test_drill_down_full_page_and_htmx_partial(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth)
        full = client.get(self.URL + "&by=locality")
        assert full.status_code == 200
        assert "Northside" in full.text and 'id="indicators-trend"' in full.text
        partial = client.get(self.URL + "&by=locality", headers={"HX-Request": "true"})
        assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
        assert partial.text.lstrip().startswith('<div id="indicators-groups"')
        assert "Southside" in partial.text and "indicators-trend" not in partial.text

    def test_bad_dates_are_named_with_their_value(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth)
        page = client.get("/reports/indicators?from=2025-13-01&to=2026-03-31")
        assert page.status_code == 400
        assert "There is a problem" in page.text
        assert "Period start must be a date like 2025-04-01, not ‘2025-13-01’" in page.text
        backwards = client.get("/reports/indicators?from=2026-04-01&to=2026-03-31&by=child")
        assert backwards.status_code == 400
        assert "is before the period start" in backwards.text and "not ‘child’" in backwards.text

    def test_a_bad_drill_down_in_an_htmx_swap_says_why(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth)
        swap = client.get(self.URL + "&by=postcode", headers={"HX-Request": "true"})
        assert swap.status_code == 400
        assert swap.text.lstrip().startswith('<div id="indicators-groups"')
        assert "not ‘postcode’" in swap.text

    def test_default_period_is_the_year_to_the_latest_event(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth)
        html = client.get("/reports/indicators").text
        # the latest event is M's referral on 2 April 2026
        assert 'value="2025-04-03"' in html and 'value="2026-04-02"' in html

    def test_auditors_may_not_see_it(self, app, make_user, auth, client):
        self.sign_in(app, make_user, auth, role="auditor")
        assert client.get(self.URL).status_code == 403


class TestAgainstPandas:
    def test_a_synthetic_authority_gives_identical_numbers(self, app, tmp_path):
        """The app's set-wise figures against a plain pandas reading of the CSV export."""
        pytest.importorskip("pandas")
        from audit_app.calendar import bank_holidays
        from audit_app.seeding import load_cases, load_teams
        from bench.pandas_reference import COMPARED, compare, reference_indicators
        from seed_cases.csv_format import write_csv
        from seed_cases.generator import generate

        authority = generate(1000, 4)
        write_csv(authority, tmp_path)
        engine = app.extensions["frontdoor_engine"]
        load_teams(authority.teams, engine=engine)
        load_cases(authority.iter_cases(), engine=engine)
        start, end = D(2025, 10, 1), D(2026, 9, 30)
        with session_scope(app) as session:
            mine = compute_indicators(
                session=session, start=start, end=end, population_under_18=30000
            )
        theirs = reference_indicators(
            tmp_path, start, end, population=30000, holidays=bank_holidays()
        )
        assert compare(mine, theirs) == []
        assert mine["referrals"]["value"] > 100 and len(COMPARED) == 24


class TestSparkline:
    def test_points_run_oldest_to_newest_and_skip_unknown_quarters(self):
        from audit_app.reports.indicator_views import sparkline

        assert sparkline([None, 2, 4, 3]) == "33.3,22.0 66.7,2.0 100.0,12.0"  # low at the bottom
        assert sparkline([5, 5, 5, 5]).endswith("100.0,12.0")  # level: across the middle
        assert sparkline([None, None, None, 7]) is None  # one point is no trend


class TestLinksAsJourneys:
    def test_link_latest_makes_the_journey_graphs_links(self):
        """Set-wise linking gives exactly the "led to" edges of each child's journey graph."""
        from journeys import build_journey
        from seed_cases.generator import generate

        authority = generate(400, 7)
        rules = {r.name: r for r in DEFAULT_LINK_RULES}
        pairs = {
            "contact_to_referral": ("contact", "referral"),
            "referral_to_assessment": ("referral", "assessment"),
            "s47_to_icpc": ("s47", "icpc"),
            "icpc_to_cp_plan": ("icpc", "cp_plan"),
        }
        expected: dict[str, set] = {name: set() for name in pairs}
        rows: dict[str, list] = {kind: [] for pair in pairs.values() for kind in pair}
        for n, case in enumerate(authority.iter_cases()):
            G = build_journey(case.events, as_of=authority.end, holidays=authority.bank_holidays)
            for cause, target, rule in G.edges(data="rule"):
                if rule in expected:
                    expected[rule].add(((n, cause), (n, target)))
            for event in case.events:
                if event.kind in rows:
                    key = f"{event.kind}:{event.start.isoformat()}:{event.occurrence}"
                    rows[event.kind].append((n, event.start.toordinal(), event.occurrence, key))
        for name, (cause_kind, target_kind) in pairs.items():
            causes: dict[int, tuple[list, list]] = {}
            for n, day, _, key in sorted(rows[cause_kind], key=lambda r: (r[1], r[2])):
                causes.setdefault(n, ([], []))[0].append(day)
                causes[n][1].append((n, key))
            targets = [(n, day, (n, key)) for n, day, _, key in
                       sorted(rows[target_kind], key=lambda r: (r[1], r[2]))]  # fmt: skip
            found = {(cause, target) for target, (cause, _) in
                     link_latest(rules[name], causes, targets).items()}  # fmt: skip
            assert found == expected[name], name
            assert found, name


def test_a_median_in_working_days_is_written_alike_whole_or_half():
    from audit_app.reports.indicator_views import shown

    assert [shown(v, "working days") for v in (35, 32.0, 32.5)] == ["35.0", "32.0", "32.5"]
    assert shown(1234, None) == "1,234" and shown(None, "working days") == "—"
