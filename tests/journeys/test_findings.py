"""summarise_journey and status_at on tiny journeys with hand-checked answers."""

import json

from journeys import JourneySummary, status_at, summarise_journey

from .helpers import d, ev, journey, key

FULL = (
    ev("contact", "2025-03-03"),
    ev("referral", "2025-03-04", source="police", team="North", worker="Ann"),
    ev("assessment", "2025-03-04", "2025-03-31", factors="2B, 3A,2B"),
    ev("s47", "2025-03-10", "2025-03-14"),
    ev("icpc", "2025-03-24"),
    ev("cp_plan", "2025-03-24", "2025-09-01", category_initial="N", previous_plans=0),
    ev("lac", "2025-08-01", team="Care"),
)


class TestSummariseJourney:
    def test_path_stages_and_furthest_stage(self):
        s = summarise_journey(journey(*FULL))
        assert s.path == "C → R → A → S47 → ICPC → CPP → LAC"
        assert s.stages == ("contact", "referral", "assessment", "s47", "icpc", "cp_plan", "lac")
        assert s.furthest_stage == "lac"
        assert (s.referral_count, s.episode_count, s.latest_source) == (1, 1, "police")
        assert (s.team, s.worker) == ("Care", "Ann")
        assert s.factors == ("2B", "3A") and s.cp_categories == ("N",)
        assert s.outcomes == ("s47", "cp_plan", "lac")

    def test_a_child_with_no_events_has_an_empty_path(self):
        s = summarise_journey(journey())
        assert (s.path, s.stages, s.furthest_stage, s.referral_count) == ("", (), None, 0)

    def test_repeats_are_collapsed_in_the_path(self):
        s = summarise_journey(
            journey(
                ev("contact", "2025-01-06"),
                ev("contact", "2025-01-07"),
                ev("referral", "2025-01-08"),
            )
        )
        assert s.path == "C×2 → R"

    def test_a_stop_at_an_nfa_referral_ends_the_stages_with_nfa(self):
        s = summarise_journey(journey(ev("referral", "2025-01-06", nfa=True)))
        assert s.stages == ("referral", "nfa") and s.outcomes == ("nfa",)

    def test_rereferral_within_12_months_per_referral(self):
        s = summarise_journey(
            journey(
                ev("referral", "2024-03-01"),
                ev("referral", "2025-03-01"),  # exactly 12 months: within
                ev("referral", "2026-03-02"),  # 12 months and a day: not
            )
        )
        assert [r.rereferral for r in s.referrals] == [False, True, False]
        assert s.rereferred and not s.history_incomplete

    def test_rereferral_unknown_when_the_data_do_not_reach_back(self):
        G = journey(ev("referral", "2025-09-01"))
        s = summarise_journey(G, history_start=d("2025-03-01"))
        assert (s.referrals[0].rereferral, s.history_incomplete) == (None, True)

    def test_annex_a_count_settles_the_latest_referral(self):
        G = journey(ev("referral", "2025-09-01", referrals_last_12m=2))
        s = summarise_journey(G, history_start=d("2025-03-01"))
        assert (s.referrals[0].rereferral, s.rereferred, s.history_incomplete) == (
            True,
            True,
            False,
        )

    def test_repeat_cp_plan_from_previous_plans(self):
        G = journey(ev("icpc", "2025-01-06"), ev("cp_plan", "2025-01-06", previous_plans=1))
        s = summarise_journey(G, history_start=d("2024-07-01"))
        assert (s.repeat_cp, s.cp_plan_count, s.history_incomplete) == (True, 1, False)

    def test_repeat_cp_plan_from_the_data(self):
        G = journey(ev("cp_plan", "2023-01-02", "2023-06-01"), ev("cp_plan", "2025-01-06"))
        assert [p.repeat for p in summarise_journey(G).plans] == [False, True]

    def test_repeat_cp_plan_unknown_with_short_history(self):
        G = journey(ev("icpc", "2025-01-06"), ev("cp_plan", "2025-01-06"))
        s = summarise_journey(G, history_start=d("2024-07-01"))
        assert (s.repeat_cp, s.plans[0].repeat, s.history_incomplete) == (False, None, True)

    def test_cp_plans_lasting_two_years_or_more(self):
        G = journey(
            ev("cp_plan", "2021-01-04", "2023-01-04"),  # two years to the day
            ev("cp_plan", "2023-06-01", "2025-05-31"),  # a day short
        )
        s = summarise_journey(G)
        assert s.cp_plans_two_years == 1
        assert [p.days for p in s.plans] == [730, 730]

    def test_step_ups_and_step_downs(self):
        G = journey(
            ev("referral", "2025-01-06", nfa=True),
            ev("early_help", "2025-01-10", "2025-05-01"),
            ev("referral", "2025-04-01"),
        )
        s = summarise_journey(G)
        assert (s.step_downs, s.step_ups) == (1, 1)

    def test_anomalies_and_breaches_are_listed(self):
        G = journey(
            ev("s47", "2022-09-01", "2022-09-10"),
            ev("icpc", "2022-09-26"),
            ev("icpc", "2022-10-03"),
        )
        s = summarise_journey(G)
        assert s.anomaly_codes == ("icpc_without_s47",) and s.anomaly_count == 1
        assert s.breach_count == 1

    def test_the_summary_does_not_depend_on_the_reference_date(self):
        events = (ev("referral", "2022-04-01"), ev("assessment", "2022-04-01"))
        early = summarise_journey(journey(*events, as_of=d("2022-04-02")))
        late = summarise_journey(journey(*events, as_of=d("2023-04-02")))
        assert early == late

    def test_to_dict_is_json_and_round_trips(self):
        s = summarise_journey(journey(*FULL), history_start=d("2024-01-01"))
        data = json.loads(json.dumps(s.to_dict()))
        assert JourneySummary.from_dict(data) == s
        assert data["furthest_stage"] == "lac" and data["first_referral"] == "2025-03-04"


