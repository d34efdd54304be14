"""Answers: parsing per question type, required answers and whole submissions."""

from datetime import date

import pytest

from audit_forms.answers import (
    ParsedAnswer,
    is_answered,
    missing_message,
    missing_required,
    parse_answer,
    validate_submission,
)
from audit_forms.errors import AnswerError
from audit_forms.templates import (
    OFSTED_SCALE,
    THRESHOLD,
    YES_NO_PARTLY,
    GradeScale,
    Option,
    Question,
    Section,
    Template,
)

GRADE = Question(
    "overall_grade",
    "grade",
    "Overall grade",
    options=OFSTED_SCALE.points,
    scale=OFSTED_SCALE,
    name="an overall grade",
    required=True,
)
SEEN_ALONE = Question(
    "seen_alone",
    "yes_no_partly",
    "Was the child seen alone?",
    options=YES_NO_PARTLY,
    name="whether the child was seen alone",
    required=True,
)
THRESHOLD_Q = Question("threshold_decision", "threshold", "Threshold right?", options=THRESHOLD)
MADE = Question(
    "made_a_difference",
    "single_choice",
    "Did we make a difference?",
    options=(Option("improved", "Improved"), Option("too_early", "Too early to say")),
    name="whether we made a difference",
)
WHO = Question(
    "strategy_attendees",
    "multiple_choice",
    "Who took part?",
    options=(Option("police", "Police"), Option("health", "Health"), Option("other", "Other")),
    name="who took part in the strategy discussion",
)
RATIONALE = Question(
    "overall_rationale",
    "text",
    "Why?",
    name="why you gave this grade",
    max_length=20,
    required=True,
)
WHEN = Question("visit_date", "date", "Date of the visit", name="the date of the visit")
DAYS = Question(
    "referral_to_assessment_days",
    "number",
    "Working days",
    name="the working days from referral to assessment",
    minimum=0,
    maximum=365,
)
TEMPLATE = Template(
    "t",
    "T",
    1,
    "",
    (
        Section("a", "A", "", (SEEN_ALONE, WHO, WHEN)),
        Section("b", "B", "", (GRADE, RATIONALE, DAYS)),
    ),
)


def message(question: Question, raw: str | list[str]) -> str:
    with pytest.raises(AnswerError) as info:
        parse_answer(question, raw)
    assert info.value.key == question.key
    return str(info.value)


class TestParseAnswer:
    def test_grade_on_the_scale(self):
        assert parse_answer(GRADE, " requires_improvement ") == ParsedAnswer(
            "overall_grade", "requires_improvement", "Requires improvement to be good"
        )

    def test_grade_off_the_scale(self):
        assert message(GRADE, "satisfactory") == "Select an overall grade"

    def test_grade_on_a_custom_scale(self):
        scale = GradeScale((Option("met", "Met"), Option("not_met", "Not met")), 1)
        q = Question("g", "grade", "G", options=scale.points, scale=scale)
        assert parse_answer(q, "met").value == "met"
        with pytest.raises(AnswerError):
            parse_answer(q, "good")

    @pytest.mark.parametrize("raw", ["yes", "no", "partly", "not_applicable"])
    def test_yes_no_partly(self, raw):
        assert parse_answer(SEEN_ALONE, raw).value == raw

    def test_yes_no_partly_refuses_anything_else(self):
        assert message(SEEN_ALONE, "maybe") == "Select whether the child was seen alone"

    def test_threshold(self):
        assert parse_answer(THRESHOLD_Q, "should_have_been_higher").display == (
            "Should have been higher"
        )

    def test_single_choice_takes_one(self):
        assert parse_answer(MADE, ["too_early"]).value == "too_early"
        assert message(MADE, ["improved", "too_early"]) == (
            "Select only one option for whether we made a difference"
        )

    def test_multiple_choice_in_option_order_without_duplicates(self):
        answer = parse_answer(WHO, ["other", "police", "police"])
        assert answer.value == ("police", "other")
        assert answer.display == "Police, Other"
        assert answer.to_json() == ["police", "other"]

    def test_multiple_choice_outside_the_options(self):
        assert message(WHO, ["police", "fire"]) == (
            "Select who took part in the strategy discussion from the options given"
        )

    @pytest.mark.parametrize(
        "raw", ["14/03/2025", "14/3/2025", " 14 / 03 / 2025 ", "2025-03-14", "14-03-2025"]
    )
    def test_date_as_day_month_year_or_iso(self, raw):
        answer = parse_answer(WHEN, raw)
        assert answer.value == date(2025, 3, 14)
        assert answer.display == "14/03/2025"
        assert answer.to_json() == "2025-03-14"

    @pytest.mark.parametrize("raw", ["14 March 2025", "03/14", "2025/03/14", "14/03/25"])
    def test_date_in_another_format(self, raw):
        assert message(WHEN, raw) == ("Enter the date as day/month/year, for example 14/03/2025")

    def test_date_that_does_not_exist(self):
        assert message(WHEN, "31/02/2025") == "The date of the visit must be a real date"

    @pytest.mark.parametrize("raw, value", [("12", 12), ("1,234", 1234), ("2.5", 2.5)])
    def test_number(self, raw, value):
        q = Question("n", "number", "N")
        assert parse_answer(q, raw).value == value

    @pytest.mark.parametrize(
        "raw, expected",
        [
            ("twelve", "must be a number, like 12"),
            ("1e3", "must be a number, like 12"),
            ("nan", "must be a number, like 12"),
            ("-1", "must be 0 or more"),
            ("400", "must be 365 or less"),
        ],
    )
    def test_number_errors(self, raw, expected):
        assert message(DAYS, raw) == f"The working days from referral to assessment {expected}"

    def test_text_is_trimmed_and_line_endings_normalised(self):
        assert parse_answer(RATIONALE, "  Good work\r\nthroughout ").value == (
            "Good work\nthroughout"
        )

    def test_text_length_limit(self):
        assert parse_answer(RATIONALE, "x" * 20).value == "x" * 20
        assert message(RATIONALE, "x" * 21) == (
            "Why you gave this grade must be 20 characters or fewer"
        )

    @pytest.mark.parametrize("question", [GRADE, SEEN_ALONE, WHO, RATIONALE, WHEN, DAYS])
    def test_blank_is_not_answered_rather_than_an_error(self, question):
        for raw in ("", "   ", []):
            answer = parse_answer(question, raw)
            assert answer.value is None and not answer.answered

    def test_a_question_without_a_name_is_quoted_in_messages(self):
        q = Question("d", "number", "Days to visit")
        assert message(q, "soon") == "The answer to ‘Days to visit’ must be a number, like 12"


