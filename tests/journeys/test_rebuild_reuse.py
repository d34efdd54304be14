"""summarise_journey reuses the undated checks build_journey made: same answers as a fresh run."""

from datetime import date

from journeys import Event, build_journey, check_timeliness, summarise_journey
from journeys.timeliness import DEFAULT_TIMELINESS_RULES

AS_OF = date(2026, 3, 31)
EVENTS = [
    Event("contact", date(2026, 1, 2)),
    Event("referral", date(2026, 1, 5)),
    Event("assessment", date(2026, 1, 5)),  # still open: overdue at AS_OF, open undated
    Event("s47", date(2026, 2, 2)),
    Event("icpc", date(2026, 3, 2)),  # breached: 20 working days after the strategy discussion
    Event("referral", date(2026, 6, 1)),
    Event("assessment", date(2026, 6, 2)),  # after AS_OF: no check at AS_OF, open undated
]


class TestReusedTimeliness:
    def test_summary_checks_are_those_of_a_fresh_undated_run(self):
        G = build_journey(EVENTS, as_of=AS_OF)
        summary = summarise_journey(G)
        assert list(summary.timeliness) == check_timeliness(G)
        assert G.graph["timeliness"] == check_timeliness(G, as_of=AS_OF)
        statuses = {(t.rule, t.start): t.status for t in summary.timeliness}
        assert statuses[("assessment_duration", date(2026, 1, 5))] == "open"
        assert statuses[("s47_to_icpc", date(2026, 2, 2))] == "breached"
        assert statuses[("assessment_duration", date(2026, 6, 2))] == "open"
        assert not any(t.start == date(2026, 6, 2) for t in G.graph["timeliness"])

    def test_other_holidays_or_rules_are_checked_afresh(self):
        G = build_journey(EVENTS, as_of=AS_OF, timeliness_rules=DEFAULT_TIMELINESS_RULES[:1])
        assert list(summarise_journey(G).timeliness) == check_timeliness(G)
        G = build_journey(EVENTS, as_of=AS_OF)
        holidays = {date(2026, 2, 16), date(2026, 2, 17)}
        got = summarise_journey(G, holidays=holidays).timeliness
        assert list(got) == check_timeliness(G, holidays=holidays)
        icpc = next(t for t in got if t.rule == "s47_to_icpc")
        assert icpc.working_days == 18  # two holidays fewer than without them
