"""Cohort rules and the sampling frame: which children an audit may draw from.

Rules are a small dict (``{"event": "referral", "from": "2025-04-01", "factors": ["3A"]}``)
checked by :func:`parse_rules` and turned into one set-based query over
``JourneySummary`` joined to ``Child`` (and ``Event`` where a rule needs an event).
The same rules, the same data and the same date give the same frame.
"""

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlmodel import Session

from audit_forms.sampling import METHODS, Draw, describe_draw, draw
from journeys import ANOMALY_CODES, EVENT_KINDS, KIND_LABELS, STAGE_LABELS, STAGES

from ..models import Audit, AuditCase, Child, Event, JourneySummary
from .factors import code_children

__all__ = [
    "AGE_BANDS",
    "CP_CATEGORIES",
    "FACTOR_LABELS",
    "MARKERS",
    "OUTCOMES",
    "REFERRAL_SOURCES",
    "RULE_LABELS",
    "STRATA",
    "THEMES",
    "Frame",
    "FrameCounts",
    "RuleError",
    "Drawn",
    "Exclusions",
    "default_reserves",
    "describe_rules",
    "draw_sample",
    "frame_counts",
    "has_factor_data",
    "load_frame",
    "parse_rules",
    "rule_pairs",
]

#: CIN census "factors identified at the end of assessment": A the child, B a parent or
#: carer, C another person in the household.  18A and 19A are the codes used before
#: physical and sexual abuse were split by who is the concern; old data still carry them.
FACTOR_LABELS: dict[str, str] = {
    "1A": "Alcohol misuse: child", "1B": "Alcohol misuse: parent or carer",
    "1C": "Alcohol misuse: other person",
    "2A": "Drug misuse: child", "2B": "Drug misuse: parent or carer",
    "2C": "Drug misuse: other person",
    "3A": "Domestic abuse: child", "3B": "Domestic abuse: parent or carer",
    "3C": "Domestic abuse: other person",
    "4A": "Mental health: child", "4B": "Mental health: parent or carer",
    "4C": "Mental health: other person",
    "5A": "Learning disability: child", "5B": "Learning disability: parent or carer",
    "5C": "Learning disability: other person",
    "6A": "Physical disability or illness: child",
    "6B": "Physical disability or illness: parent or carer",
    "6C": "Physical disability or illness: other person",
    "7A": "Young carer", "8B": "Privately fostered", "8C": "Privately fostered",
    "8D": "Privately fostered", "8E": "Privately fostered", "8F": "Privately fostered",
    "9A": "Unaccompanied asylum-seeking child", "10A": "Going missing",
    "11A": "Child sexual exploitation", "12A": "Trafficking", "13A": "Gangs",
    "14A": "Socially unacceptable behaviour", "15A": "Self-harm", "16A": "Neglect",
    "17A": "Emotional abuse", "18A": "Physical abuse (legacy code)",
    "18B": "Physical abuse: by a parent or carer", "18C": "Physical abuse: by another person",
    "19A": "Sexual abuse (legacy code)", "19B": "Sexual abuse: by a parent or carer",
    "19C": "Sexual abuse: by another person", "20": "Other", "21": "No factors identified",
    "22A": "Female genital mutilation", "23A": "Abuse linked to faith or belief",
    "24A": "Child criminal exploitation",
}  # fmt: skip

CP_CATEGORIES: dict[str, str] = {
    "NEG": "Neglect", "PHY": "Physical abuse", "SAB": "Sexual abuse", "EMO": "Emotional abuse",
    "MUL": "Multiple",
}  # fmt: skip

#: CIN census ReferralSource codes.
REFERRAL_SOURCES: dict[str, str] = {
    "1A": "Individual: family member, relative or carer", "1B": "Individual: acquaintance",
    "1C": "Individual: self", "1D": "Individual: other", "2A": "Schools",
    "2B": "Education services", "3A": "Health: GP", "3B": "Health: health visitor",
    "3C": "Health: school nurse", "3D": "Health: other primary health services",
    "3E": "Health: A&E", "3F": "Health: other", "4": "Housing",
    "5A": "LA services: social care", "5B": "LA services: other internal",
    "5C": "LA services: external", "6": "Police", "7": "Other legal agency", "8": "Other",
    "9": "Anonymous", "10": "Unknown",
}  # fmt: skip

