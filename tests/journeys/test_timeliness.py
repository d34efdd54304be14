"""check_timeliness: each rule on dated examples, open and overdue at a reference date."""

import pytest

from journeys import JourneyError, TimelinessRule, check_timeliness

from .helpers import d, ev, journey, key


def results(G, rule, **kwargs):
    return [
        (t.status, t.working_days, t.over_by)
        for t in check_timeliness(G, **kwargs)
        if t.rule == rule
    ]


class TestCheckTimeliness:
    def test_referral_decision_within_one_working_day_over_christmas_2026(self):
        G = journey(ev("referral", "2026-12-24", decision_date="2026-12-29"))
        assert results(G, "referral_decision") == [("met", 1, 0)]

    def test_referral_decision_late(self):
        G = journey(ev("referral", "2026-12-24", decision_date=d("2026-12-30")))
        assert results(G, "referral_decision") == [("breached", 2, 1)]

    def test_no_decision_date_is_skipped_silently(self):
        G = journey(ev("referral", "2026-12-24"))
        assert results(G, "referral_decision") == []

    def test_contact_to_referral_across_easter_2022(self):
        G = journey(ev("contact", "2022-04-14"), ev("referral", "2022-04-19"))
        assert results(G, "contact_to_referral") == [("met", 1, 0)]

    def test_the_local_contact_timescale_is_configurable(self):
        rule = TimelinessRule(
            "contact_to_referral", "Contact to referral", "contact", "referral", 0
        )
        G = journey(ev("contact", "2022-04-14"), ev("referral", "2022-04-19"))
        [check] = check_timeliness(G, rules=(rule,))
        assert (check.status, check.over_by) == ("breached", 1)

    @pytest.mark.parametrize(
        ("authorised", "expected"), [("2022-06-09", "met"), ("2022-06-10", "breached")]
    )
    def test_referral_to_assessment_45_working_days_across_easter_and_jubilee(
        self, authorised, expected
    ):
        G = journey(ev("referral", "2022-04-01"), ev("assessment", "2022-04-04", authorised))
        [(status, _, _)] = results(G, "referral_to_assessment")
        assert status == expected

    def test_assessment_duration_is_reported_beside_it(self):
        G = journey(ev("referral", "2022-04-01"), ev("assessment", "2022-04-04", "2022-06-10"))
        assert results(G, "assessment_duration") == [("met", 45, 0)]

    def test_an_open_assessment_is_overdue_at_the_reference_date_by_so_much(self):
        G = journey(ev("referral", "2022-04-01"), ev("assessment", "2022-04-01"))
        assert results(G, "assessment_duration", as_of=d("2022-06-13")) == [("overdue", 47, 2)]
        assert results(G, "assessment_duration", as_of=d("2022-06-09")) == [("open", 45, 0)]
        [check] = [t for t in check_timeliness(G) if t.rule == "assessment_duration"]
        assert (check.status, check.end, check.working_days) == ("open", None, None)

    def test_s47_to_icpc_across_the_state_funeral(self):
        # Thu 1 Sep 2022: the 15th working day is Fri 23 Sep, Mon 19 Sep being a holiday.
        met = journey(ev("s47", "2022-09-01", "2022-09-10"), ev("icpc", "2022-09-23"))
        late = journey(ev("s47", "2022-09-01", "2022-09-10"), ev("icpc", "2022-09-26"))
        assert results(met, "s47_to_icpc") == [("met", 15, 0)]
        assert results(late, "s47_to_icpc") == [("breached", 16, 1)]

    def test_a_late_icpc_is_marked_on_its_node_and_link(self):
        G = journey(ev("s47", "2022-09-01", "2022-09-10"), ev("icpc", "2022-09-26"))
        assert "late:s47_to_icpc" in G.nodes[key("icpc", "2022-09-26")]["flags"]
        assert (
            "late:s47_to_icpc"
            in G.edges[key("s47", "2022-09-01"), key("icpc", "2022-09-26")]["flags"]
        )

    def test_an_s47_still_waiting_for_its_icpc_goes_overdue(self):
        G = journey(ev("s47", "2022-09-01"), as_of=d("2022-09-26"))
        assert results(G, "s47_to_icpc", as_of=d("2022-09-26")) == [("overdue", 16, 1)]
        assert "overdue:s47_to_icpc" in G.nodes[key("s47", "2022-09-01")]["flags"]

    def test_an_s47_needing_no_icpc_is_not_waiting(self):
        G = journey(ev("s47", "2022-09-01", "2022-09-05", icpc_not_required=True))
        assert results(G, "s47_to_icpc", as_of=d("2022-12-01")) == []

    @pytest.mark.parametrize(
        ("review", "expected"), [("2025-04-06", "met"), ("2025-04-07", "breached")]
    )
    def test_first_cp_review_within_three_months_of_the_icpc(self, review, expected):
        G = journey(ev("icpc", "2025-01-06"), ev("cp_plan", "2025-01-06", reviews=review))
        [check] = [t for t in check_timeliness(G) if t.rule == "cp_first_review"]
        assert (check.status, check.due) == (expected, d("2025-04-06"))

    def test_later_reviews_within_six_months_of_the_previous(self):
        G = journey(
            ev("icpc", "2025-01-06"),
            ev("cp_plan", "2025-01-06", "2025-10-20", reviews="2025-04-01,2025-10-02"),
        )
        [check] = [t for t in check_timeliness(G) if t.rule == "cp_review_interval"]
        assert (check.status, check.start, check.over_by) == ("breached", d("2025-04-01"), 1)

    def test_annex_a_latest_review_sets_when_the_next_is_due(self):
        G = journey(
            ev("icpc", "2025-01-06"), ev("cp_plan", "2025-01-06", latest_review="2025-09-01")
        )
        checks = check_timeliness(G, as_of=d("2026-03-02"))
        assert [(t.rule, t.status, t.due) for t in checks] == [
            ("cp_review_interval", "overdue", d("2026-03-01"))
        ]

    def test_a_plan_with_no_review_goes_overdue(self):
        G = journey(ev("icpc", "2025-01-06"), ev("cp_plan", "2025-01-06"))
        [check] = check_timeliness(G, as_of=d("2025-04-08"))
        assert (check.rule, check.status, check.over_by) == ("cp_first_review", "overdue", 2)

    def test_a_bad_rule_is_refused(self):
        with pytest.raises(JourneyError):
            TimelinessRule("x", "x", "referral", None, 45, unit="fortnights")
