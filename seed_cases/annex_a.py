"""Ofsted Annex A (August 2019 template): Lists 1-8 as an .xlsx, written in streaming mode.

Lists 1-5 hold the six months up to the census date, one row per event; Lists 6-8
one row per child open at the census date or closed in those six months (the
template's guidance).  Values use the template's preferred codes ("b) Female").
``annex_a_projection`` returns exactly the rows ``write_annex_a`` writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from journeys.events import (
    ASSESSMENT,
    CIN_EPISODE,
    CIN_PLAN,
    CONTACT,
    CP_PLAN,
    EARLY_HELP,
    ICPC,
    LAC,
    REFERRAL,
    S47,
    Child,
    Event,
)

from .codes import (
    CASE_STATUS_LABELS,
    CATEGORY_LABELS,
    CATEGORY_OF_NEED_LABELS,
    CEASED_REASON_LABELS,
    CLOSURE_REASON_LABELS,
    ETHNICITY_LABELS,
    LEGAL_STATUS_LABELS,
    PLACEMENT_PROVIDER_LABELS,
    PLACEMENT_TYPE_LABELS,
    PRIMARY_NEED_LABELS,
    SEX_LABELS,
    SOURCE_LABELS,
    YES_NO,
)

if TYPE_CHECKING:
    from .generator import Authority

__all__ = [
    "ANNEX_A_TITLES",
    "ANNEX_A_HEADERS",
    "annex_a_projection",
    "write_annex_a",
    "six_months_before",
]

ANNEX_A_TITLES: dict[int, str] = {
    1: "List 1: Contacts",
    2: "List 2: Early Help",
    3: "List 3: Referral",
    4: "List 4: Assessments",
    5: "List 5: Section 47 enquiries and Initial Child Protection Conferences",
    6: "List 6: Children in Need",
    7: "List 7: Child protection",
    8: "List 8: Children in care",
}
ANNEX_A_HEADERS: dict[int, list[str]] = {
    1: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of Contact",
        "Contact Source",
    ],
    2: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Assessment start date",
        "Assessment completion date",
        "Organisation completing assessment",
    ],
    3: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of referral",
        "Referral Source",
        "Referral NFA?",
        "Number of Referrals in Last 12 Months",
        "Allocated Team",
        "Allocated Worker",
    ],
    4: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Continuous Assessment Start Date",
        "Child Seen During Continuous Assessment",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children’s social care support",
        "Allocated Team",
        "Allocated Worker",
    ],
    5: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Date of Initial Child Protection Conference",
        "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months",
        "Allocated Team",
        "Allocated Worker",
    ],
    6: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "CIN Start Date",
        "Primary Need Code",
        "Date Child Was Last Seen",
        "CIN Closure Date",
        "Reason for Closure",
        "Case status",
        "Allocated Team",
        "Allocated Worker",
    ],
    7: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "Child Protection Plan Start Date",
        "Initial Category of Abuse",
        "Latest Category of Abuse",
        "Date of the Last Statutory Visit",
        "Was the Child Seen Alone?",
        "Date of latest review conference",
        "Child Protection Plan End Date",
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)",  # noqa: E501
        "Number of Previous Child Protection Plans",
        "Allocated Team",
        "Allocated Worker",
    ],
    8: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
        "Does the Child have a Disability",
        "Date Started to be Looked After",
        "Child's Category of Need",
        "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",  # noqa: E501
        "Start date of current legal status",
        "Child's Legal Status",
        "Date of Latest Statutory Review",
        "Date of Last Social Work Visit",
        "What is the permanence plan for this child?",
        "Date of Last IRO Visit / Contact to the Child",
        "Date of Last Health Assessment",
        "Date of Last Dental Check",
        "Number of Placements in the Last 12 months",
        "Date Ceased to be Looked After ",
        "Reason Ceased to be Looked After",
        "Start Date of Most Recent Placement",
        "Placement Type",
        "Placement Provider",
        "Placement postcode",
        "URN of Placement",
        "Placement Location",
        "LA of Placement",
        "Number of Episodes the Child has been ‘Missing’ from their Placement in the last 12 months",  # noqa: E501
        "Number of Episodes the Child has been ‘Absent’ from their Placement in the last 12 months",
        "Was the child offered a Return Interview after their last missing episode (Y/N)?",
        "Did the child accept a Return Interview after their last missing episode (Y/N)?",
        "Allocated Team",
        "Allocated Worker",
    ],
}

_UNKNOWN = "c) Unknown"
_LOCATION = {"In": "a) In", "Out": "b) Out"}


def six_months_before(day: date) -> date:
    """The same day six calendar months earlier (clamped to the month's end).

    Examples
    --------
    >>> six_months_before(date(2026, 8, 31))
    datetime.date(2026, 2, 28)
    """
    month, year = day.month - 6, day.year
    if month < 1:
        month, year = month + 12, year - 1
    for d in range(day.day, 27, -1) if day.day > 28 else (day.day,):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _age(child: Child, on: date) -> int:
    if child.dob is None or on < child.dob:
        return -1
    return on.year - child.dob.year - ((on.month, on.day) < (child.dob.month, child.dob.day))


def _yes_no_unknown(value: bool | None) -> str:
    return _UNKNOWN if value is None else YES_NO[value]


class _View:
    """One child's events as known on the census date."""

    def __init__(self, child: Child, events: tuple[Event, ...], census: date) -> None:
        self.child = child
        self.census = census
        self.since = six_months_before(census)
        self.by_kind: dict[str, list[Event]] = {}
        for e in events:
            if e.start <= census:
                self.by_kind.setdefault(e.kind, []).append(e)

    def of(self, kind: str) -> list[Event]:
        return self.by_kind.get(kind, [])

    def end(self, e: Event) -> date | None:
        return e.end if e.end is not None and e.end <= self.census else None

    def recent(self, e: Event) -> bool:
        return self.since < e.start

    def open_or_recent(self, e: Event) -> bool:
        end = self.end(e)
        return end is None or self.since < end

    def upto(self, day: date | None) -> date | None:
        return day if day is not None and day <= self.census else None

    def person(self, on: date, *, disability: bool = False) -> list[Any]:
        c = self.child
        row = [
            c.child_id,
            SEX_LABELS.get(c.sex or "", None),
            ETHNICITY_LABELS.get(c.ethnicity or ""),
        ]
        row += [c.dob or c.expected_dob, _age(c, on)]
        return row + [_yes_no_unknown(c.disability)] if disability else row

    def open_at_census(self, kind: str) -> bool:
        return any(self.end(e) is None for e in self.of(kind))


def _list1(v: _View) -> Iterator[list[Any]]:
    for e in v.of(CONTACT):
        if v.recent(e):
            yield v.person(e.start) + [e.start, SOURCE_LABELS.get(e.get("source"))]


def _list2(v: _View) -> Iterator[list[Any]]:
    for e in v.of(EARLY_HELP):
        if v.recent(e) or v.end(e) is None:
            yield v.person(e.start) + [e.start, v.end(e), e.get("organisation")]


def _list3(v: _View) -> Iterator[list[Any]]:
    referrals = v.of(REFERRAL)
    if not referrals:
        return
    latest = referrals[-1].start
    last_12m = sum(1 for r in referrals if 0 < (latest - r.start).days <= 365)
    for e in referrals:
        if v.recent(e):
            yield v.person(e.start) + [
                e.start, SOURCE_LABELS.get(e.get("source")), YES_NO.get(e.get("nfa")),
                last_12m, e.get("team"), e.get("worker"),
            ]  # fmt: skip


def _list4(v: _View) -> Iterator[list[Any]]:
    for e in v.of(ASSESSMENT):
        if v.recent(e) or v.open_or_recent(e):
            done = v.end(e)
            yield v.person(e.start, disability=True) + [
                e.start, _yes_no_unknown(e.get("child_seen")) if done else None, done,
                YES_NO.get(e.get("in_need")) if done else None, e.get("team"), e.get("worker"),
            ]  # fmt: skip


def _list5(v: _View) -> Iterator[list[Any]]:
    s47s, icpcs = v.of(S47), v.of(ICPC)
    if not s47s:
        return
    latest = s47s[-1].start
    s47_12m = sum(1 for s in s47s if 0 < (latest - s.start).days <= 365)
    icpc_12m = sum(1 for c in icpcs if 0 < (latest - c.start).days <= 365)
    for e in s47s:
        if not (v.recent(e) or v.end(e) is None):
            continue
        conf = next((c for c in icpcs if 0 <= (c.start - e.start).days <= 60), None)
        if conf is not None:
            unnecessary, plan = YES_NO[False], YES_NO.get(conf.get("plan_resulted"))
        elif v.end(e) is not None and e.get("icpc_not_required") is True:
            unnecessary, plan = YES_NO[True], None
        else:
            unnecessary, plan = None, None
        yield v.person(e.start, disability=True) + [
            e.start, unnecessary, conf.start if conf else None, plan, s47_12m, icpc_12m,
            e.get("team"), e.get("worker"),
        ]  # fmt: skip


def _case_status(v: _View) -> str:
    order = ((LAC, "Looked after child"), (CP_PLAN, "Child Protection plan"),
             (CIN_PLAN, "Child in need plan"), (ASSESSMENT, "Open assessment"))  # fmt: skip
    for kind, status in order:
        if v.open_at_census(kind):
            return CASE_STATUS_LABELS[status]
    return CASE_STATUS_LABELS["Child in need plan"]


def _list6(v: _View) -> Iterator[list[Any]]:
    nfa_days = {r.start for r in v.of(REFERRAL) if r.get("nfa") is True}
    episodes = [e for e in v.of(CIN_EPISODE) if not (e.start in nfa_days and e.end == e.start)]
    if not episodes or not v.open_or_recent(episodes[-1]):
        return
    e = episodes[-1]
    closed = v.end(e)
    status = CASE_STATUS_LABELS["Closed episode"] if closed else _case_status(v)
    yield v.person(v.census, disability=True) + [
        e.start, PRIMARY_NEED_LABELS.get(e.get("primary_need")), v.upto(e.get("last_seen")),
        closed, CLOSURE_REASON_LABELS.get(e.get("reason")) if closed else None, status,
        e.get("team"), e.get("worker"),
    ]  # fmt: skip


def _list7(v: _View) -> Iterator[list[Any]]:
    plans = v.of(CP_PLAN)
    if not plans or not v.open_or_recent(plans[-1]):
        return
    e = plans[-1]
    reviews = [date.fromisoformat(d) for d in (e.get("reviews") or "").split(",") if d]
    held = [d for d in reviews if d <= v.census]
    yield v.person(v.census, disability=True) + [
        e.start, CATEGORY_LABELS.get(e.get("category_initial")),
        CATEGORY_LABELS.get(e.get("category_latest")), v.upto(e.get("last_visit")),
        _yes_no_unknown(e.get("seen_alone")), held[-1] if held else None, v.end(e),
        YES_NO.get(bool(e.get("epo"))), len(plans) - 1, e.get("team"), e.get("worker"),
    ]  # fmt: skip


def _list8(v: _View) -> Iterator[list[Any]]:
    periods = v.of(LAC)
    if not periods or not v.open_or_recent(periods[-1]):
        return
    e = periods[-1]
    ceased = v.end(e)
    year_ago = v.census - timedelta(days=365)
    again = any(p.end is not None and year_ago < p.end <= e.start for p in periods[:-1])
    legal, legal_start = e.get("legal_status"), e.get("legal_status_start")
    if legal_start is not None and legal_start > v.census:  # still interim at the census
        legal, legal_start = "C1", e.start
    row = v.person(v.census)[:5] + [YES_NO[bool(v.child.uasc)], _yes_no_unknown(v.child.disability)]
    row += [
        e.start, CATEGORY_OF_NEED_LABELS.get(e.get("category_of_need")), YES_NO[again],
        legal_start, LEGAL_STATUS_LABELS.get(legal),
        None, None, None, None, None, None,  # reviews, visits, permanence, IRO, health, dental
        1, ceased, CEASED_REASON_LABELS.get(e.get("reason")) if ceased else None, e.start,
        PLACEMENT_TYPE_LABELS.get(e.get("placement_type")),
        PLACEMENT_PROVIDER_LABELS.get(e.get("placement_provider")), None, None,
        _LOCATION.get(e.get("placement_location")), None, 0, 0, None, None,
        e.get("team"), e.get("worker"),
    ]  # fmt: skip
    yield row


_LISTS = {1: _list1, 2: _list2, 3: _list3, 4: _list4, 5: _list5, 6: _list6, 7: _list7, 8: _list8}


def _rows(authority: Authority, census: date) -> Iterator[tuple[int, list[Any]]]:
    for case in authority.iter_cases():
        view = _View(case.child, case.events, census)
        for number, build in _LISTS.items():
            for row in build(view):
                yield number, row


def annex_a_projection(
    authority: Authority, census_date: date | None = None
) -> dict[int, list[dict]]:
    """The rows of Lists 1-8 (list number -> rows keyed by header), as written.

    Examples
    --------
    >>> from seed_cases.generator import generate
    >>> rows = annex_a_projection(generate(300, seed=1))
    >>> sorted(rows) == list(range(1, 9)) and len(rows[1]) > 0
    True
    >>> rows[1][0]["Gender"] in {"a) Male", "b) Female", "c) Not stated/recorded", "d) Neither"}
    True
    """
    census = census_date or authority.end
    found: dict[int, list[dict]] = {n: [] for n in _LISTS}
    for number, row in _rows(authority, census):
        found[number].append(dict(zip(ANNEX_A_HEADERS[number], row, strict=True)))
    return found


def write_annex_a(
    authority: Authority, path: str | Path, *, census_date: date | None = None
) -> Path:
    """Write Lists 1-8 of Annex A for ``census_date`` (default: the authority's end).

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> from seed_cases.generator import generate
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_annex_a(generate(20, seed=1), f"{tmp}/annex-a.xlsx")
    ...     openpyxl.load_workbook(path, read_only=True).sheetnames[:2]
    ['List_1', 'List_2']
    """
    census = census_date or authority.end
    path = Path(path)
    wb = Workbook(write_only=True)
    sheets = {}
    for number in _LISTS:
        ws = wb.create_sheet(f"List_{number}")
        ws.append([ANNEX_A_TITLES[number]])
        ws.append(ANNEX_A_HEADERS[number])
        sheets[number] = ws
    for number, row in _rows(authority, census):
        ws = sheets[number]
        ws.append([_date_cell(ws, value) if isinstance(value, date) else value for value in row])
    wb.save(path)
    return path


def _date_cell(ws: Any, value: date) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = "DD/MM/YYYY"
    return cell