class TestMissingMessage:
    def test_select_for_choices_and_enter_for_typed_answers(self):
        assert missing_message(SEEN_ALONE) == "Select whether the child was seen alone"
        assert missing_message(RATIONALE) == "Enter why you gave this grade"


class TestIsAnswered:
    def test_blank_values(self):
        assert not any(is_answered(v) for v in (None, "", " ", [], ()))
        assert not is_answered(ParsedAnswer("k", None, ""))

    def test_zero_and_no_are_answers(self):
        assert all(is_answered(v) for v in (0, "no", ["police"], date(2025, 1, 1)))


class TestMissingRequired:
    def test_lists_required_questions_without_answers_in_template_order(self):
        answers = {"seen_alone": "no", "overall_rationale": "  "}
        assert missing_required(TEMPLATE, answers) == ["overall_grade", "overall_rationale"]

    def test_optional_questions_are_never_missing(self):
        answers = {"seen_alone": "yes", "overall_grade": "good", "overall_rationale": "Because"}
        assert missing_required(TEMPLATE, answers) == []

    def test_accepts_parsed_answers(self):
        answers = {"seen_alone": ParsedAnswer("seen_alone", None, "")}
        assert missing_required(TEMPLATE, answers)[0] == "seen_alone"


class TestValidateSubmission:
    def test_complete_submission(self):
        result = validate_submission(
            TEMPLATE,
            {
                "seen_alone": "yes",
                "strategy_attendees": ["police"],
                "overall_grade": "good",
                "overall_rationale": "Seen alone; good",
                "csrf_token": "ignored",
            },
        )
        assert result.ok
        assert result.answers["overall_grade"].display == "Good"
        assert result.answers["visit_date"].value is None
        assert "csrf_token" not in result.answers

    def test_errors_in_template_order_one_per_question(self):
        result = validate_submission(
            TEMPLATE,
            {
                "visit_date": "yesterday",
                "overall_grade": "great",
                "referral_to_assessment_days": "-3",
            },
        )
        assert [(e.key, e.message) for e in result.errors] == [
            ("seen_alone", "Select whether the child was seen alone"),
            ("visit_date", "Enter the date as day/month/year, for example 14/03/2025"),
            ("overall_grade", "Select an overall grade"),
            ("overall_rationale", "Enter why you gave this grade"),
            (
                "referral_to_assessment_days",
                "The working days from referral to assessment must be 0 or more",
            ),
        ]
        assert result.errors[0].href == "#seen_alone"

    def test_a_draft_may_leave_required_questions_blank(self):
        result = validate_submission(TEMPLATE, {"overall_grade": "good"}, complete=False)
        assert result.ok
        assert missing_required(TEMPLATE, result.answers) == ["seen_alone", "overall_rationale"]
