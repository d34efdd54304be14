"""Roll-up arithmetic: Wilson intervals, proportions, grade distributions and ranking."""

import pytest

from audit_forms.errors import AuditFormsError
from audit_forms.rollup import (
    TOO_FEW_LABEL,
    answer_proportion,
    grade_distribution,
    option_counts,
    proportion,
    rank,
    wilson_interval,
)
from audit_forms.templates import GradeScale, Option, builtin_templates

CORE = builtin_templates()[("core-front-door", 1)]


class TestWilsonInterval:
    @pytest.mark.parametrize(
        "successes, n, low, high",
        [
            (5, 10, 0.2366, 0.7634),  # the textbook example
            (0, 10, 0.0, 0.2775),  # z^2/(n+z^2) = 3.8415/13.8415
            (10, 10, 0.7225, 1.0),
            (1, 1, 0.2065, 1.0),
            (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Statist. Med. 17:857, method 3
        ],
    )
    def test_known_values(self, successes, n, low, high):
        got = wilson_interval(successes, n)
        assert got is not None
        assert got == pytest.approx((low, high), abs=5e-5)

    def test_n_zero_has_no_interval(self):
        assert wilson_interval(0, 0) is None

    def test_90_percent_is_narrower(self):
        low95, high95 = wilson_interval(5, 10) or (0, 0)
        low90, high90 = wilson_interval(5, 10, z=1.644854) or (0, 0)
        assert low95 < low90 < high90 < high95

    def test_impossible_counts(self):
        with pytest.raises(AuditFormsError):
            wilson_interval(11, 10)


class TestProportion:
    def test_value_interval_and_n(self):
        p = proportion(13, 21)
        assert (p.numerator, p.denominator, p.n) == (13, 21, 21)
        assert p.value == pytest.approx(0.6190, abs=1e-4)
        assert p.percent == pytest.approx(61.90, abs=1e-2)
        assert not p.too_few
        assert p.label() == "62% (13 of 21)"

    @pytest.mark.parametrize("n, too_few", [(1, True), (4, True), (5, False)])
    def test_fewer_than_five_is_too_few_to_compare(self, n, too_few):
        assert proportion(1, n).too_few is too_few

    def test_empty(self):
        p = proportion(0, 0)
        assert (p.value, p.ci, p.percent, p.label()) == (None, None, None, "no cases")


class TestGradeDistribution:
    def test_counts_good_or_better_and_inadequate(self):
        grades = ["good"] * 6 + ["outstanding"] + ["requires_improvement"] * 2 + ["inadequate"]
        d = grade_distribution(grades + [None, ""])
        assert d.counts == {
            "outstanding": 1,
            "good": 6,
            "requires_improvement": 2,
            "inadequate": 1,
        }
        assert d.n == 10
        assert (d.good_or_better.numerator, d.good_or_better.value) == (7, 0.7)
        assert (d.inadequate.numerator, d.inadequate.value) == (1, 0.1)

    def test_custom_scale(self):
        scale = GradeScale((Option("met", "Met"), Option("not_met", "Not met")), 1)
        d = grade_distribution(["met", "not_met", "not_met"], scale)
        assert d.good_or_better.numerator == 1 and d.inadequate.numerator == 2

    def test_no_grades(self):
        d = grade_distribution([])
        assert d.n == 0 and d.good_or_better.value is None

    def test_unknown_grade(self):
        with pytest.raises(AuditFormsError):
            grade_distribution(["satisfactory"])


class TestAnswerProportion:
    def test_not_applicable_is_left_out_and_partly_is_not_positive(self):
        seen_alone = CORE.question("seen_alone")
        values = ["yes", "yes", "yes", "partly", "no", "not_applicable", None, ""]
        p = answer_proportion(seen_alone, values)
        assert (p.numerator, p.denominator) == (3, 5)

    def test_too_early_to_say_is_left_out_of_made_a_difference(self):
        made = CORE.question("made_a_difference")
        p = answer_proportion(made, ["improved", "no_change", "too_early", "worse", "improved"])
        assert (p.numerator, p.denominator) == (2, 4)

    def test_grades_count_good_or_better(self):
        p = answer_proportion(CORE.question("overall_grade"), ["good", "outstanding", "inadequate"])
        assert (p.numerator, p.denominator) == (2, 3)

    def test_threshold_counts_appropriate(self):
        values = ["appropriate", "should_have_been_higher", "appropriate"]
        p = answer_proportion(CORE.question("threshold_decision"), values)
        assert (p.numerator, p.denominator) == (2, 3)

    def test_text_and_multiple_choice_have_no_proportion(self):
        for key in ("overall_rationale", "strategy_attendees"):
            with pytest.raises(AuditFormsError):
                answer_proportion(CORE.question(key), [])

    def test_an_answer_that_is_not_an_option(self):
        with pytest.raises(AuditFormsError):
            answer_proportion(CORE.question("seen_alone"), ["sometimes"])


class TestOptionCounts:
    def test_multiple_choice_counts_can_exceed_n(self):
        who = CORE.question("strategy_attendees")
        counts, n = option_counts(who, [["police", "health"], ["police"], [], None])
        assert n == 2
        assert (counts["police"], counts["health"], counts["housing"]) == (2, 1, 0)

    def test_single_choice(self):
        counts, n = option_counts(CORE.question("made_a_difference"), ["worse", "improved"])
        assert n == 2 and counts["worse"] == 1


class TestRank:
    def test_groups_with_fewer_than_five_are_not_ranked(self):
        ranked = rank(
            {
                "North": proportion(8, 10),
                "South": proportion(4, 4),  # 100% but n = 4
                "East": proportion(3, 6),
                "West": proportion(0, 0),
            }
        )
        assert [(g.name, g.position) for g in ranked] == [
            ("North", 1),
            ("East", 2),
            ("South", None),
            ("West", None),
        ]
        assert ranked[2].label == TOO_FEW_LABEL

    def test_equal_values_share_a_position(self):
        ranked = rank(
            {
                "A": proportion(9, 10),
                "B": proportion(6, 8),
                "C": proportion(15, 20),
                "D": proportion(1, 5),
            }
        )
        assert [(g.name, g.position) for g in ranked] == [("A", 1), ("B", 2), ("C", 2), ("D", 4)]
