"""SEF section 5 (Quality of practice) and 8(a) (Outcomes for the child) from the audit tables.

Everything returned is plain JSON-ready data (dicts, lists, numbers, strings), so a
snapshot can be stored in ``SefSection`` and exported as it was seen.  Children appear
only as keyed pseudonyms and age bands.  Only finalised cases count unless the scope
says otherwise.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session, select

from audit_forms import OFSTED_SCALE, agreement, builtin_templates, grade_pairs, latest
from audit_forms.rollup import (
    TOO_FEW,
    TOO_FEW_LABEL,
    Proportion,
    answer_proportion,
    grade_distribution,
    option_counts,
    proportion,
    rank,
)
from journeys import STAGE_LABELS, STAGES, build_journey
from journeys.findings import STAGE_OF_KIND

from ..calendar import bank_holidays
from ..mapping import to_events
from ..models import Answer, Audit, AuditAction, AuditCase, Child, Event, Moderation, Quote, User
from .pseudonyms import pseudonym

__all__ = [
    "Scope",
    "AGE_BANDS",
    "age_band",
    "proportion_dict",
    "scoped_cases",
    "section5",
    "section8a",
    "LEARNING_THEMES",
    "learning_themes",
    "flag_identifiers",
    "quote_candidates",
]

FINAL = ("finalised",)
COUNTED_WHEN_ASKED = ("submitted", "moderation", "moderated", "finalised")

#: (label, lowest age in years, highest age in years or None): the DfE's published bands.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Under 1", 0, 0),
    ("1 to 4", 1, 4),
    ("5 to 9", 5, 9),
    ("10 to 15", 10, 15),
    ("16 and over", 16, None),
)

#: Learning themes recognised in rationales and learning notes: label -> phrases.
LEARNING_THEMES: dict[str, tuple[str, ...]] = {
    "Chronology and history": ("chronology", "history", "previous referral"),
    "Voice of the child": ("voice", "wishes and feelings", "seen alone", "lived experience"),
    "Management oversight": ("management oversight", "manager", "oversight"),
    "Supervision": ("supervision",),
    "Drift and delay": ("drift", "delay", "late", "timescale"),
    "Strategy discussion": ("strategy discussion", "strategy meeting"),
    "Information sharing": ("information sharing", "shared information", "not shared"),
    "Plan not specific": ("plan not specific", "smart plan", "vague plan", "plan was unclear"),
    "Analysis of risk": ("analysis", "risk assessment", "cumulative harm"),
    "Threshold application": ("threshold",),
    "Consent": ("consent",),
    "Partnership working": ("partner", "multi-agency", "multi agency"),
    "Recording": ("recording", "case note", "record"),
    "Fathers and men in the household": ("father", "partner of mother", "male carer"),
}

_THEME_PATTERNS = {
    theme: re.compile("|".join(r"\b" + re.escape(p) for p in phrases))
    for theme, phrases in LEARNING_THEMES.items()
}
RATIONALE_KEYS = ("overall_rationale", "learning", "good_practice")
QUOTE_KEYS = ("voice_comment", "outcome_evidence")
TIMED = {
    "assessment": ("referral_to_assessment_days", "referral_to_assessment", 45),
    "icpc": ("strategy_to_icpc_days", "s47_to_icpc", 15),
}
QUADRANTS = {
    (True, True): "Timely and good",
    (False, True): "Good but late",
    (True, False): "Timely but not good",
    (False, False): "Late and not good",
}


@dataclass(frozen=True)
class Scope:
    """Which audited cases a roll-up covers.

    ``start``/``end``: an audit is in the period when its due date (else its period end,
    else the day it was created) falls within it.  ``audit_id`` or ``theme`` narrow it.
    ``include_unfinalised`` counts submitted and moderated cases too.
    """

    start: date
    end: date
    audit_id: int | None = None
    theme: str | None = None
    include_unfinalised: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scope":
        return cls(
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            audit_id=data.get("audit_id"),
            theme=data.get("theme"),
            include_unfinalised=bool(data.get("include_unfinalised")),
        )

    def describe(self, audit_title: str | None = None) -> str:
        text = f"{self.start:%d %B %Y} to {self.end:%d %B %Y}"
        if self.audit_id is not None:
            text += f", audit: {audit_title or self.audit_id}"
        if self.theme:
            text += f", theme: {self.theme.replace('_', ' ')}"
        text += ", all submitted cases" if self.include_unfinalised else ", finalised cases only"
        return text


def age_band(dob: date | None, on: date) -> str:
    """The age band of a child born on ``dob`` at ``on``.

    >>> age_band(date(2020, 6, 1), date(2025, 5, 31)), age_band(None, date(2025, 1, 1))
    ('1 to 4', 'Not known')
    """
    if dob is None:
        return "Not known"
    if dob > on:
        return "Unborn"
    years = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    for label, low, high in AGE_BANDS:
        if years >= low and (high is None or years <= high):
            return label
    return "Not known"


def proportion_dict(p: Proportion) -> dict[str, Any]:
    """A proportion as JSON: numerator, n, value, 95% Wilson interval and its label."""
    return {
        "numerator": p.numerator,
        "denominator": p.denominator,
        "value": p.value,
        "ci_low": p.ci[0] if p.ci else None,
        "ci_high": p.ci[1] if p.ci else None,
        "too_few": p.too_few,
        "summary": p.label(),
        "percent_text": "–" if p.value is None else f"{100 * p.value:.0f}%",
        "ci_text": (f"{100 * p.ci[0]:.0f}% to {100 * p.ci[1]:.0f}%" if p.ci else "–"),
    }


@lru_cache(maxsize=1)
def _templates():
    return builtin_templates()


def _template(key: str | None, version: int | None):
    templates = _templates()
    if key and version and (key, version) in templates:
        return templates[(key, version)]
    try:
        return latest(templates, key or "core-front-door")
    except KeyError:
        return latest(templates, "core-front-door")


def _audit_day(audit: Audit) -> date:
    if audit.due_date:
        return audit.due_date
    if audit.period_end:
        return audit.period_end
    return audit.created_at.date() if audit.created_at else date.min


@dataclass
class _Case:
    row: AuditCase
    audit: Audit
    child: Child
    answers: dict[str, Any]
    grade: str | None
    template: Any
    pseudonym: str
    age_band: str
    team: str
    stage: str
    auditor: str
    timed: dict[str, Any] | None = None


def _audits_in(scope: Scope, *, session: Session) -> list[Audit]:
    query = select(Audit)
    if scope.audit_id is not None:
        query = query.where(Audit.id == scope.audit_id)
    if scope.theme:
        query = query.where(Audit.theme == scope.theme)
    audits = session.exec(query.order_by(Audit.id)).all()
    if scope.audit_id is not None:
        return list(audits)
    return [a for a in audits if scope.start <= _audit_day(a) <= scope.end]


COMPLETED_STATUSES = frozenset({"submitted", "moderated", "finalised"})


def _planned(audit_ids: list[int], *, session: Session) -> list[AuditCase]:
    if not audit_ids:
        return []
    return list(
        session.exec(
            select(AuditCase).where(
                AuditCase.audit_id.in_(audit_ids),
                AuditCase.reserve == False,  # noqa: E712
                AuditCase.replaced == False,  # noqa: E712
            )
        ).all()
    )


def _chunks(values: list, size: int = 500) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def scoped_cases(scope: Scope, *, session: Session, secret: bytes) -> dict[str, Any]:
    """The audits in scope, their planned cases, and the counted cases with what they need."""
    audits = _audits_in(scope, session=session)
    by_id = {a.id: a for a in audits}
    planned = _planned(list(by_id), session=session)
    statuses = COUNTED_WHEN_ASKED if scope.include_unfinalised else FINAL
    counted_rows = [c for c in planned if c.status in statuses]
    case_ids = [c.id for c in counted_rows]
    child_ids = sorted({c.child_id for c in counted_rows})

    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    children: dict[int, Child] = {}
    events: dict[int, list[Event]] = defaultdict(list)
    for chunk in _chunks(case_ids):
        # Columns, not rows: a large audit has tens of thousands of answers.
        found = session.exec(
            select(Answer.audit_case_id, Answer.question_key, Answer.value).where(
                Answer.audit_case_id.in_(chunk)
            )
        ).all()
        for case_id, key, value in found:
            answers[case_id][key] = value
    for chunk in _chunks(child_ids):
        for child in session.exec(select(Child).where(Child.id.in_(chunk))).all():
            children[child.id] = child
        for event in session.exec(select(Event).where(Event.child_id.in_(chunk))).all():
            events[event.child_id].append(event)
    users = {u.id: (u.display_name or u.username) for u in session.exec(select(User)).all()}

    cases = []
    for row in counted_rows:
        audit = by_id[row.audit_id]
        child = children[row.child_id]
        child_events = sorted(events[row.child_id], key=lambda e: (e.start_date, e.occurrence))
        on = (row.finalised_at.date() if row.finalised_at else None) or _audit_day(audit)
        team = next((e.team for e in reversed(child_events) if e.team), None)
        reached = {STAGE_OF_KIND[e.kind] for e in child_events if e.kind in STAGE_OF_KIND}
        stage = max(reached, key=STAGES.index) if reached else None
        case = _Case(
            row=row,
            audit=audit,
            child=child,
            answers=answers[row.id],
            grade=row.final_grade or row.overall_grade or answers[row.id].get("overall_grade"),
            template=_template(
                row.template_key or audit.template_key,
                row.template_version or audit.template_version,
            ),
            pseudonym=pseudonym(child.child_ref, secret),
            age_band=age_band(child.dob, on),
            team=team or "Not recorded",
            stage=STAGE_LABELS.get(stage, "Not recorded") if stage else "Not recorded",
            auditor=users.get(row.auditor_id, "Not assigned") if row.auditor_id else "Not assigned",
        )
        case.timed = _timed(case, child_events, on)
        cases.append(case)
    return {"audits": audits, "planned": planned, "cases": cases}


def _number(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _timed(case: _Case, child_events: list[Event], on: date) -> dict[str, Any] | None:
    """The timeliness of the case's ICPC, else its assessment, in working days.

    The auditor's confirmed figure (prefilled from the journey) wins; failing that the
    journey's own check, the latest of its kind.
    """
    for kind in ("icpc", "assessment"):
        key, _, limit = TIMED[kind]
        days = _number(case.answers.get(key))
        if days is not None:
            return {"measure": kind, "working_days": days, "limit": limit, "source": "audit"}
    if not child_events:
        return None
    G = build_journey(to_events(child_events), as_of=on, holidays=bank_holidays())
    checks = G.graph.get("timeliness") or []
    for kind in ("icpc", "assessment"):
        _, rule, limit = TIMED[kind]
        found = [t for t in checks if t.rule == rule and t.working_days is not None and t.end]
        if found:
            last = max(found, key=lambda t: t.start)
            return {
                "measure": kind,
                "working_days": last.working_days,
                "limit": limit,
                "source": "journey",
            }
    return None


def _grade_table(cases: list[_Case], key) -> list[dict[str, Any]]:
    groups: dict[str, list[str | None]] = defaultdict(list)
    for case in cases:
        groups[key(case)].append(case.grade)
    dists = {name: grade_distribution(grades) for name, grades in groups.items()}
    ranked = rank({name: d.good_or_better for name, d in dists.items()})
    rows = []
    for r in ranked:
        d = dists[r.name]
        rows.append(
            {
                "group": r.name,
                "n": d.n,
                "position": r.label,
                "too_few": r.position is None,
                "good_or_better": proportion_dict(d.good_or_better),
                "inadequate": proportion_dict(d.inadequate),
            }
        )
    return rows


def _question_measures(cases: list[_Case], rollup: str) -> list[dict[str, Any]]:
    """One proportion per choice question feeding ``rollup``, pooled over templates by key."""
    questions: dict[str, Any] = {}
    values: dict[str, list] = defaultdict(list)
    for case in cases:
        for q in case.template.feeding(rollup):
            if q.type in ("multiple_choice", "text", "number", "date", "grade") or not q.options:
                continue
            questions.setdefault(q.key, q)
            values[q.key].append(case.answers.get(q.key))
    rows = []
    for key, q in questions.items():
        valid = [v for v in values[key] if v is None or v in q.values]
        rows.append({"key": key, "label": q.label, **proportion_dict(answer_proportion(q, valid))})
    return rows


def _threshold(cases: list[_Case]) -> dict[str, Any]:
    question = None
    answers = []
    for case in cases:
        for q in case.template.feeding("threshold"):
            if q.type == "threshold":
                question = question or q
                value = case.answers.get(q.key)
                if value is None or value in q.values:
                    answers.append(value)
                break
    if question is None:
        return {"rows": [], "n": 0}
    counts, n = option_counts(question, answers)
    rows = [
        {
            "key": value,
            "label": question.option_label(value),
            **proportion_dict(proportion(count, n)),
        }
        for value, count in counts.items()
    ]
    return {"rows": rows, "n": n}


def learning_themes(texts: Iterable[str]) -> Counter:
    """How many of ``texts`` mention each learning theme (each text counts once per theme).

    >>> learning_themes(["No chronology on file; drift after the strategy discussion.",
    ...                  "Chronology missing"])["Chronology and history"]
    2
    """
    counts: Counter = Counter()
    for text in texts:
        lower = (text or "").lower()
        for theme, pattern in _THEME_PATTERNS.items():
            if pattern.search(lower):
                counts[theme] += 1
    return counts


def _actions(cases: list[_Case], as_of: date, *, session: Session) -> dict[str, Any]:
    ids = [c.row.id for c in cases]
    actions: list[AuditAction] = []
    for chunk in _chunks(ids):
        actions += session.exec(
            select(AuditAction).where(AuditAction.audit_case_id.in_(chunk))
        ).all()
    with_actions = {a.audit_case_id for a in actions}
    open_actions = [a for a in actions if a.status != "done"]
    overdue = [a for a in open_actions if a.due_date and a.due_date < as_of]
    return {
        "cases_with_actions": proportion_dict(proportion(len(with_actions), len(cases))),
        "actions": len(actions),
        "open": len(open_actions),
        "overdue": len(overdue),
        "done": len(actions) - len(open_actions),
    }


def _moderation(cases: list[_Case], *, session: Session) -> dict[str, Any]:
    by_case = {c.row.id: c for c in cases}
    rows: list[Moderation] = []
    for chunk in _chunks(list(by_case)):
        rows += session.exec(
            select(Moderation).where(
                Moderation.audit_case_id.in_(chunk), Moderation.submitted_at.is_not(None)
            )
        ).all()
    pairs = []
    for m in rows:
        case = by_case[m.audit_case_id]
        second = (m.grades or {}).get("overall_grade")
        first = case.row.overall_grade or case.answers.get("overall_grade")
        if first in OFSTED_SCALE.values and second in OFSTED_SCALE.values:
            pairs.append((first, second))
    result = agreement(grade_pairs(pairs))
    return {
        "n": result.n,
        "exact": proportion_dict(result.exact),
        "within_one": proportion_dict(result.within_one),
        "kappa": None if result.kappa.value is None else round(result.kappa.value, 3),
        "kappa_reason": result.kappa.reason,
    }


def _matrix(cases: list[_Case]) -> dict[str, Any]:
    points, untimed = [], 0
    for case in cases:
        if case.grade not in OFSTED_SCALE.values or case.timed is None:
            untimed += 1
            continue
        t = case.timed
        timely = t["working_days"] <= t["limit"]
        good = OFSTED_SCALE.index(case.grade) < OFSTED_SCALE.good_or_better
        points.append(
            {
                "pseudonym": case.pseudonym,
                "grade": case.grade,
                "grade_label": OFSTED_SCALE.label(case.grade),
                "measure": "Initial conference" if t["measure"] == "icpc" else "Assessment",
                "working_days": t["working_days"],
                "limit": t["limit"],
                "margin": t["limit"] - t["working_days"],
                "timely": timely,
                "quadrant": QUADRANTS[(timely, good)],
                "source": t["source"],
                "theme": case.audit.theme,
                "age_band": case.age_band,
            }
        )
    points.sort(key=lambda p: (p["quadrant"], p["pseudonym"]))
    counts = Counter(p["quadrant"] for p in points)
    return {
        "points": points,
        "untimed": untimed,
        "quadrants": [{"quadrant": q, "n": counts.get(q, 0)} for q in QUADRANTS.values()],
    }


def section5(
    scope: Scope,
    *,
    session: Session,
    secret: bytes,
    as_of: date | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every figure of SEF section 5 for ``scope``, as plain data.

    ``as_of`` (default: the end of the period) decides which open actions are overdue
    and which planned audits were due.
    """
    as_of = as_of or scope.end
    data = data or scoped_cases(scope, session=session, secret=secret)
    cases: list[_Case] = data["cases"]
    planned: list[AuditCase] = data["planned"]
    audits_by_id = {a.id: a for a in data["audits"]}
    due = [c for c in planned if (c.due_date or _audit_day(audits_by_id[c.audit_id])) <= as_of]
    # Completed means the auditor has finished (submitted, moderated or finalised); which of
    # those the figures count is the scope's choice (finalised only, by default).
    completed_due = [c for c in due if c.status in COMPLETED_STATUSES]
    dist = grade_distribution(c.grade if c.grade in OFSTED_SCALE.values else None for c in cases)

    tags = Counter(t for c in cases for t in set(c.row.tags or []))
    rationale_texts = [" ".join(str(c.answers.get(k) or "") for k in RATIONALE_KEYS) for c in cases]
    themes = learning_themes(rationale_texts)
    learning = [
        {"theme": t.replace("_", " "), "source": "tag", "cases": n} for t, n in tags.most_common()
    ]
    learning += [{"theme": t, "source": "rationale", "cases": n} for t, n in themes.most_common()]
    learning.sort(key=lambda r: (-r["cases"], r["source"], r["theme"]))
    for row in learning:
        row["recurring"] = row["cases"] >= 2

    return {
        "scope": scope.to_dict(),
        "as_of": as_of.isoformat(),
        "audits": [
            {"id": a.id, "title": a.title, "theme": a.theme, "status": a.status}
            for a in data["audits"]
        ],
        "completion": {
            "planned": len(planned),
            "due": len(due),
            "completed_of_due": proportion_dict(proportion(len(completed_due), len(due))),
            "finalised": sum(c.status == "finalised" for c in planned),
        },
        "number_audited": len(cases),
        "grades": {
            "n": dist.n,
            "rows": [
                {
                    "grade": g,
                    "label": OFSTED_SCALE.label(g),
                    "count": dist.counts[g],
                    **proportion_dict(proportion(dist.counts[g], dist.n)),
                }
                for g in OFSTED_SCALE.values
            ],
            "ungraded": len(cases) - dist.n,
            "good_or_better": proportion_dict(dist.good_or_better),
            "inadequate": proportion_dict(dist.inadequate),
        },
        "by": {
            "theme": _grade_table(cases, lambda c: c.audit.theme.replace("_", " ")),
            "team": _grade_table(cases, lambda c: c.team),
            "stage": _grade_table(cases, lambda c: c.stage),
            "auditor": _grade_table(cases, lambda c: c.auditor),
        },
        "threshold": _threshold(cases),
        "management_oversight": _question_measures(cases, "management_oversight"),
        "voice_of_child": _question_measures(cases, "voice_of_child"),
        "actions": _actions(cases, as_of, session=session),
        "moderation": _moderation(cases, session=session),
        "learning": learning,
        "matrix": _matrix(cases),
        "too_few": TOO_FEW,
        "too_few_label": TOO_FEW_LABEL,
    }


