"""Prefilled timeliness answers: the latest finished check of each rule, in working days."""

from datetime import date

from audit_forms.prefill import prefill_answers
from audit_forms.templates import builtin_templates
from journeys import Timeliness

CORE = builtin_templates()[("core-front-door", 1)]


def check(rule, start, end, working_days, status="met"):
    return Timeliness(
        rule,
        rule,
        "n",
        "f",
        "t",
        start,
        end,
        working_days,
        None,
        45,
        "working_days",
        date(2030, 1, 1),
        status,
    )


class TestPrefillAnswers:
    def test_each_prefilled_question_takes_its_rule(self):
        found = prefill_answers(
            CORE,
            [
                check("contact_to_referral", date(2025, 3, 3), date(2025, 3, 4), 1),
                check("s47_to_icpc", date(2025, 4, 1), date(2025, 4, 24), 16, "breached"),
            ],
        )
        assert {k: p.value for k, p in found.items()} == {
            "contact_to_referral_days": 1,
            "strategy_to_icpc_days": 16,
        }
        assert found["strategy_to_icpc_days"].source == (
            "From the journey: 16 working days (01/04/2025 to 24/04/2025)"
        )

    def test_the_latest_finished_episode_wins(self):
        found = prefill_answers(
            CORE,
            [
                check("referral_to_assessment", date(2025, 6, 2), date(2025, 7, 1), 21),
                check("referral_to_assessment", date(2024, 1, 8), date(2024, 3, 1), 40),
            ],
        )
        assert found["referral_to_assessment_days"].value == 21

    def test_an_open_interval_gives_no_figure(self):
        open_check = check("referral_to_assessment", date(2025, 6, 2), None, 30, "open")
        done = check("referral_to_assessment", date(2024, 1, 8), date(2024, 3, 1), 40)
        assert prefill_answers(CORE, [open_check]) == {}
        assert prefill_answers(CORE, [open_check, done])["referral_to_assessment_days"].value == 40

    def test_a_prefill_the_app_cannot_compute_is_left_for_the_auditor(self):
        missing = builtin_templates()[("missing", 1)]
        assert "missing_episodes" not in {q.prefill for q in CORE.questions}
        assert prefill_answers(missing, []) == {}
