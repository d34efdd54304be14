"""build_journey: one test per linking rule, episodes, preconditions, and graph properties."""

from datetime import date, datetime, timedelta

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import ANOMALY_CODES, EVENT_KINDS, Event, JourneyError, LinkRule, build_journey
from journeys.graph import reading_order

from .helpers import ev, journey, key, links


class TestBuildJourneyLinks:
    def test_referral_comes_from_the_latest_contact_within_30_days(self):
        G = journey(
            ev("contact", "2025-01-02"), ev("contact", "2025-03-01"), ev("referral", "2025-03-04")
        )
        assert links(G) == {
            (key("contact", "2025-03-01"), key("referral", "2025-03-04"), "contact_to_referral")
        }
        edge = G.edges[key("contact", "2025-03-01"), key("referral", "2025-03-04")]
        assert (edge["days"], edge["working_days"]) == (3, 2)  # Sat 1 Mar to Tue 4 Mar

    def test_a_contact_more_than_30_days_before_is_not_the_cause(self):
        G = journey(ev("contact", "2025-01-02"), ev("referral", "2025-03-04"))
        assert links(G) == set()
        assert G.nodes[key("referral", "2025-03-04")]["flags"] == []  # a referral may begin

    def test_one_contact_leads_to_one_referral(self):
        G = journey(
            ev("contact", "2025-03-03"), ev("referral", "2025-03-04"), ev("referral", "2025-03-20")
        )
        assert G.in_degree(key("referral", "2025-03-20")) == 0

    def test_step_up_from_open_early_help_beside_the_contact(self):
        G = journey(
            ev("early_help", "2025-01-06"),
            ev("contact", "2025-02-01"),
            ev("referral", "2025-02-03"),
        )
        eh, r = key("early_help", "2025-01-06"), key("referral", "2025-02-03")
        assert G.edges[eh, r]["rule"] == "step_up" and G.edges[eh, r]["step"] == "up"
        assert G.has_edge(key("contact", "2025-02-01"), r)

    def test_step_down_to_early_help_after_the_assessment_ended(self):
        G = journey(
            ev("referral", "2025-03-03"),
            ev("assessment", "2025-03-04", "2025-04-10"),
            ev("early_help", "2025-04-20"),
        )
        edge = G.edges[key("assessment", "2025-03-04"), key("early_help", "2025-04-20")]
        assert (edge["rule"], edge["step"]) == ("step_down", "down")

    def test_step_down_after_an_nfa_referral(self):
        G = journey(ev("referral", "2025-03-03", nfa=True), ev("early_help", "2025-03-03"))
        assert G.edges[key("referral", "2025-03-03"), key("early_help", "2025-03-03")]["step"]
        assert reading_order(G) == [key("referral", "2025-03-03"), key("early_help", "2025-03-03")]

    def test_no_step_down_while_the_plan_is_open(self):
        G = journey(ev("cin_plan", "2025-01-06"), ev("early_help", "2025-03-03"))
        assert G.in_degree(key("early_help", "2025-03-03")) == 0

    def test_early_help_from_a_contact(self):
        G = journey(ev("contact", "2025-03-03"), ev("early_help", "2025-03-10"))
        assert links(G) == {
            (key("contact", "2025-03-03"), key("early_help", "2025-03-10"), "contact_to_early_help")
        }

    def test_assessment_from_the_latest_referral_within_30_days(self):
        G = journey(
            ev("referral", "2025-01-06"),
            ev("referral", "2025-03-03"),
            ev("assessment", "2025-03-05"),
        )
        assert (
            key("referral", "2025-03-03"),
            key("assessment", "2025-03-05"),
            "referral_to_assessment",
        ) in links(G)

    def test_an_assessment_no_rule_can_link_is_kept_and_flagged(self):
        G = journey(ev("referral", "2025-01-06"), ev("assessment", "2025-03-05", "2025-03-20"))
        assert G.nodes[key("assessment", "2025-03-05")]["flags"] == ["unlinked"]

    def test_an_assessment_dated_before_its_referral_is_linked_and_flagged(self):
        G = journey(ev("assessment", "2025-03-01"), ev("referral", "2025-03-03"))
        edge = G.edges[key("referral", "2025-03-03"), key("assessment", "2025-03-01")]
        assert edge["working_days"] == -1  # Sat 1 Mar to Mon 3 Mar, backwards
        assert "assessment_before_referral" in edge["flags"]
        assert "assessment_before_referral" in G.nodes[key("assessment", "2025-03-01")]["flags"]

    def test_s47_from_the_open_assessment_rather_than_the_referral(self):
        G = journey(
            ev("referral", "2025-03-03"),
            ev("assessment", "2025-03-03"),
            ev("s47", "2025-03-20"),
        )
        assert G.has_edge(key("assessment", "2025-03-03"), key("s47", "2025-03-20"))
        assert G.in_degree(key("s47", "2025-03-20")) == 1

    def test_s47_from_the_referral_when_there_is_no_assessment(self):
        G = journey(ev("referral", "2025-03-03"), ev("s47", "2025-03-04"))
        assert links(G) == {(key("referral", "2025-03-03"), key("s47", "2025-03-04"), "to_s47")}

    def test_icpc_concludes_the_s47(self):
        G = journey(ev("s47", "2025-03-04", "2025-03-14"), ev("icpc", "2025-03-20"))
        assert G.edges[key("s47", "2025-03-04"), key("icpc", "2025-03-20")]["rule"] == "s47_to_icpc"

    def test_cp_plan_from_the_icpc_on_the_same_day(self):
        G = journey(ev("icpc", "2025-03-20"), ev("cp_plan", "2025-03-20"))
        assert links(G) == {
            (key("icpc", "2025-03-20"), key("cp_plan", "2025-03-20"), "icpc_to_cp_plan")
        }

    def test_cp_plan_without_a_same_day_icpc_falls_back_to_the_s47(self):
        G = journey(ev("s47", "2025-03-04"), ev("icpc", "2025-03-20"), ev("cp_plan", "2025-03-21"))
        assert G.edges[key("s47", "2025-03-04"), key("cp_plan", "2025-03-21")]["rule"] == (
            "to_cp_plan"
        )

    def test_cin_plan_from_the_assessment_that_recommended_it(self):
        G = journey(ev("assessment", "2025-03-03", "2025-04-01"), ev("cin_plan", "2025-04-02"))
        assert links(G) == {
            (key("assessment", "2025-03-03"), key("cin_plan", "2025-04-02"), "to_cin_plan")
        }

    def test_cin_episode_from_its_referral(self):
        G = journey(ev("referral", "2025-03-03"), ev("cin_episode", "2025-03-03"))
        assert G.has_edge(key("referral", "2025-03-03"), key("cin_episode", "2025-03-03"))

    def test_looked_after_from_whatever_preceded_it(self):
        G = journey(ev("cp_plan", "2025-01-06"), ev("lac", "2025-06-02"))
        assert G.edges[key("cp_plan", "2025-01-06"), key("lac", "2025-06-02")]["rule"] == "to_lac"

    def test_closure_from_the_latest_event(self):
        G = journey(ev("referral", "2025-01-06"), ev("closure", "2025-06-02"))
        assert G.has_edge(key("referral", "2025-01-06"), key("closure", "2025-06-02"))

    def test_rules_are_data(self):
        rule = LinkRule("contact_soon", ("contact",), "referral", 1)
        G = journey(ev("contact", "2025-03-03"), ev("referral", "2025-03-05"), rules=(rule,))
        assert links(G) == set()

    def test_a_bad_rule_is_refused(self):
        with pytest.raises(JourneyError):
            LinkRule("x", ("visit",), "referral")