def _measure(cases: list[_Case], key: str, label: str) -> dict[str, Any]:
    question = None
    values = []
    for case in cases:
        try:
            q = case.template.question(key)
        except KeyError:
            continue
        question = question or q
        value = case.answers.get(key)
        values.append(value if value is None or value in q.values else None)
    p = answer_proportion(question, values) if question else proportion(0, 0)
    return {"key": key, "label": label, **proportion_dict(p)}


def section8a(
    scope: Scope, *, session: Session, secret: bytes, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """SEF 8(a): made a difference, seen alone, views influenced the plan, approved quotes."""
    data = data or scoped_cases(scope, session=session, secret=secret)
    cases: list[_Case] = data["cases"]
    ids = [c.row.id for c in cases]
    by_case = {c.row.id: c for c in cases}
    quotes = []
    for chunk in _chunks(ids):
        for q in session.exec(
            select(Quote).where(Quote.audit_case_id.in_(chunk), Quote.approved == True)  # noqa: E712
        ).all():
            case = by_case[q.audit_case_id]
            quotes.append(
                {
                    "text": q.text,
                    "theme": (q.theme or case.audit.theme).replace("_", " "),
                    "age_band": q.age_band or case.age_band,
                }
            )
    quotes.sort(key=lambda q: (q["theme"], q["age_band"], q["text"]))
    return {
        "scope": scope.to_dict(),
        "number_audited": len(cases),
        "measures": [
            _measure(cases, "made_a_difference", "Practice made a difference (improved)"),
            _measure(cases, "seen_alone", "Child seen alone"),
            _measure(cases, "views_influenced_plan", "Child's views influenced the plan"),
        ],
        "quotes": quotes,
    }


# -- quotes: candidates and the identifier check ------------------------------------------

_DATE_PATTERNS = (
    r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b",
    r"\b\d{4}-\d{1,2}-\d{1,2}\b",
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+\d{2,4})?\b",
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b",
    r"\b(?:19|20)\d{2}\b",
)
_ID_PATTERN = r"\b(?=[A-Za-z0-9/-]*\d)[A-Za-z]{0,4}[0-9][A-Za-z0-9/-]{3,}\b"
_NAME_PATTERN = r"\b[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?\b"
#: Capitalised words that are not names.
_NOT_NAMES = frozenset(
    """
I I'm I've Mum Mummy Dad Daddy Nan Nana Grandma Grandad Granny Auntie Uncle Brother Sister
Baby School College Police Health Social Worker Teacher Doctor Nurse Christmas Easter
Monday Tuesday Wednesday Thursday Friday Saturday Sunday English He She They We You It
The A An And But When Because If So My Our Their His Her Its This That There Then Now
Yes No Not Sometimes Always Never Home Mr Mrs Ms Miss
""".split()
)
_MONTHS = frozenset(
    "January February March April May June July August September October November December".split()
)


