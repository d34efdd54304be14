"""The case list's query: children filtered on their stored journey summaries.

Filters come from the URL (so a view can be shared) and are checked against known
values first; the date-dependent ones (age band, overdue assessment) are decided in
SQL for the ``as_of`` date.  Auditors only ever see the children assigned to them.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlmodel import Session

from journeys import ANOMALY_CODES, STAGE_LABELS, STAGES, working_days_between

from ..access import assigned_children
from ..imports.normalise import CATEGORY, SOURCE
from ..models import Child, JourneySummary
from ..summaries import ASSESSMENT_RULES, holidays_between
from .labels import anomaly_label, category_label, source_label

__all__ = [
    "PAGE_SIZE",
    "AGE_BANDS",
    "FILTER_KEYS",
    "CaseFilters",
    "CaseRow",
    "CasePage",
    "parse_filters",
    "search_cases",
    "filter_choices",
    "age_at",
    "age_band",
    "parse_day",
]

PAGE_SIZE = 25
#: key -> (label, lowest age, age it stops at); "unborn" is its own band.
AGE_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "unborn": ("Unborn", None, None),
    "0": ("Under 1", 0, 1),
    "1-4": ("1 to 4", 1, 5),
    "5-9": ("5 to 9", 5, 10),
    "10-15": ("10 to 15", 10, 16),
    "16+": ("16 and over", 16, None),
}
FILTER_KEYS = (
    "q",
    "stage",
    "team",
    "worker",
    "age",
    "source",
    "rereferred",
    "overdue",
    "anomaly",
    "category",
    "as_of",
)
FILTER_LABELS = {
    "q": "Child ID",
    "stage": "Furthest stage reached",
    "team": "Team",
    "worker": "Worker",
    "age": "Age band",
    "source": "Referral source",
    "rereferred": "Re-referred",
    "overdue": "Overdue assessment",
    "anomaly": "Data anomaly",
    "category": "CP category",
    "as_of": "As at",
}
YES_NO = {"yes": "Yes", "no": "No"}
S = JourneySummary


def parse_day(text: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None for a blank; ValueError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    day = date.fromisoformat(text)
    if not 1900 <= day.year <= 2100:
        raise ValueError(text)
    return day


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_at(dob: date | None, as_of: date) -> int | None:
    if dob is None or dob > as_of:
        return None
    return as_of.year - dob.year - ((as_of.month, as_of.day) < (dob.month, dob.day))


def age_band(dob: date | None, expected_dob: date | None, as_of: date) -> str | None:
    if dob is None or dob > as_of:
        return "unborn" if (dob or expected_dob) else None
    age = age_at(dob, as_of)
    for key, (_, low, high) in AGE_BANDS.items():
        if low is not None and age is not None and age >= low and (high is None or age < high):
            return key
    return None


@dataclass
class CaseFilters:
    """The checked filters (only known values), the as-of date and the page."""

    values: dict[str, str] = field(default_factory=dict)
    as_of: date = field(default_factory=date.today)
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def url_args(self, **override: Any) -> dict[str, Any]:
        """The non-blank filters (and any page after the first) for ``url_for``."""
        args: dict[str, Any] = {k: v for k, v in self.values.items() if v}
        args.update({k: v for k, v in override.items() if v})
        if args.get("page") == 1:
            del args["page"]
        return args

    def describe(self) -> str:
        """The filters in words, for the access log and the results' heading."""
        parts = [f"{FILTER_LABELS[k]}: {v}" for k, v in self.values.items() if v and k != "as_of"]
        parts.append(f"as at {self.as_of.isoformat()}")
        return "; ".join(parts)


def _choices(session: Session, column) -> list[str]:
    """The distinct non-blank values of the indexed ``column``, in order.

    A loose index scan: a recursive query that seeks the next larger value in the
    column's index, so it costs one seek per distinct value (tens of teams, hundreds of
    workers) instead of reading every summary as ``SELECT DISTINCT`` does.
    """
    values = select(func.min(column).label("v")).cte("values", recursive=True)
    larger = select(func.min(column)).where(column > values.c.v).scalar_subquery()
    values = values.union_all(select(larger).where(values.c.v.is_not(None)))
    query = select(values.c.v).where(values.c.v.is_not(None))
    return [v for v in session.execute(query).scalars() if v]


