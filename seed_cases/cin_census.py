"""The DfE children in need census XML for a synthetic authority, written child by child.

One ``CINdetails`` per referral, holding that episode's CIN plans, assessments
(with factors), section 47 enquiries and CP plans (with reviews).  By default every
referral the authority has, so a round trip can check all the census carries.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from journeys.events import (
    ASSESSMENT,
    CIN_EPISODE,
    CIN_PLAN,
    CP_PLAN,
    ICPC,
    REFERRAL,
    S47,
    Child,
    Event,
)

from .codes import DISABILITY_CODES, SEX_TO_CIN

if TYPE_CHECKING:
    from .calendar import WorkingCalendar
    from .generator import Authority

__all__ = ["write_cin_census", "episodes_of"]

#: Not a real local authority number (those run 201-938).
LEA = "999"


def _text(parent: ET.Element, tag: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, date):
        value = value.isoformat()
    ET.SubElement(parent, tag).text = str(value)


def episodes_of(events: tuple[Event, ...]) -> list[tuple[Event, list[Event]]]:
    """Each referral with the events of its episode (those from it up to the next referral).

    An event dated before the child's first referral (a data anomaly) goes with the first.

    Examples
    --------
    >>> r = Event("referral", date(2026, 1, 5))
    >>> a = Event("assessment", date(2026, 1, 2))
    >>> [(ref.start, [e.kind for e in evs]) for ref, evs in episodes_of((a, r))]
    [(datetime.date(2026, 1, 5), ['assessment'])]
    """
    referrals = [e for e in events if e.kind == REFERRAL]
    if not referrals:
        return []
    grouped: list[tuple[Event, list[Event]]] = [(r, []) for r in referrals]
    for e in events:
        if e.kind in {REFERRAL, "contact", "early_help", "closure", "lac"}:
            continue
        index = 0
        for i, r in enumerate(referrals):
            if r.start <= e.start:
                index = i
        grouped[index][1].append(e)
    return grouped


def _identifiers(child_el: ET.Element, child: Child) -> None:
    ids = ET.SubElement(child_el, "ChildIdentifiers")
    _text(ids, "LAchildID", child.child_id)
    _text(ids, "PersonBirthDate", child.dob)
    if child.dob is None:
        _text(ids, "ExpectedPersonBirthDate", child.expected_dob)
    _text(ids, "GenderCurrent", SEX_TO_CIN.get(child.sex or "c"))
    chars = ET.SubElement(child_el, "ChildCharacteristics")
    _text(chars, "Ethnicity", child.ethnicity)
    disabilities = ET.SubElement(chars, "Disabilities")
    code = DISABILITY_CODES[int(child.child_id) % len(DISABILITY_CODES)]
    _text(disabilities, "Disability", code if child.disability else "NONE")


def _cin_details(parent: ET.Element, referral: Event, events: list[Event], cal: WorkingCalendar):
    el = ET.SubElement(parent, "CINdetails")
    episode = next((e for e in events if e.kind == CIN_EPISODE), None)
    icpcs = [e for e in events if e.kind == ICPC]
    _text(el, "CINreferralDate", referral.start)
    _text(el, "ReferralSource", referral.get("source"))
    _text(el, "PrimaryNeedCode", episode.get("primary_need") if episode else None)
    if episode is not None and episode.end is not None:
        _text(el, "CINclosureDate", episode.end)
        _text(el, "ReasonForClosure", episode.get("reason"))
    _text(el, "DateOfInitialCPC", icpcs[0].start if icpcs else None)
    _text(el, "ReferralNFA", bool(referral.get("nfa")))
    for e in events:
        if e.kind == CIN_PLAN:
            plan = ET.SubElement(el, "CINPlanDates")
            _text(plan, "CINPlanStartDate", e.start)
            _text(plan, "CINPlanEndDate", e.end)
    for e in events:
        if e.kind == ASSESSMENT:
            _assessment(el, e)
    for e in events:
        if e.kind == S47:
            _section47(el, e, icpcs, cal)
    for e in events:
        if e.kind == CP_PLAN:
            _cp_plan(el, e)


def _assessment(parent: ET.Element, e: Event) -> None:
    el = ET.SubElement(parent, "Assessments")
    _text(el, "AssessmentActualStartDate", e.start)
    _text(el, "AssessmentInternalReviewDate", e.end)
    _text(el, "AssessmentAuthorisationDate", e.end)
    factors = [f for f in (e.get("factors") or "").split(",") if f]
    if factors:
        found = ET.SubElement(el, "FactorsIdentifiedAtAssessment")
        for factor in factors:
            _text(found, "AssessmentFactors", factor)


def _section47(parent: ET.Element, e: Event, icpcs: list[Event], cal: WorkingCalendar) -> None:
    el = ET.SubElement(parent, "Section47")
    conference = next((c for c in icpcs if 0 <= (c.start - e.start).days <= 60), None)
    _text(el, "S47ActualStartDate", e.start)
    _text(el, "InitialCPCtarget", cal.add(e.start, 15))
    _text(el, "DateOfInitialCPC", conference.start if conference else None)
    _text(el, "ICPCnotRequired", e.get("icpc_not_required"))


def _cp_plan(parent: ET.Element, e: Event) -> None:
    el = ET.SubElement(parent, "ChildProtectionPlans")
    _text(el, "CPPstartDate", e.start)
    _text(el, "CPPendDate", e.end)
    _text(el, "InitialCategoryOfAbuse", e.get("category_initial"))
    _text(el, "LatestCategoryOfAbuse", e.get("category_latest"))
    _text(el, "NumberOfPreviousCPP", e.get("previous_plans"))
    reviews = [d for d in (e.get("reviews") or "").split(",") if d]
    if reviews:
        found = ET.SubElement(el, "Reviews")
        for day in reviews:
            _text(found, "CPPreviewDate", day)


def _header(reference: date) -> str:
    message = ET.Element("Header")
    details = ET.SubElement(message, "CollectionDetails")
    _text(details, "Collection", "CIN")
    _text(details, "Year", reference.year)
    _text(details, "ReferenceDate", reference)
    source = ET.SubElement(message, "Source")
    for tag, value in (
        ("SourceLevel", "L"),
        ("LEA", LEA),
        ("SoftwareCode", "Front Door Audit seed_cases"),
        ("Release", "1"),
        ("SerialNo", "001"),
        ("DateTime", f"{reference.isoformat()}T00:00:00"),
    ):
        _text(source, tag, value)
    return ET.tostring(message, encoding="unicode")


def _in_period(referral: Event, events: list[Event], start: date | None, end: date | None) -> bool:
    if end is not None and referral.start > end:
        return False
    if start is None:
        return True
    episode = next((e for e in events if e.kind == CIN_EPISODE), None)
    closed = episode.end if episode is not None else referral.start
    return closed is None or closed >= start


def write_cin_census(
    authority: Authority,
    path: str | Path,
    *,
    period_start: date | None = None,
    period_end: date | None = None,
) -> Path:
    """Write the CIN census XML: every referral, or those open in the period given.

    Examples
    --------
    >>> import tempfile, xml.etree.ElementTree as ET
    >>> from seed_cases.generator import generate
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_cin_census(generate(30, seed=1), f"{tmp}/cin.xml")
    ...     root = ET.parse(path).getroot()
    >>> root.tag, root.find("Header/CollectionDetails/Collection").text
    ('Message', 'CIN')
    """
    path = Path(path)
    cal = authority.context.calendar
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<Message>')
        out.write(_header(period_end or authority.end))
        out.write("<Children>\n")
        for case in authority.iter_cases():
            episodes = [
                (r, evs)
                for r, evs in episodes_of(case.events)
                if _in_period(r, evs, period_start, period_end)
            ]
            if not episodes:
                continue
            child_el = ET.Element("Child")
            _identifiers(child_el, case.child)
            for referral, events in episodes:
                _cin_details(child_el, referral, events, cal)
            out.write(ET.tostring(child_el, encoding="unicode"))
            out.write("\n")
        out.write("</Children></Message>\n")
    return path