class TestStatusAt:
    def test_in_care_and_on_a_plan_on_a_past_date(self):
        G = journey(*FULL)
        s = status_at(G, d("2025-08-15"))
        assert s.stage == "lac"
        assert [(p.kind, p.days) for p in s.open_plans] == [("cp_plan", 144), ("lac", 14)]
        [episode] = s.open_episodes
        assert (episode.episode, episode.since, episode.age_days) == (1, d("2025-03-04"), 164)

    def test_a_plan_ending_on_the_day_is_no_longer_open(self):
        G = journey(ev("cp_plan", "2025-01-06", "2025-06-02"))
        assert status_at(G, d("2025-06-02")).stage is None
        assert status_at(G, d("2025-06-01")).stage == "cp_plan"

    def test_a_closure_closes_open_ended_work_in_its_episode(self):
        G = journey(
            ev("referral", "2025-01-06"),
            ev("cin_episode", "2025-01-06"),
            ev("closure", "2025-04-01"),
        )
        assert status_at(G, d("2025-03-31")).stage == "cin"
        assert status_at(G, d("2025-04-01")).open_episodes == ()

    def test_a_long_open_cp_plan(self):
        G = journey(ev("icpc", "2023-01-02"), ev("cp_plan", "2023-01-02", reviews="2023-03-01"))
        assert status_at(G, d("2025-01-02")).long_cp_plan
        assert not status_at(G, d("2025-01-01")).long_cp_plan

    def test_overdue_work_with_how_far_past(self):
        G = journey(ev("referral", "2022-04-01"), ev("assessment", "2022-04-01"))
        s = status_at(G, d("2022-06-13"))
        assert [(t.rule, t.over_by) for t in s.overdue] == [
            ("referral_to_assessment", 2),
            ("assessment_duration", 2),
        ]
        assert s.open_episodes[0].open_nodes == (key("assessment", "2022-04-01"),)

    def test_events_after_the_date_are_left_out(self):
        G = journey(ev("referral", "2025-01-06"), ev("cp_plan", "2025-06-02"))
        s = status_at(G, d("2025-03-01"))
        assert (s.stage, s.later_events) == (None, 1)

    def test_a_child_with_no_events(self):
        s = status_at(journey(), d("2025-03-01"))
        assert (s.stage, s.open_episodes, s.pending) == (None, (), ())