OUTCOMES: dict[str, str] = {
    "nfa": "No further action", "early_help": "Early help", "cin": "Child in need",
    "s47": "Section 47 enquiry", "cp_plan": "Child protection plan", "lac": "Looked after",
}  # fmt: skip

#: Age bands as the DfE publishes them, with the unborn apart; (lowest age, next band's age).
AGE_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "unborn": ("Unborn", None, None),
    "under_1": ("Under 1", 0, 1),
    "1_4": ("1 to 4", 1, 5),
    "5_9": ("5 to 9", 5, 10),
    "10_15": ("10 to 15", 10, 16),
    "16_plus": ("16 and over", 16, None),
}

#: What a stratified draw may stratify by.
STRATA: dict[str, str] = {
    "team": "team",
    "stage": "stage reached",
    "age_band": "age band",
    "ethnicity": "ethnicity",
}

#: Markers a purposive draw may rank by (highest first).
MARKERS: dict[str, str] = {
    "referral_count": "number of referrals",
    "anomaly_count": "number of data anomalies",
    "breach_count": "number of missed timescales",
}

#: theme -> (label, pre-selected rules, default method, a note for the page).
THEMES: dict[str, tuple[str, dict, str, str]] = {
    "neglect": ("Neglect", {"factors": ["16A"], "cp_category": ["NEG"], "match": "any"},
                "random", ""),
    "cse": ("Child sexual exploitation", {"factors": ["11A"]}, "random", ""),
    "cce": ("Child criminal exploitation and gangs", {"factors": ["13A", "24A"]}, "random", ""),
    "missing": ("Missing", {"factors": ["10A"]}, "random", ""),
    "trafficking": ("Trafficking", {"factors": ["12A"]}, "random", ""),
    "domestic_abuse": ("Domestic abuse", {"factors": ["3A", "3B", "3C"]}, "random", ""),
    "toxic_trio": ("The “toxic trio”",
                   {"factors": ["1B", "1C", "2B", "2C", "3A", "3B", "3C", "4B", "4C"]},
                   "random", ""),
    "fgm": ("Female genital mutilation", {"factors": ["22A"]}, "random", ""),
    "faith": ("Abuse linked to faith or belief", {"factors": ["23A"]}, "random", ""),
    "disability": ("Disability", {"disability": "yes"}, "random", ""),
    "radicalisation": ("Radicalisation", {}, "purposive",
                       "Radicalisation has no assessment factor code, so this theme is drawn "
                       "purposively: narrow the frame with the other rules and choose "
                       "the children."),
    "under_ones": ("Unborn and under-ones", {"age_band": ["unborn", "under_1"]}, "random", ""),
    "front_door": ("Front-door decisions", {"event": "referral"}, "random", ""),
    "general": ("General dip sample", {}, "random", ""),
}  # fmt: skip

YES_NO_RULES = ("disability", "rereferred", "repeat_cp", "overdue_assessment")
LIST_RULES = ("stage", "outcome", "source", "cp_category", "factors", "age_band", "ethnicity",
              "team", "worker")  # fmt: skip

RULE_LABELS: dict[str, str] = {
    "event": "event", "from": "from", "to": "to", "stage": "stage reached",
    "outcome": "outcome", "source": "referral source", "cp_category": "CP category",
    "factors": "assessment factors", "match": "factors and category match",
    "age_band": "age band", "ethnicity": "ethnicity", "disability": "disability",
    "team": "team", "worker": "worker", "rereferred": "re-referred within 12 months",
    "repeat_cp": "repeat CP plan", "overdue_assessment": "overdue assessment",
    "anomalies": "data anomalies",
}  # fmt: skip

