"""Answers to template questions: parse what a form sent, find what is missing, check a submission.

Error messages are plain English for a GOV.UK error summary, and each names its question key.
A blank answer parses to "not answered" (``value`` is None): saving a draft is allowed, and
whether a question must be answered is :func:`missing_required`'s business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .errors import AnswerError
from .templates import Question, Template

__all__ = [
    "AnswerValue",
    "FieldError",
    "ParsedAnswer",
    "Submission",
    "is_answered",
    "missing_message",
    "missing_required",
    "parse_answer",
    "validate_submission",
]

AnswerValue = str | int | float | date | tuple[str, ...] | None
"""A parsed value: an option value, text, a number, a date, several option values, or None."""

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_DATE_FORMAT = "Enter the date as day/month/year, for example 14/03/2025"


@dataclass(frozen=True)
class ParsedAnswer:
    """A checked answer.

    ``value`` is the typed value (None when not answered); ``display`` is how to show it;
    :meth:`to_json` gives what to store (dates as ISO text, several choices as a list).
    """

    key: str
    value: AnswerValue
    display: str

    @property
    def answered(self) -> bool:
        """False when the question was left blank."""
        return self.value is not None

    def to_json(self) -> str | int | float | list[str] | None:
        """The value in a JSON-friendly form.

        Examples
        --------
        >>> ParsedAnswer("d", date(2025, 3, 14), "14/03/2025").to_json()
        '2025-03-14'
        """
        if isinstance(self.value, date):
            return self.value.isoformat()
        if isinstance(self.value, tuple):
            return list(self.value)
        return self.value


@dataclass(frozen=True)
class FieldError:
    """One error for the error summary: the question key (the field's id) and the message."""

    key: str
    message: str

    @property
    def href(self) -> str:
        """The link target in the error summary."""
        return f"#{self.key}"


@dataclass(frozen=True)
class Submission:
    """The outcome of :func:`validate_submission`: parsed answers and errors, in template order."""

    answers: dict[str, ParsedAnswer]
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


def _subject(question: Question) -> str:
    """The question as the subject of a sentence ("The working days from ...")."""
    if question.name:
        return question.name[0].upper() + question.name[1:]
    return f"The answer to ‘{question.label}’"


def missing_message(question: Question) -> str:
    """The message for a required question left blank.

    Examples
    --------
    >>> from audit_forms.templates import Question
    >>> missing_message(Question("seen_alone", "yes_no_partly", "Was the child seen alone?",
    ...                          name="whether the child was seen alone"))
    'Select whether the child was seen alone'
    >>> missing_message(Question("notes", "text", "Notes"))
    'Enter an answer to ‘Notes’'
    """
    verb = "Enter" if question.type in ("text", "date", "number") else "Select"
    return f"{verb} {question.name or f'an answer to ‘{question.label}’'}"


def _one(question: Question, raw: str | list[str]) -> str:
    if isinstance(raw, str):
        return raw.strip()
    values = [v.strip() for v in raw if v.strip()]
    if len(values) > 1:
        raise AnswerError(question.key, f"Select only one option for {_lower(question)}")
    return values[0] if values else ""


def _lower(question: Question) -> str:
    return question.name or f"‘{question.label}’"


def _choice(question: Question, text: str) -> ParsedAnswer:
    if text not in question.values:
        raise AnswerError(question.key, missing_message(question))
    return ParsedAnswer(question.key, text, question.option_label(text))


def _multiple(question: Question, raw: str | list[str]) -> ParsedAnswer:
    chosen = {v.strip() for v in ([raw] if isinstance(raw, str) else raw) if v.strip()}
    if not chosen:
        return ParsedAnswer(question.key, None, "")
    unknown = chosen - set(question.values)
    if unknown:
        raise AnswerError(question.key, f"Select {_lower(question)} from the options given")
    ordered = tuple(v for v in question.values if v in chosen)  # option order, not click order
    return ParsedAnswer(question.key, ordered, ", ".join(question.option_label(v) for v in ordered))


def _date(question: Question, text: str) -> ParsedAnswer:
    iso, dmy = _ISO.match(text), _DMY.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dmy:
        day, month, year = (int(g) for g in dmy.groups())
    else:
        raise AnswerError(question.key, _DATE_FORMAT)
    try:
        value = date(year, month, day)
    except ValueError:
        raise AnswerError(question.key, f"{_subject(question)} must be a real date") from None
    return ParsedAnswer(question.key, value, value.strftime("%d/%m/%Y"))


def _format_number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number(question: Question, text: str) -> ParsedAnswer:
    cleaned = text.replace(",", "").replace(" ", "")
    if not _NUMBER.match(cleaned):
        raise AnswerError(question.key, f"{_subject(question)} must be a number, like 12")
    value: int | float = float(cleaned) if "." in cleaned else int(cleaned)
    if question.minimum is not None and value < question.minimum:
        limit = _format_number(question.minimum)
        raise AnswerError(question.key, f"{_subject(question)} must be {limit} or more")
    if question.maximum is not None and value > question.maximum:
        limit = _format_number(question.maximum)
        raise AnswerError(question.key, f"{_subject(question)} must be {limit} or less")
    return ParsedAnswer(question.key, value, _format_number(value))


def parse_answer(question: Question, raw: str | list[str]) -> ParsedAnswer:
    """Check and type the raw form input for ``question``.

    Blank input (an empty string, or an empty list for a multiple choice) is "not
    answered": ``value`` is None.

    Raises
    ------
    AnswerError
        When the input does not fit the question; ``str(error)`` is the message to show.

    Examples
    --------
    >>> from audit_forms.templates import OFSTED_SCALE, Question
    >>> grade = Question("overall_grade", "grade", "Overall grade", options=OFSTED_SCALE.points,
    ...                  scale=OFSTED_SCALE, name="an overall grade")
    >>> parse_answer(grade, "good").display
    'Good'
    >>> when = Question("visit_date", "date", "Date of visit", name="the date of the visit")
    >>> parse_answer(when, "14/3/2025").value
    datetime.date(2025, 3, 14)
    >>> parse_answer(when, "14 March")
    Traceback (most recent call last):
    ...
    audit_forms.errors.AnswerError: Enter the date as day/month/year, for example 14/03/2025
    """
    if question.type == "multiple_choice":
        return _multiple(question, raw)
    text = _one(question, raw)
    if not text:
        return ParsedAnswer(question.key, None, "")
    if question.type == "text":
        # normalise line endings first: browsers send CRLF, and a resubmitted form
        # should neither look like a change nor count twice against the limit
        text = text.replace("\r\n", "\n")
        if len(text) > question.max_length:
            raise AnswerError(
                question.key,
                f"{_subject(question)} must be {question.max_length:,} characters or fewer",
            )
        return ParsedAnswer(question.key, text, text)
    if question.type == "date":
        return _date(question, text)
    if question.type == "number":
        return _number(question, text)
    return _choice(question, text)


def is_answered(value: object) -> bool:
    """True unless ``value`` is None, blank text or an empty collection.

    Examples
    --------
    >>> [is_answered(v) for v in (None, "  ", [], "no", 0)]
    [False, False, False, True, True]
    """
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set, frozenset)):
        return bool(value)
    if isinstance(value, ParsedAnswer):
        return value.answered
    return True