class TestBuildJourneyNodes:
    def test_nodes_carry_the_event(self):
        G = journey(ev("referral", "2025-03-02", source="police"))
        node = G.nodes["referral:2025-03-02:0"]
        assert node["kind"] == "referral" and node["start"] == date(2025, 3, 2)
        assert node["attrs"] == {"source": "police"}
        assert node["label"] == "Referral, 2 Mar 2025"

    def test_episodes_are_numbered_per_referral(self):
        G = journey(
            ev("contact", "2025-01-02"),
            ev("referral", "2025-01-03"),
            ev("assessment", "2025-01-06", "2025-02-10"),
            ev("cin_plan", "2025-02-11"),
            ev("referral", "2025-09-01"),
            ev("s47", "2025-09-02"),
        )
        episodes = {k: G.nodes[k]["episode"] for k in G}
        assert episodes == {
            key("contact", "2025-01-02"): 1,
            key("referral", "2025-01-03"): 1,
            key("assessment", "2025-01-06"): 1,
            key("cin_plan", "2025-02-11"): 1,
            key("referral", "2025-09-01"): 2,
            key("s47", "2025-09-02"): 2,
        }

    def test_a_child_with_no_events_has_an_empty_graph(self):
        assert journey().number_of_nodes() == 0

    @pytest.mark.parametrize(
        "events",
        [
            [Event("visit", date(2025, 1, 1))],
            [Event("referral", datetime(2025, 1, 1, 9))],
            [Event("referral", date(2025, 1, 1)), Event("referral", date(2025, 1, 1))],
        ],
    )
    def test_bad_events_are_refused(self, events):
        with pytest.raises(JourneyError):
            build_journey(events, as_of=date(2025, 6, 1))

    def test_as_of_must_be_a_date(self):
        with pytest.raises(JourneyError):
            build_journey([], as_of=datetime(2025, 6, 1, 12))


def _event(kind, start, length, occurrence, nfa):
    end = start + timedelta(days=length) if length is not None else None
    return Event(kind, start, end, occurrence, {"nfa": True} if nfa else {})


events_strategy = st.lists(
    st.builds(
        _event,
        st.sampled_from(EVENT_KINDS),
        st.dates(date(2024, 1, 1), date(2025, 12, 31)),
        st.one_of(st.none(), st.integers(-10, 400)),
        st.integers(0, 1),
        st.booleans(),
    ),
    max_size=40,
    unique_by=lambda e: (e.kind, e.start, e.occurrence),
)


class TestBuildJourneyProperties:
    @settings(max_examples=150, deadline=None)
    @given(events_strategy)
    def test_every_event_is_a_node_and_the_graph_is_acyclic(self, events):
        G = journey(*events)
        assert set(G) == {f"{e.kind}:{e.start.isoformat()}:{e.occurrence}" for e in events}
        assert nx.is_directed_acyclic_graph(G)

    @settings(max_examples=150, deadline=None)
    @given(events_strategy)
    def test_every_link_back_in_time_carries_an_anomaly(self, events):
        G = journey(*events)
        for u, v, flags in G.edges(data="flags"):
            if G.nodes[v]["start"] < G.nodes[u]["start"]:
                assert any(f in ANOMALY_CODES for f in flags), (u, v)

    @settings(max_examples=100, deadline=None)
    @given(events_strategy)
    def test_each_event_has_at_most_one_main_cause(self, events):
        G = journey(*events)
        for node in G:
            assert sum(G.edges[p, node]["primary"] for p in G.predecessors(node)) <= 1