_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}
_ETHNICITY = re.compile(r"^[A-Z]{4}$")


class RuleError(ValueError):
    """A rule that cannot be used; ``key`` names the field, ``value`` what was given."""

    def __init__(self, key: str, value: object, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.value = value


def _values(raw: object) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[str] = []
    for item in items:
        for part in str(item if item is not None else "").split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _yes_no(key: str, raw: object) -> str | None:
    values = _values(raw)
    if not values:
        return None
    text = values[0].lower()
    if text in _TRUE:
        return "yes"
    if text in _FALSE:
        return "no"
    raise RuleError(
        key, raw, f"{RULE_LABELS[key].capitalize()} must be yes or no, not ‘{values[0]}’"
    )


def _day(key: str, raw: object) -> str | None:
    values = _values(raw)
    if not values:
        return None
    try:
        return date.fromisoformat(values[0]).isoformat()
    except ValueError:
        raise RuleError(
            key,
            raw,
            f"The ‘{RULE_LABELS[key]}’ date must be a real date like 2025-04-01, not ‘{values[0]}’",
        ) from None


def _choose(key: str, raw: object, allowed: Iterable[str], *, upper: bool = False) -> list[str]:
    allowed = list(allowed)
    chosen = []
    for value in _values(raw):
        value = value.upper() if upper else value
        if value not in allowed:
            raise RuleError(
                key,
                raw,
                f"‘{value}’ is not a value of the rule ‘{RULE_LABELS[key]}’ "
                f"(one of {', '.join(allowed)})",
            )
        if value not in chosen:
            chosen.append(value)
    return chosen


def parse_rules(raw: Mapping[str, object]) -> dict:
    """Check and normalise cohort rules; raises :class:`RuleError` for the first bad one.

    Values may be lists or comma-separated text; empty values are dropped.
    """
    rules: dict = {}
    for key in raw:
        if key not in RULE_LABELS:
            known = ", ".join(RULE_LABELS)
            raise RuleError(
                key, raw[key], f"There is no cohort rule called ‘{key}’ (rules: {known})"
            )
    if _values(raw.get("event")):
        rules["event"] = _choose("event", raw.get("event"), EVENT_KINDS)[0]
    for key in ("from", "to"):
        day = _day(key, raw.get(key))
        if day:
            rules[key] = day
    if ("from" in rules or "to" in rules) and "event" not in rules:
        rules["event"] = "referral"
    if "from" in rules and "to" in rules and rules["from"] > rules["to"]:
        raise RuleError("to", raw.get("to"), "The ‘to’ date must be on or after the ‘from’ date")
    choices = {
        "stage": STAGES, "outcome": OUTCOMES, "source": REFERRAL_SOURCES,
        "cp_category": CP_CATEGORIES, "factors": FACTOR_LABELS, "age_band": AGE_BANDS,
    }  # fmt: skip
    for key in LIST_RULES:
        if key in choices:
            values = _choose(
                key, raw.get(key), choices[key], upper=key in ("factors", "cp_category")
            )
        else:
            values = _values(raw.get(key))
        if key == "ethnicity":
            values = list(dict.fromkeys(v.upper() for v in values))
            bad = [v for v in values if not _ETHNICITY.match(v)]
            if bad:
                raise RuleError(
                    key, raw.get(key), f"‘{bad[0]}’ is not an ethnicity code such as WBRI"
                )
        if values:
            rules[key] = values
    for key in YES_NO_RULES:
        value = _yes_no(key, raw.get(key))
        if value:
            rules[key] = value
    anomalies = _values(raw.get("anomalies"))
    if anomalies:
        if anomalies[0].lower() in _TRUE | _FALSE:
            rules["anomalies"] = _yes_no("anomalies", anomalies[0])
        else:
            rules["anomalies"] = _choose("anomalies", anomalies, ANOMALY_CODES)
    match = _values(raw.get("match"))
    if match:
        rules["match"] = _choose("match", match, ("all", "any"))[0]
    if rules.get("match") == "all" or not ({"factors", "cp_category"} <= set(rules)):
        rules.pop("match", None)
    return rules


def rule_pairs(pairs: Iterable[str]) -> dict[str, list[str]]:
    """``["factors=3A,3B", "team=North"]`` -> raw rules; raises RuleError for a pair without '='."""
    raw: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise RuleError(pair, pair, f"‘{pair}’ is not KEY=VALUE")
        raw.setdefault(key.strip(), []).append(value)
    return raw


# ---------------------------------------------------------------------------------------------
# The query


def _years_before(day: date, years: int) -> date:
    year = day.year - years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def _born_between(band: str, as_of: date):
    _, low, high = AGE_BANDS[band]
    if band == "unborn":
        return and_(Child.dob.is_(None), Child.expected_dob.is_not(None))
    condition = [Child.dob.is_not(None), Child.dob <= as_of]
    if low:
        condition.append(Child.dob <= _years_before(as_of, low))
    if high is not None:
        condition.append(Child.dob > _years_before(as_of, high))
    return and_(*condition)


def age_band_column(as_of: date):
    """SQL giving each child's age band key at ``as_of`` (None when unknown)."""
    return case(
        *[(_born_between(band, as_of), literal(band)) for band in AGE_BANDS], else_=literal(None)
    )


def _any_listed(kind: str, codes: Iterable[str]):
    # whole codes of the summary's comma-separated list ("3A" never matches "13A"), read
    # from their own table's (kind, code) index instead of a LIKE over every summary
    return JourneySummary.child_id.in_(code_children(kind, codes))


def _event_children(kind: str, *conditions):
    return select(Event.child_id).where(Event.kind == kind, *conditions)


def _yes(rule: str, condition):
    return condition if rule == "yes" else not_(condition)


def conditions(rules: Mapping, *, as_of: date, factor_data: bool = True) -> list:
    """SQL conditions over JourneySummary (as ``JourneySummary``) and Child for ``rules``."""
    js = JourneySummary
    where: list = []
    event_conditions = []
    if "from" in rules:
        event_conditions.append(Event.start_date >= date.fromisoformat(rules["from"]))
    if "to" in rules:
        event_conditions.append(Event.start_date <= date.fromisoformat(rules["to"]))
    sources = rules.get("source")
    if "event" in rules:
        if rules["event"] == "referral" and sources:
            event_conditions.append(Event.source.in_(sources))
            sources = None
        where.append(js.child_id.in_(_event_children(rules["event"], *event_conditions)))
    if sources:
        where.append(js.child_id.in_(_event_children("referral", Event.source.in_(sources))))
    if rules.get("stage"):
        where.append(js.furthest_stage.in_(rules["stage"]))
    if rules.get("outcome"):
        where.append(_any_listed("outcome", rules["outcome"]))
    concern = []
    if rules.get("factors") and factor_data:
        concern.append(_any_listed("factor", rules["factors"]))
    if rules.get("cp_category"):
        concern.append(_any_listed("cp_category", rules["cp_category"]))
    if concern:
        where.append(or_(*concern) if rules.get("match") == "any" else and_(*concern))
    if rules.get("age_band"):
        where.append(or_(*[_born_between(band, as_of) for band in rules["age_band"]]))
    if rules.get("ethnicity"):
        where.append(Child.ethnicity.in_(rules["ethnicity"]))
    if "disability" in rules:
        where.append(Child.disability.is_(True) if rules["disability"] == "yes"
                     else or_(Child.disability.is_(False), Child.disability.is_(None)))  # fmt: skip
    if rules.get("team"):
        where.append(js.team.in_(rules["team"]))
    if rules.get("worker"):
        where.append(js.worker.in_(rules["worker"]))
    if "rereferred" in rules:
        where.append(_yes(rules["rereferred"], js.rereferred.is_(True)))
    if "repeat_cp" in rules:
        where.append(_yes(rules["repeat_cp"], js.repeat_cp.is_(True)))
    if "overdue_assessment" in rules:
        # the summaries keep the first day an assessment still open is past its timescale
        overdue_from = js.data["assessment_overdue_from"].as_string()
        overdue = and_(overdue_from.is_not(None), overdue_from <= as_of.isoformat())
        where.append(_yes(rules["overdue_assessment"], overdue))
    anomalies = rules.get("anomalies")
    if anomalies in ("yes", "no"):
        where.append(_yes(anomalies, js.anomaly_count > 0))
    elif anomalies:
        where.append(_any_listed("anomaly", anomalies))
    return where


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 - months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _audited_since(since: datetime, audit_id: int | None):
    query = (
        select(AuditCase.child_id)
        .join(Audit, Audit.id == AuditCase.audit_id)
        .where(
            AuditCase.reserve.is_(False), AuditCase.replaced.is_(False), Audit.created_at >= since
        )
    )
    return query.where(Audit.id != audit_id) if audit_id else query


def _in_open_audits(audit_id: int | None):
    query = (
        select(AuditCase.child_id)
        .join(Audit, Audit.id == AuditCase.audit_id)
        .where(AuditCase.reserve.is_(False), AuditCase.replaced.is_(False), Audit.status == "open")
    )
    return query.where(Audit.id != audit_id) if audit_id else query


@dataclass(frozen=True)
class Exclusions:
    """Children left out: audited in the last ``audited_months`` (0: none); in open audits."""

    audited_months: int = 12
    open_audits: bool = True
    audit_id: int | None = None  # the audit being drawn for does not exclude its own children

    def audited(self, now: datetime):
        """SQL: the child was audited in the last ``audited_months`` (None when not excluded)."""
        if not self.audited_months:
            return None
        since = _months_before(now, self.audited_months)
        return JourneySummary.child_id.in_(_audited_since(since, self.audit_id))

    def in_open(self):
        """SQL: the child is already in another open audit (None when not excluded)."""
        return (
            JourneySummary.child_id.in_(_in_open_audits(self.audit_id))
            if self.open_audits
            else None
        )


def has_factor_data(*, session: Session) -> bool:
    """Whether any assessment carries CIN census factors (Annex A carries none)."""
    query = select(Event.id).where(
        Event.kind == "assessment", Event.factors.is_not(None), Event.factors != ""
    )
    return session.execute(query.limit(1)).first() is not None


def _base(columns, where):
    return (
        select(*columns)
        .select_from(JourneySummary)
        .join(Child, Child.id == JourneySummary.child_id)
        .where(*where)
    )


@dataclass
class FrameCounts:
    """How many children the rules find, before and after exclusions, by team and stage."""

    matched: int = 0
    size: int = 0
    excluded_audited: int = 0
    excluded_open: int = 0
    by_team: list[tuple[str, int]] = field(default_factory=list)
    by_stage: list[tuple[str, int]] = field(default_factory=list)
    factors_ignored: bool = False
    summaries_missing: bool = False


CHILD_RULES = ("age_band", "ethnicity", "disability")


def _rows(session: Session, query) -> list:
    # Core rows: the ORM's per-row work costs seconds on a frame of 150,000
    return list(session.connection().execute(query).all())


def tally(
    rules: Mapping, *, session: Session, as_of: date, now: datetime,
    exclusions: Exclusions, factor_data: bool,
) -> list[tuple]:  # fmt: skip
    """One pass over the frame: (team, stage, matched, audited, in open audit, kept) per group."""
    where = conditions(rules, as_of=as_of, factor_data=factor_data)
    flags = []
    for condition in (exclusions.audited(now), exclusions.in_open()):
        flags.append(condition if condition is not None else literal(False))
    audited, in_open = flags
    kept = and_(not_(audited), not_(in_open))
    team, stage = JourneySummary.team, JourneySummary.furthest_stage
    columns = [
        team, stage, func.count(),
        func.sum(case((audited, 1), else_=0)), func.sum(case((in_open, 1), else_=0)),
        func.sum(case((kept, 1), else_=0)),
    ]  # fmt: skip
    query = select(*columns).select_from(JourneySummary)
    if any(key in rules for key in CHILD_RULES):
        query = query.join(Child, Child.id == JourneySummary.child_id)
    return _rows(session, query.where(*where).group_by(team, stage))


def frame_counts(
    rules: Mapping, *, session: Session, as_of: date, now: datetime | None = None,
    exclusions: Exclusions | None = None,
) -> FrameCounts:  # fmt: skip
    """The frame's size and its breakdown by team and by stage reached (after exclusions)."""
    now = now or datetime.now(UTC)
    exclusions = exclusions or Exclusions()
    factor_data = has_factor_data(session=session)
    rows = tally(rules, session=session, as_of=as_of, now=now, exclusions=exclusions,
                 factor_data=factor_data)  # fmt: skip
    counts = FrameCounts(factors_ignored=bool(rules.get("factors")) and not factor_data)
    by_team: dict[str, int] = {}
    by_stage: dict[str | None, int] = {}
    for team, stage, matched, audited, in_open, kept in rows:
        counts.matched += matched
        counts.excluded_audited += audited or 0
        counts.excluded_open += in_open or 0
        counts.size += kept or 0
        if kept:
            by_team[team or ""] = by_team.get(team or "", 0) + kept
            by_stage[stage] = by_stage.get(stage, 0) + kept
    counts.by_team = [(name or "No team recorded", by_team[name]) for name in sorted(by_team)]
    counts.by_stage = [
        (STAGE_LABELS.get(stage, "No events") if stage else "No events", by_stage[stage])
        for stage in (*STAGES, None) if stage in by_stage
    ]  # fmt: skip
    if counts.matched == 0:
        counts.summaries_missing = (
            session.execute(select(func.count()).select_from(JourneySummary)).scalar_one() == 0
            and session.execute(select(Child.id).limit(1)).first() is not None
        )
    return counts


def stratum_column(by: str, as_of: date):
    """SQL giving each child's stratum as text (never NULL)."""
    if by == "team":
        return func.coalesce(JourneySummary.team, "No team recorded")
    if by == "stage":
        return func.coalesce(JourneySummary.furthest_stage, "none")
    if by == "age_band":
        return func.coalesce(age_band_column(as_of), "unknown")
    if by == "ethnicity":
        return func.coalesce(Child.ethnicity, "not recorded")
    raise RuleError(
        "by", by, f"A sample cannot be stratified by ‘{by}’ (one of {', '.join(STRATA)})"
    )


def marker_column(marker: str):
    if marker not in MARKERS:
        raise RuleError(
            "marker", marker, f"‘{marker}’ is not a marker (one of {', '.join(MARKERS)})"
        )
    return getattr(JourneySummary, marker)


@dataclass
class Frame:
    """The frame's children by child_ref, with each one's stratum or score when asked for.

    ``excluded`` counts the children the rules matched but the exclusions left out.
    """

    refs: list[str]
    values: dict[str, object] = field(default_factory=dict)
    factors_ignored: bool = False
    excluded: dict[str, int] = field(default_factory=lambda: {"audited": 0, "open": 0})


def _flag(condition):
    return case((condition, 1), else_=0) if condition is not None else literal(0)


def load_frame(
    rules: Mapping, *, session: Session, as_of: date, now: datetime | None = None,
    exclusions: Exclusions | None = None, by: str | None = None, marker: str | None = None,
) -> Frame:  # fmt: skip
    """The children of the frame after exclusions, with a stratum (``by``) or a score (``marker``).

    One pass: the rules select, and each child carries whether an exclusion applies.
    """
    now = now or datetime.now(UTC)
    exclusions = exclusions or Exclusions()
    factor_data = has_factor_data(session=session)
    where = conditions(rules, as_of=as_of, factor_data=factor_data)
    extra = (
        [stratum_column(by, as_of)] if by else [marker_column(marker)] if marker else [literal(0)]
    )
    flags = [_flag(exclusions.audited(now)), _flag(exclusions.in_open())]
    rows = _rows(session, _base([Child.child_ref, *extra, *flags], where))
    frame = Frame([], factors_ignored=bool(rules.get("factors")) and not factor_data)
    values = {}
    for ref, value, audited, in_open in rows:
        frame.excluded["audited"] += audited
        frame.excluded["open"] += in_open
        if not (audited or in_open):
            frame.refs.append(ref)
            values[ref] = value
    if by or marker:
        frame.values = values
    return frame


def child_ids(refs: Iterable[str], *, session: Session) -> dict[str, int]:
    """child_ref -> database id, for a few hundred children at most at a time."""
    refs = list(refs)
    found: dict[str, int] = {}
    for start in range(0, len(refs), 500):
        query = select(Child.child_ref, Child.id).where(
            Child.child_ref.in_(refs[start : start + 500])
        )
        found.update(dict(_rows(session, query)))
    return found


# ---------------------------------------------------------------------------------------------
# Plain words


def _long_date(text: str) -> str:
    day = date.fromisoformat(text)
    return f"{day.day} {day:%B %Y}"


def _join(words: list[str], last: str = "or") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


_EVENT_PHRASES = {
    "referral": "referred", "contact": "with a contact", "assessment": "assessed",
    "s47": "with a section 47 enquiry", "icpc": "with an initial child protection conference",
    "cp_plan": "whose child protection plan started", "lac": "who became looked after",
    "early_help": "with an early help episode", "cin_plan": "whose child in need plan started",
}  # fmt: skip


def _factor_words(codes: Iterable[str]) -> list[str]:
    """Factors grouped by concern: ["domestic abuse (3A, 3B)", "neglect (16A)"]."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        concern = FACTOR_LABELS[code].split(":")[0].removesuffix(" (legacy code)").lower()
        groups.setdefault(concern, []).append(code)
    return [f"{concern} ({', '.join(group)})" for concern, group in groups.items()]


def describe_rules(rules: Mapping) -> str:
    """The frame in plain words, to follow "from 412 children"; "" for no rules."""
    parts: list[str] = []
    if "event" in rules:
        phrase = _EVENT_PHRASES.get(rules["event"], f"with a {KIND_LABELS[rules['event']].lower()}")
        if rules["event"] == "referral" and rules.get("source"):
            phrase += " by " + _join([REFERRAL_SOURCES[s].lower() for s in rules["source"]])
        if "from" in rules and "to" in rules:
            phrase += f" between {_long_date(rules['from'])} and {_long_date(rules['to'])}"
        elif "from" in rules:
            phrase += f" on or after {_long_date(rules['from'])}"
        elif "to" in rules:
            phrase += f" on or before {_long_date(rules['to'])}"
        parts.append(phrase)
    if rules.get("source") and rules.get("event") != "referral":
        parts.append("referred by " + _join([REFERRAL_SOURCES[s].lower() for s in rules["source"]]))
    concern = []
    if rules.get("factors"):
        concern.append("whose assessment identified " + _join(_factor_words(rules["factors"])))
    if rules.get("cp_category"):
        cats = [CP_CATEGORIES[c].lower() for c in rules["cp_category"]]
        concern.append("with a child protection plan for " + _join(cats))
    if concern:
        parts.append(_join(concern, "or" if rules.get("match") == "any" else "and"))
    if rules.get("stage"):
        parts.append(
            "whose furthest stage was " + _join([STAGE_LABELS[s].lower() for s in rules["stage"]])
        )
    if rules.get("outcome"):
        parts.append("with an outcome of " + _join([OUTCOMES[o].lower() for o in rules["outcome"]]))
    if rules.get("age_band"):
        parts.append("aged " + _join([AGE_BANDS[b][0].lower() for b in rules["age_band"]]))
    if rules.get("ethnicity"):
        parts.append("of ethnicity " + _join(rules["ethnicity"]))
    if "disability" in rules:
        parts.append(
            "who are disabled"
            if rules["disability"] == "yes"
            else "who are not recorded as disabled"
        )
    if rules.get("team"):
        parts.append("in " + _join(rules["team"]))
    if rules.get("worker"):
        parts.append("allocated to " + _join(rules["worker"]))
    yes_no = {
        "rereferred": ("re-referred within 12 months", "not re-referred within 12 months"),
        "repeat_cp": ("on a repeat child protection plan", "not on a repeat child protection plan"),
        "overdue_assessment": ("with an assessment past its 45 working days",
                               "with no assessment past its 45 working days"),
    }  # fmt: skip
    for key, (yes, no) in yes_no.items():
        if key in rules:
            parts.append(yes if rules[key] == "yes" else no)
    anomalies = rules.get("anomalies")
    if anomalies == "yes":
        parts.append("whose records show a data anomaly")
    elif anomalies == "no":
        parts.append("whose records show no data anomaly")
    elif anomalies:
        parts.append("whose records show " + _join([a.replace("_", " ") for a in anomalies]))
    return _join(parts, "and") if parts else "in the case data"


# ---------------------------------------------------------------------------------------------
# The draw


@dataclass
class Drawn:
    """A draw over the frame, with the database ids of its children and its plain description."""

    result: Draw
    ids: dict[str, int]
    description: str
    by: str | None
    counts: dict[str, int]
    factors_ignored: bool


def default_reserves(n: int) -> int:
    """An oversample of a tenth, at least two."""
    return max(2, -(-n // 10))


def _exclusion_words(exclusions: Exclusions, counts: dict[str, int]) -> str:
    def many(count: int, what: str) -> str:
        if count == 0:
            return f"children {what} (there were none)"
        return f"{count} {'child' if count == 1 else 'children'} {what}"

    words = []
    if exclusions.audited_months:
        words.append(
            many(counts["audited"], f"audited in the last {exclusions.audited_months} months")
        )
    if exclusions.open_audits:
        words.append(many(counts["open"], "already in an open audit"))
    return " and ".join(words)


def draw_sample(
    rules: Mapping, *, session: Session, as_of: date, n: int, seed: int,
    method: str = "random", by: str | None = None, allocation: str = "proportional",
    marker: str | None = None, reserves: int | None = None,
    exclusions: Exclusions | None = None, now: datetime | None = None,
) -> Drawn:  # fmt: skip
    """Build the frame from ``rules`` and draw from it with ``audit_forms.draw``.

    Raises RuleError for a bad ``by``/``marker``/method and SamplingError from the maths.
    """
    if method not in METHODS:
        raise RuleError(
            "method", method, f"‘{method}’ is not a method (one of {', '.join(METHODS)})"
        )
    if method == "stratified" and not by:
        raise RuleError(
            "by",
            by,
            "A stratified draw needs what to stratify by (team, stage, age band or ethnicity)",
        )
    exclusions = exclusions or Exclusions()
    now = now or datetime.now(UTC)
    frame = load_frame(
        rules, session=session, as_of=as_of, now=now, exclusions=exclusions,
        by=by if method == "stratified" else None,
        marker=marker if method == "purposive" else None,
    )  # fmt: skip
    reserves = default_reserves(n) if reserves is None else reserves
    result = draw(
        frame.refs, n, seed, method=method,
        strata=frame.values if method == "stratified" else None,  # type: ignore[arg-type]
        allocation=allocation,
        scores={k: float(v or 0) for k, v in frame.values.items()}  # type: ignore[arg-type]
        if method == "purposive" and marker else None,
        marker=MARKERS.get(marker or "") if method == "purposive" else None,
        reserves=reserves if method != "purposive" or marker else 0,
    )  # fmt: skip
    description = describe_draw(
        result, frame_description=describe_rules(rules),
        exclusions=_exclusion_words(exclusions, frame.excluded),
        stratified_by=STRATA.get(by or "", "stratum"),
    )  # fmt: skip
    ids = child_ids([*result.sample, *result.reserves], session=session)
    return Drawn(result, ids, description, by if method == "stratified" else None,
                 frame.excluded, frame.factors_ignored)  # fmt: skip
