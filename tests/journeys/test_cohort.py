"""cohort_flows: Sankey links, commonest paths and per-child summaries."""

from journeys import cohort_flows, summarise_journey

from .helpers import ev, journey


def summary(*events):
    return summarise_journey(journey(*events))


CP = summary(
    ev("contact", "2025-03-03"),
    ev("referral", "2025-03-04"),
    ev("assessment", "2025-03-04", "2025-03-31"),
    ev("s47", "2025-03-10", "2025-03-14"),
    ev("icpc", "2025-03-24"),
    ev("cp_plan", "2025-03-24"),
)
CIN = summary(
    ev("contact", "2025-03-03"),
    ev("referral", "2025-03-04"),
    ev("assessment", "2025-03-04", "2025-03-31"),
    ev("cin_plan", "2025-04-01"),
)
NFA = summary(ev("contact", "2025-03-03"), ev("referral", "2025-03-04", nfa=True))


class TestCohortFlows:
    def test_stage_to_stage_counts(self):
        flows = cohort_flows({"a": CP, "b": CIN, "c": CIN, "d": NFA})
        assert [(f.source, f.target, f.count) for f in flows.transitions] == [
            ("contact", "referral", 4),
            ("referral", "assessment", 3),
            ("referral", "nfa", 1),
            ("assessment", "cin", 2),
            ("assessment", "s47", 1),
            ("s47", "icpc", 1),
            ("icpc", "cp_plan", 1),
        ]
        assert flows.stage_counts["assessment"] == 3
        assert flows.furthest == {"referral": 1, "cin": 2, "cp_plan": 1}

    def test_commonest_paths_first(self):
        flows = cohort_flows([CP, CIN, CIN], top=2)
        assert flows.paths == (
            ("contact → referral → assessment → cin", 2),
            ("contact → referral → assessment → s47 → icpc → cp_plan", 1),
        )
        assert list(flows.summaries) == ["1", "2", "3"]

    def test_children_without_events_count_but_do_not_flow(self):
        flows = cohort_flows({"a": summary(), "b": NFA})
        assert flows.children == 2 and flows.paths == (("contact → referral → nfa", 1),)
        assert flows.to_dict()["summaries"]["a"]["path"] == ""
