"""The case list's query: children filtered on their stored journey summaries.

Filters come from the URL (so a view can be shared) and are checked against known
values first; the date-dependent ones (age band, overdue assessment) are decided in
SQL for the ``as_of`` date.  Auditors only ever see the children assigned to them.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session

from journeys import ANOMALY_CODES, STAGE_LABELS, STAGES, working_days_between

from ..access import assigned_children
from ..audits.factors import code_children
from ..imports.normalise import CATEGORY, SOURCE
from ..models import Child, JourneySummary
from ..summaries import ASSESSMENT_RULES, holidays_between
from ..tally import tallies
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


def _plain(column, dialect: str, walk: bool):
    """``column``, or on SQLite when the page is read along the order index, ``+column``.

    The same value; SQLite just will not drive the query from an index on it.  When a
    filter matches many children, walking the (latest_referral, child_id) index and
    testing each summary finds a page's 25 after a few hundred, where starting from the
    filter's own index would read and sort every match (46,000 for an age band).
    """
    if walk and dialect == "sqlite":
        return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return column


#: SQLite's LIKE ignores the case of ASCII letters; so does the child ID search there.
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: At most this many letters of the search text give the ranges (2 ** 4 of them).
_CASED_LETTERS = 4


def _after(text: str) -> str | None:
    """The smallest text greater than every text that starts with ``text`` (None: there is none)."""
    for i in range(len(text) - 1, -1, -1):
        point = ord(text[i]) + 1
        if 0xD800 <= point <= 0xDFFF:  # surrogates cannot be encoded: skip them
            point = 0xE000
        if point <= 0x10FFFF:
            return text[:i] + chr(point)
    return None


def _case_variants(text: str) -> list[str]:
    """``text`` up to its fifth ASCII letter, in every combination of upper and lower case."""
    variants = [""]
    letters = 0
    for char in text:
        if char in _ASCII_LETTERS:
            if letters == _CASED_LETTERS:
                break
            letters += 1
            variants = [v + c for v in variants for c in (char.lower(), char.upper())]
        else:
            variants = [v + char for v in variants]
    return variants


def _starts_with(column, text: str, dialect: str):
    """``column`` starts with ``text``: the LIKE the search always was, read from an index.

    The LIKE decides (so the result is exactly what it was); the ranges beside it let the
    database read only the IDs that can match from an index instead of testing every
    child.  SQLite's LIKE ignores the case of ASCII letters, so there the ranges cover
    each case of the first letters; PostgreSQL's LIKE does not, and its ranges compare
    bytes (``~>=~``: the ``varchar_pattern_ops`` index), whatever the database's collation.
    """
    like = column.like(f"{_like_escaped(text)}%", escape="\\")
    ranges = []
    for start in _case_variants(text) if dialect == "sqlite" else [text]:
        end = _after(start)
        if dialect == "postgresql":
            low, high = column.op("~>=~")(start), end is not None and column.op("~<~")(end)
        else:
            low, high = column >= start, end is not None and column < end
        ranges.append(low if high is False else and_(low, high))
    return and_(like, or_(*ranges)) if dialect in ("sqlite", "postgresql") else like


def _age_clause(band: str, as_of: date, dob=Child.dob, expected_dob=Child.expected_dob):
    if band == "unborn":
        return or_(and_(dob.is_(None), expected_dob.is_not(None)), dob > as_of)
    _, low, high = AGE_BANDS[band]
    clauses = [dob.is_not(None), dob <= _years_before(as_of, low or 0)]
    if high is not None:
        clauses.append(dob > _years_before(as_of, high))
    return and_(*clauses)


def _where(filters: CaseFilters, dialect: str = "", *, ids=None, walk: bool = False) -> list:
    """SQL conditions for ``filters``.

    ``ids`` is the child id column codes are matched on (the summaries' by default);
    ``walk``: see :func:`_plain`.
    """
    v, as_of = filters.values, filters.as_of

    def col(column):
        return _plain(column, dialect, walk)

    def has_code(kind: str, code: str | None = None):
        # the summary's list (CP categories, anomalies) holds ``code`` (None: any code),
        # read from the summary codes' (kind, code) index, not by matching every summary's text
        return col(S.child_id if ids is None else ids).in_(
            code_children(kind, None if code is None else [code])
        )

    clauses = []
    if v.get("q"):
        clauses.append(_starts_with(col(Child.child_ref), v["q"], dialect))
    if v.get("stage"):
        clauses.append(col(S.furthest_stage) == v["stage"])
    if v.get("team"):
        clauses.append(col(S.team) == v["team"])
    if v.get("worker"):
        clauses.append(col(S.worker) == v["worker"])
    if v.get("age"):
        clauses.append(_age_clause(v["age"], as_of, col(Child.dob), col(Child.expected_dob)))
    if v.get("source"):
        clauses.append(col(S.latest_source) == v["source"])
    if v.get("rereferred"):
        clauses.append(col(S.rereferred).is_(v["rereferred"] == "yes"))
    if v.get("overdue") == "yes":
        clauses.append(col(S.assessment_overdue_from) <= as_of)
    if v.get("anomaly") == "any":  # a summary with an anomaly lists its code
        clauses.append(has_code("anomaly"))
    elif v.get("anomaly"):
        clauses.append(has_code("anomaly", v["anomaly"]))
    if v.get("category"):
        clauses.append(has_code("cp_category", v["category"]))
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
#: Filters that need nothing of the summaries but whether there is one: the child table
#: and the summary codes can count them alone once every child has a summary.
CHILD_SIDE = frozenset({"q", "age", "anomaly", "category"})
#: Read a page along the order index when (matches / summaries) * matches exceeds
#: (offset + a page) / WALK: the index walk then meets a page of matches before
#: starting from the filter's own index would have read every match once.
WALK = 2


def _filtered(query, filters: CaseFilters, user, dialect: str = "", walk: bool = False):
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
    return query.where(*_where(filters, dialect, walk=walk))


def _page_ids(
    filters: CaseFilters, user, *, session: Session, total: int, page: int, summaries: int
) -> list[int]:
    """The child ids on ``page``: latest referral first, no referral last, then newest id.

    Read backwards along the index on (latest_referral, child_id).  SQLite sorts NULLs
    first, so one read gives that order; elsewhere it is read in two parts, the dated
    summaries then those with no referral date (which PostgreSQL's index puts first).
    The undated ones are counted only when the page starts past the dated ones: a page
    that has any dated summary says where they end (the count read 63,000 of 150,000).
    """
    start = (page - 1) * PAGE_SIZE
    dialect = session.get_bind().dialect.name
    walk = total * total * WALK > (start + PAGE_SIZE) * summaries

    def filtered(query):
        return _filtered(query, filters, user, dialect, walk)

    if dialect == "sqlite":  # SQLite puts NULLs last already: one read
        # and reads a page of few matches from the filter's index, sorting them
        drive = not walk and bool(_where(filters, dialect))
        order = [_plain(c, dialect, drive).desc() for c in (S.latest_referral, S.child_id)]
        query = filtered(select(S.child_id)).order_by(*order)
        return list(session.execute(query.offset(start).limit(PAGE_SIZE)).scalars())
    query = filtered(select(S.child_id)).where(S.latest_referral.is_not(None))
    query = query.order_by(S.latest_referral.desc(), S.child_id.desc())
    ids = list(session.execute(query.offset(start).limit(PAGE_SIZE)).scalars())
    if len(ids) == PAGE_SIZE or start + len(ids) >= total:
        return ids
    if ids or not start:  # the dated summaries end on this page: the undated follow
        skip = 0
    else:  # the page starts past them, by its start less the dated summaries
        undated = session.execute(
            filtered(select(func.count())).where(S.latest_referral.is_(None))
        ).scalar_one()
        skip = start - (total - undated)
    query = filtered(select(S.child_id)).where(S.latest_referral.is_(None))
    query = query.order_by(S.child_id.desc()).offset(max(0, skip))
    ids += session.execute(query.limit(PAGE_SIZE - len(ids))).scalars()
    return ids


def _count(filters: CaseFilters, user, *, session: Session, every_child_summarised: bool) -> int:
    """How many children match ``filters`` (of those ``user`` may see and that have a summary).

    When every child has a summary and the filters are all on the child or its codes,
    the child table counts them without reading a summary row (a summary is as wide as
    its data, so reading 46,000 of them costs far more than the count itself).
    """
    dialect = session.get_bind().dialect.name
    keys = {k for k, v in filters.values.items() if v and k != "as_of"}
    if every_child_summarised and keys and keys <= CHILD_SIDE:
        query = select(func.count()).select_from(Child)
        query = query.where(*_where(filters, dialect, ids=Child.id))
    else:
        query = _filtered(select(func.count()), filters, user, dialect)
    return session.execute(query).scalar_one()


#: PostgreSQL counted the children with two parallel workers besides the backend: on a
#: server answering many requests at once that is CPU taken from the other requests (25 ms
#: a case list at 150,000 children, as much as the backend's own) and, on 2 cores, slower
#: too; each filter's count likewise.  Off for the rest of the request's transaction only.
_SERIAL = text("SET LOCAL max_parallel_workers_per_gather = 0")


def search_cases(filters: CaseFilters, *, session: Session, user) -> CasePage:
    """A page of the children matching ``filters`` that ``user`` may see, latest referral first."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SERIAL)
    sees_all = assigned_children(user) is None
    # PostgreSQL's triggers keep both counts in a row; elsewhere (or before a first
    # write has started a tally) they are counted, in one round trip for both.
    known = tallies(session)
    summaries, children = known.get("journeysummary"), known.get("child", 0)
    if summaries is None or (sees_all and "child" not in known):
        counts = [select(func.count()).select_from(S).scalar_subquery()]
        if sees_all:
            counts.append(select(func.count()).select_from(Child).scalar_subquery())
        row = session.execute(select(*counts)).one()
        summaries, children = row[0], row[1] if sees_all else 0
    children = children if sees_all else 0
    # A summary's key is its child's: equal counts mean every child has a summary.
    unfiltered = not any(v for k, v in filters.values.items() if k != "as_of")
    total = (
        summaries
        if sees_all and unfiltered
        else _count(filters, user, session=session,
                    every_child_summarised=sees_all and children == summaries)
    )  # fmt: skip
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    ids = _page_ids(
        filters, user, session=session, total=total, page=page, summaries=max(summaries, 1)
    )
    rows = {r.child_id: r for r in session.execute(_ROW.where(S.child_id.in_(ids)))}
    # The summary's data (its open checks) only for the children overdue at the date
    overdue = [
        i for i, r in rows.items()
        if r.assessment_overdue_from and r.assessment_overdue_from <= filters.as_of
    ]  # fmt: skip
    data: dict[int, dict | None] = {}
    if overdue:
        query = select(S.child_id, S.data).where(S.child_id.in_(overdue))
        data = {child_id: value for child_id, value in session.execute(query)}
    unbuilt = children - summaries if sees_all else 0
    rows_ = [_row(rows[i], data.get(i), filters.as_of) for i in ids if i in rows]
    return CasePage(rows_, total, page, pages, max(unbuilt, 0))


#: The columns a row of the list shows (not the summary's data: a JSON document per child).
_ROW = select(
    Child.child_ref, Child.dob, Child.expected_dob, S.child_id, S.path, S.furthest_stage,
    S.latest_referral, S.latest_source, S.team, S.worker, S.rereferred, S.history_incomplete,
    S.anomalies, S.breach_count, S.assessment_overdue_from,
).join(S, S.child_id == Child.id)  # fmt: skip


def _row(r, data: dict | None, as_of: date) -> CaseRow:
    return CaseRow(
        child_ref=r.child_ref,
        age=age_at(r.dob, as_of),
        band=age_band(r.dob, r.expected_dob, as_of),
        path=r.path,
        furthest_stage=r.furthest_stage,
        latest_referral=r.latest_referral,
        latest_source=r.latest_source,
        team=r.team,
        worker=r.worker,
        rereferred=bool(r.rereferred),
        history_incomplete=bool(r.history_incomplete),
        anomalies=tuple(anomaly_label(c) for c in r.anomalies.split(",") if c),
        breach_count=r.breach_count,
        overdue_by=_overdue_by(r.assessment_overdue_from, data, as_of),
        built=True,
    )