def flag_identifiers(
    text: str, *, known_refs: Iterable[str] = (), known_names: Iterable[str] = ()
) -> list[dict[str, str]]:
    """What in ``text`` looks like a child ID, a date or a name: ``[{"kind", "text"}]``.

    Names are capitalised words that are not at the start of a sentence and not in a list
    of common words; any word in ``known_names`` counts wherever it is.

    >>> [f["kind"] for f in flag_identifiers("I told Kayleigh on 3/4/2024, my number is A123456")]
    ['date', 'child ID', 'name']
    >>> flag_identifiers("I feel safer at home now. Mum listens.")
    []
    """
    flags: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, found: str) -> None:
        if (kind, found.lower()) not in seen:
            seen.add((kind, found.lower()))
            flags.append({"kind": kind, "text": found})

    spans: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            if any(s <= m.start() < e for s, e in spans):
                continue  # the year of a date already flagged
            add("date", m.group(0))
            spans.append(m.span())
    refs = {r.lower() for r in known_refs if r}
    for m in re.finditer(_ID_PATTERN, text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        add("child ID", m.group(0))
    for token in re.findall(r"[A-Za-z0-9-]+", text):
        if token.lower() in refs:
            add("child ID", token)
    names = {n.lower() for n in known_names if n}
    for m in re.finditer(_NAME_PATTERN, text):
        word = m.group(0)
        before = text[: m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?\"'“‘(:"
        if word.lower() in names:
            add("name", word)
        elif word not in _NOT_NAMES and word not in _MONTHS and not sentence_start:
            add("name", word)
    return flags


def known_names(*, session: Session) -> set[str]:
    """Workers' and users' names split into words: a quote naming them is flagged."""
    names: set[str] = set()
    for worker in session.exec(
        select(Event.worker).where(Event.worker.is_not(None)).distinct()
    ).all():
        names.update(w for w in re.split(r"[\s.]+", worker) if len(w) > 1)
    for user in session.exec(select(User)).all():
        for value in (user.display_name, user.worker_name):
            if value:
                names.update(w for w in re.split(r"[\s.]+", value) if len(w) > 1)
    return names


def quote_candidates(
    scope: Scope, *, session: Session, secret: bytes, data: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Text answers about the child's experience in scope that could become quotes."""
    data = data or scoped_cases(scope, session=session, secret=secret)
    picked = {(q.audit_case_id, q.question_key) for q in session.exec(select(Quote)).all()}
    rows = []
    for case in data["cases"]:
        for key in QUOTE_KEYS:
            text = case.answers.get(key)
            if isinstance(text, str) and text.strip() and (case.row.id, key) not in picked:
                rows.append(
                    {
                        "audit_case_id": case.row.id,
                        "question_key": key,
                        "text": text,
                        "child_ref": case.child.child_ref,
                        "pseudonym": case.pseudonym,
                        "theme": case.audit.theme,
                        "age_band": case.age_band,
                    }
                )
    return rows


def now() -> datetime:
    return datetime.now(UTC)