def missing_required(template: Template, answers: Mapping[str, object]) -> list[str]:
    """Keys of required questions with no answer, in template order.

    ``answers`` maps question keys to stored values, raw input or :class:`ParsedAnswer`.

    Examples
    --------
    >>> from audit_forms.templates import builtin_templates
    >>> core = builtin_templates()[("core-front-door", 1)]
    >>> missing = missing_required(core, {"threshold_decision": "appropriate"})
    >>> missing[:2], "threshold_decision" in missing
    (['right_service_right_time', 'decision_rationale_recorded'], False)
    """
    return [q.key for q in template.questions if q.required and not is_answered(answers.get(q.key))]


def validate_submission(
    template: Template,
    raw_answers: Mapping[str, str | list[str]],
    *,
    complete: bool = True,
) -> Submission:
    """Parse every answer in ``raw_answers`` and, when ``complete``, require the required ones.

    Keys that are not questions of the template (a CSRF token, a button name) are ignored.
    Errors come in template order, one per question, so the error summary matches the page.

    Examples
    --------
    >>> from audit_forms.templates import builtin_templates
    >>> core = builtin_templates()[("core-front-door", 1)]
    >>> result = validate_submission(core, {"overall_grade": "grand"}, complete=False)
    >>> result.ok, [e.message for e in result.errors]
    (False, ['Select an overall grade'])
    >>> validate_submission(core, {"overall_grade": "good"}, complete=False).ok
    True
    """
    answers: dict[str, ParsedAnswer] = {}
    errors: list[FieldError] = []
    for question in template.questions:
        raw = raw_answers.get(question.key, "")
        try:
            parsed = parse_answer(question, raw)
        except AnswerError as exc:
            errors.append(FieldError(question.key, exc.message))
            continue
        answers[question.key] = parsed
        if complete and question.required and not parsed.answered:
            errors.append(FieldError(question.key, missing_message(question)))
    return Submission(answers, tuple(errors))
