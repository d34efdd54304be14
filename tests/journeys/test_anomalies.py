"""detect_anomalies: each anomaly on a tiny journey, and the List 6 beside a CP plan case."""

from journeys import ANOMALY_CODES, detect_anomalies

from .helpers import ev, journey, key


def codes(G):
    return [(a.code, a.node) for a in detect_anomalies(G)]


class TestDetectAnomalies:
    def test_a_clean_journey_has_none(self):
        G = journey(
            ev("contact", "2025-03-03"),
            ev("referral", "2025-03-04"),
            ev("assessment", "2025-03-04", "2025-03-20"),
            ev("s47", "2025-03-10", "2025-03-14"),
            ev("icpc", "2025-03-24"),
            ev("cp_plan", "2025-03-24", "2025-09-30", reviews="2025-06-16"),
        )
        assert codes(G) == []

    def test_icpc_without_s47(self):
        G = journey(ev("icpc", "2025-03-24"))
        assert codes(G) == [("icpc_without_s47", key("icpc", "2025-03-24"))]

    def test_cp_plan_without_icpc(self):
        G = journey(ev("s47", "2025-03-04", "2025-03-10"), ev("cp_plan", "2025-03-24"))
        assert ("cp_plan_without_icpc", key("cp_plan", "2025-03-24")) in codes(G)

    def test_assessment_before_its_referral(self):
        G = journey(ev("assessment", "2025-03-03", "2025-03-10"), ev("referral", "2025-03-05"))
        [anomaly] = detect_anomalies(G)
        assert anomaly.code == "assessment_before_referral"
        assert anomaly.edge == (key("referral", "2025-03-05"), key("assessment", "2025-03-03"))
        assert "before the referral it is linked to (05 Mar 2025)" in anomaly.message

    def test_icpc_dated_before_its_s47(self):
        G = journey(ev("icpc", "2025-03-03"), ev("s47", "2025-03-05", "2025-03-06"))
        assert codes(G) == [("icpc_before_s47", key("icpc", "2025-03-03"))]

    def test_overlapping_cin_and_cp_plans(self):
        G = journey(ev("cin_plan", "2025-01-06", "2025-06-30"), ev("cp_plan", "2025-03-24"))
        assert ("cin_cp_overlap", key("cp_plan", "2025-03-24")) in codes(G)

    def test_plans_that_meet_do_not_overlap(self):
        G = journey(ev("cp_plan", "2025-01-06", "2025-06-30"), ev("cin_plan", "2025-06-30"))
        assert "cin_cp_overlap" not in [c for c, _ in codes(G)]

    def test_an_annex_a_episode_of_need_beside_a_cp_plan_is_not_an_overlap(self):
        G = journey(
            ev("referral", "2025-01-06"),
            ev("cin_episode", "2025-01-06", primary_need="N1"),
            ev("s47", "2025-01-07", "2025-01-20"),
            ev("icpc", "2025-01-27"),
            ev("cp_plan", "2025-01-27"),
        )
        assert codes(G) == []

    def test_two_open_assessments(self):
        G = journey(
            ev("referral", "2025-03-03"),
            ev("assessment", "2025-03-03", "2025-04-10"),
            ev("assessment", "2025-03-20", "2025-03-30", occurrence=0),
        )
        assert codes(G) == [("two_open_assessments", key("assessment", "2025-03-20"))]

    def test_an_assessment_starting_the_day_another_ends_is_not_two_open(self):
        G = journey(
            ev("referral", "2025-03-03"),
            ev("assessment", "2025-03-03", "2025-03-20"),
            ev("assessment", "2025-03-20", "2025-03-30"),
        )
        assert codes(G) == []

    def test_activity_after_closure(self):
        G = journey(
            ev("referral", "2025-03-03"),
            ev("closure", "2025-03-05"),
            ev("assessment", "2025-03-10", "2025-03-12"),
        )
        assert codes(G) == [("activity_after_closure", key("assessment", "2025-03-10"))]

    def test_a_new_referral_after_closure_is_not_an_anomaly(self):
        G = journey(
            ev("referral", "2025-03-03"), ev("closure", "2025-03-05"), ev("referral", "2025-04-10")
        )
        assert codes(G) == []

    def test_activity_after_an_nfa_referral(self):
        G = journey(ev("referral", "2025-03-03", nfa=True), ev("s47", "2025-03-04", "2025-03-05"))
        assert codes(G) == [("activity_after_nfa", key("s47", "2025-03-04"))]

    def test_step_down_after_an_nfa_referral_is_not_an_anomaly(self):
        G = journey(ev("referral", "2025-03-03", nfa=True), ev("early_help", "2025-03-04"))
        assert codes(G) == []

    def test_cp_plan_starting_and_ending_the_same_day(self):
        G = journey(ev("icpc", "2025-03-03"), ev("cp_plan", "2025-03-03", "2025-03-03"))
        assert ("cp_plan_same_day", key("cp_plan", "2025-03-03")) in codes(G)

    def test_end_before_start(self):
        G = journey(ev("referral", "2025-03-03"), ev("assessment", "2025-03-03", "2025-03-01"))
        assert codes(G) == [("end_before_start", key("assessment", "2025-03-03"))]

    def test_anomalies_are_attached_to_their_nodes_with_plain_english(self):
        G = journey(ev("icpc", "2025-03-24"))
        assert "icpc_without_s47" in G.nodes[key("icpc", "2025-03-24")]["flags"]
        [anomaly] = G.graph["anomalies"]
        assert anomaly.message == (
            "Initial child protection conference, 24 Mar 2025 has no section 47 enquiry before it."
        )
        assert all(text.endswith(".") for text in ANOMALY_CODES.values())