def filter_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The options of each select filter: (value, label) pairs.

    Sources and CP categories are the coded values the importer stores; teams and
    workers are those the summaries name (read from their indexes).
    """
    return {
        "stage": [(s, STAGE_LABELS[s]) for s in STAGES],
        "team": [(t, t) for t in _choices(session, S.team)],
        "worker": [(w, w) for w in _choices(session, S.worker)],
        "age": [(k, label) for k, (label, _, _) in AGE_BANDS.items()],
        "source": [(code, source_label(code)) for code in SOURCE.labels],
        "rereferred": list(YES_NO.items()),
        "overdue": [("yes", "Yes")],
        "anomaly": [("any", "Any anomaly"), *((c, anomaly_label(c)) for c in ANOMALY_CODES)],
        "category": [(code, category_label(code)) for code in CATEGORY.labels],
    }


def parse_filters(
    args, *, session: Session, today: date | None = None, choices: dict | None = None
) -> CaseFilters:
    """The filters in ``args`` (a request's query string), checked; bad ones named in ``errors``."""
    filters = CaseFilters(as_of=today or date.today())
    raw = {k: (args.get(k) or "").strip()[:100] for k in FILTER_KEYS}
    try:
        filters.page = max(1, min(int(args.get("page") or 1), 100000))
    except ValueError:
        filters.errors["page"] = f"Page '{args.get('page')[:20]}' is not a number"
    try:
        filters.as_of = parse_day(raw["as_of"]) or filters.as_of
        if raw["as_of"]:
            filters.values["as_of"] = raw["as_of"]
    except ValueError:
        filters.errors["as_of"] = f"As at date '{raw['as_of']}' is not a date like 2025-03-31"
    filters.values["q"] = raw["q"][:64]
    for key, options in (choices or filter_choices(session)).items():
        value = raw[key]
        if not value:
            continue
        if value in {v for v, _ in options}:
            filters.values[key] = value
        else:
            filters.errors[key] = f"{FILTER_LABELS[key]} '{value}' is not one of the choices"
    return filters


@dataclass(frozen=True)
class CaseRow:
    child_ref: str
    age: int | None
    band: str | None
    path: str
    furthest_stage: str | None
    latest_referral: date | None
    latest_source: str | None
    team: str | None
    worker: str | None
    rereferred: bool
    history_incomplete: bool
    anomalies: tuple[str, ...]  # short names
    breach_count: int
    overdue_by: int | None  # working days past the assessment timescale at the as-of date
    built: bool


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int
    unbuilt: int = 0  # children with no summary yet (not listed until rebuilt)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains_code(column, code: str):
    """The comma-separated ``column`` holds ``code`` (as a whole item)."""
    padded = literal(",") + column + literal(",")
    return padded.like(f"%,{_like_escaped(code)},%", escape="\\")


def _age_clause(band: str, as_of: date):
    if band == "unborn":
        return or_(and_(Child.dob.is_(None), Child.expected_dob.is_not(None)), Child.dob > as_of)
    _, low, high = AGE_BANDS[band]
    clauses = [Child.dob.is_not(None), Child.dob <= _years_before(as_of, low or 0)]
    if high is not None:
        clauses.append(Child.dob > _years_before(as_of, high))
    return and_(*clauses)


def _where(filters: CaseFilters) -> list:
    v, as_of = filters.values, filters.as_of
    clauses = []
    if v.get("q"):
        clauses.append(Child.child_ref.like(f"{_like_escaped(v['q'])}%", escape="\\"))
    if v.get("stage"):
        clauses.append(S.furthest_stage == v["stage"])
    if v.get("team"):
        clauses.append(S.team == v["team"])
    if v.get("worker"):
        clauses.append(S.worker == v["worker"])
    if v.get("age"):
        clauses.append(_age_clause(v["age"], as_of))
    if v.get("source"):
        clauses.append(S.latest_source == v["source"])
    if v.get("rereferred"):
        clauses.append(S.rereferred.is_(v["rereferred"] == "yes"))
    if v.get("overdue") == "yes":
        clauses.append(S.assessment_overdue_from <= as_of)
    if v.get("anomaly") == "any":
        clauses.append(S.anomaly_count > 0)
    elif v.get("anomaly"):
        clauses.append(_contains_code(S.anomalies, v["anomaly"]))
    if v.get("category"):
        clauses.append(_contains_code(S.cp_categories, v["category"]))
    return clauses


def _overdue_by(overdue_from: date | None, data: dict | None, as_of: date) -> int | None:
    """Working days the most overdue open assessment is past its timescale at ``as_of``."""
    if overdue_from is None or overdue_from > as_of or not data:
        return None
    over = 0
    for check in data.get("open_checks", ()):
        if check["rule"] in ASSESSMENT_RULES:
            start = date.fromisoformat(check["start"])
            holidays = holidays_between(start.year, as_of.year)
            over = max(over, working_days_between(start, as_of, holidays) - check["limit"])
    return over or None


CHILD_FILTERS = ("q", "age")  # the filters on the child table; all others read summaries


def _filtered(query, filters: CaseFilters, user):
    """``query`` over the summaries narrowed to ``filters`` (and to what ``user`` may see).

    Driven from the summary table, so the newest-referral-first order reads its index;
    the child table is joined only when a filter is on it (child ID, age band).  Every
    child has a summary once its data are loaded (imports and seeding build them).
    """
    query = query.select_from(S)
    if any(filters.values.get(key) for key in CHILD_FILTERS):
        query = query.join(Child, Child.id == S.child_id)
    visible = assigned_children(user)
    if visible is not None:
        query = query.where(S.child_id.in_(visible))
    return query.where(*_where(filters))


def _page_ids(filters: CaseFilters, user, *, session: Session, total: int, page: int) -> list[int]:
    """The child ids on ``page``: latest referral first, no referral last, then newest id.

    Read backwards along the index on (latest_referral, child_id).  SQLite sorts NULLs
    first, so one read gives that order; elsewhere it is read in two parts, the dated
    summaries then those with no referral date (which PostgreSQL's index puts first).
    """
    start = (page - 1) * PAGE_SIZE
    if session.get_bind().dialect.name == "sqlite":  # SQLite puts NULLs last already: one read
        query = _filtered(select(S.child_id), filters, user)
        query = query.order_by(S.latest_referral.desc(), S.child_id.desc())
        return list(session.execute(query.offset(start).limit(PAGE_SIZE)).scalars())
    undated = session.execute(
        _filtered(select(func.count()), filters, user).where(S.latest_referral.is_(None))
    ).scalar_one()
    dated = total - undated
    ids: list[int] = []
    if start < dated:
        query = _filtered(select(S.child_id), filters, user).where(S.latest_referral.is_not(None))
        query = query.order_by(S.latest_referral.desc(), S.child_id.desc())
        ids = list(session.execute(query.offset(start).limit(PAGE_SIZE)).scalars())
    if len(ids) < PAGE_SIZE and undated:
        query = _filtered(select(S.child_id), filters, user).where(S.latest_referral.is_(None))
        query = query.order_by(S.child_id.desc()).offset(max(0, start - dated))
        ids += session.execute(query.limit(PAGE_SIZE - len(ids))).scalars()
    return ids


def search_cases(filters: CaseFilters, *, session: Session, user) -> CasePage:
    """A page of the children matching ``filters`` that ``user`` may see, latest referral first."""
    total = session.execute(_filtered(select(func.count()), filters, user)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    ids = _page_ids(filters, user, session=session, total=total, page=page)
    rows = {
        r[3].child_id: r
        for r in session.execute(
            select(Child.child_ref, Child.dob, Child.expected_dob, S)
            .join(S, S.child_id == Child.id)
            .where(S.child_id.in_(ids))
        )
    }
    unbuilt = 0
    if assigned_children(user) is None:
        children = session.execute(select(func.count()).select_from(Child)).scalar_one()
        unfiltered = not any(v for k, v in filters.values.items() if k != "as_of")
        summaries = (
            total
            if unfiltered
            else session.execute(select(func.count()).select_from(S)).scalar_one()
        )
        unbuilt = children - summaries
    rows_ = [_row(rows[i], filters.as_of) for i in ids if i in rows]
    return CasePage(rows_, total, page, pages, max(unbuilt, 0))


def _row(r, as_of: date) -> CaseRow:
    ref, dob, expected, s = r
    return CaseRow(
        child_ref=ref,
        age=age_at(dob, as_of),
        band=age_band(dob, expected, as_of),
        path=s.path if s else "",
        furthest_stage=s.furthest_stage if s else None,
        latest_referral=s.latest_referral if s else None,
        latest_source=s.latest_source if s else None,
        team=s.team if s else None,
        worker=s.worker if s else None,
        rereferred=bool(s and s.rereferred),
        history_incomplete=bool(s and s.history_incomplete),
        anomalies=tuple(anomaly_label(c) for c in (s.anomalies.split(",") if s else ()) if c),
        breach_count=s.breach_count if s else 0,
        overdue_by=_overdue_by(s.assessment_overdue_from, s.data, as_of) if s else None,
        built=s is not None,
    )
