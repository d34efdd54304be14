"""The SEF workspace's data: narrative sections kept as versions, the checklist, the generated
sections 5 and 8 as a stored snapshot, and the whole SEF document the exports are made from.

Every save is a new ``SefSection`` row (who and when), never an update.  "Refresh from
data" stores a new snapshot of sections 5 and 8 and leaves the QA lead's commentary alone.
"""

import base64
import json
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import Audit, SefSection, User
from .exports import CHECKLIST, SECTIONS
from .indicators import compute_indicators, indicators_and_trend
from .quality import Scope, scoped_cases, section5, section8a

__all__ = [
    "NARRATIVE_KEYS",
    "WorkspaceError",
    "latest_sections",
    "save_section",
    "section_history",
    "save_meta",
    "load_meta",
    "save_checklist",
    "checklist",
    "generate",
    "refresh",
    "snapshot",
    "default_scope",
    "sef_document",
]

SEF_KEY = "current"
#: Sections whose text the QA lead writes; "5", "8a" and "8b" are commentary beside the data.
NARRATIVE_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8a", "8b", "9")
NARRATIVE_TITLES = {
    **dict(SECTIONS),
    "5": "5. Quality of Practice: commentary",
    "8a": "8 a) For the child and family: commentary",
    "8b": "8 b) For the service: commentary",
}
DATA = "data"
META = "meta"
MAX_TEXT = 100000


class WorkspaceError(ValueError):
    """A save refused: ``field`` names the form field, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def latest_sections(*, session: Session, sef_key: str = SEF_KEY) -> dict[str, SefSection]:
    """The newest version of every section saved."""
    newest = (
        select(SefSection.section, func.max(SefSection.version).label("v"))
        .where(SefSection.sef_key == sef_key)
        .group_by(SefSection.section)
        .subquery()
    )
    rows = session.exec(
        select(SefSection)
        .join(newest, (SefSection.section == newest.c.section) & (SefSection.version == newest.c.v))
        .where(SefSection.sef_key == sef_key)
    ).all()
    return {row.section: row for row in rows}


def _next_version(section: str, *, session: Session, sef_key: str) -> int:
    current = session.exec(
        select(func.max(SefSection.version)).where(
            SefSection.sef_key == sef_key, SefSection.section == section
        )
    ).one()
    return (current or 0) + 1


def _add(
    section: str,
    text: str,
    *,
    session: Session,
    user_id: int | None,
    ticked: bool | None = None,
    sef_key: str = SEF_KEY,
) -> SefSection:
    row = SefSection(
        sef_key=sef_key,
        section=section,
        text=text,
        ticked=ticked,
        saved_by=user_id,
        version=_next_version(section, session=session, sef_key=sef_key),
    )
    session.add(row)
    return row


def save_section(
    key: str, text: str, *, session: Session, user_id: int | None, read_version: int | None = None
) -> SefSection:
    """Save a new version of narrative section ``key``.

    ``read_version`` is the version the writer started from; if someone has saved since,
    the save is refused rather than silently overwriting their words.
    """
    if key not in NARRATIVE_KEYS:
        raise KeyError(key)
    if len(text) > MAX_TEXT:
        raise WorkspaceError(
            "text", f"The text is {len(text):,} characters; the most is {MAX_TEXT:,}"
        )
    current = latest_sections(session=session).get(key)
    if read_version is not None and current is not None and current.version != read_version:
        raise WorkspaceError(
            "text",
            f"Someone saved this section (version {current.version}) after you opened it "
            f"(version {read_version}). Copy your text, reload the page and save again.",
        )
    if current is not None and current.text == text:
        return current
    row = _add(key, text, session=session, user_id=user_id)
    session.commit()
    session.refresh(row)
    return row


def section_history(key: str, *, session: Session) -> list[dict[str, Any]]:
    users = {u.id: u.display_name or u.username for u in session.exec(select(User)).all()}
    rows = session.exec(
        select(SefSection)
        .where(SefSection.sef_key == SEF_KEY, SefSection.section == key)
        .order_by(SefSection.version.desc())
    ).all()
    return [
        {
            "version": r.version,
            "saved_by": users.get(r.saved_by, "unknown"),
            "saved_at": _aware(r.saved_at),
            "text": r.text,
        }
        for r in rows
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


META_FIELDS = ("date_of_assessment", "lead_person", "completed_by", "population_under_18")


def load_meta(*, session: Session) -> dict[str, Any]:
    row = latest_sections(session=session).get(META)
    data = json.loads(row.text) if row and row.text else {}
    return {name: data.get(name) or "" for name in META_FIELDS}


def save_meta(values: dict[str, str], *, session: Session, user_id: int | None) -> dict[str, Any]:
    """Save the template's header fields (date of assessment, lead person, completed by)."""
    clean = {name: (values.get(name) or "").strip()[:2000] for name in META_FIELDS}
    if clean["date_of_assessment"]:
        try:
            date.fromisoformat(clean["date_of_assessment"])
        except ValueError:
            raise WorkspaceError(
                "date_of_assessment",
                "Date of assessment must be a date like 2025-03-31, "
                f"not '{clean['date_of_assessment']}'",
            ) from None
    if clean["population_under_18"] and not clean["population_under_18"].replace(",", "").isdigit():
        raise WorkspaceError(
            "population_under_18",
            f"The under-18 population must be a whole number, not '{clean['population_under_18']}'",
        )
    _add(META, json.dumps(clean), session=session, user_id=user_id)
    session.commit()
    return clean


def checklist(*, session: Session) -> list[dict[str, Any]]:
    latest = latest_sections(session=session)
    out = []
    for key, name, text in CHECKLIST:
        row = latest.get(f"checklist-{key}")
        out.append(
            {
                "key": key,
                "name": name,
                "text": text,
                "ticked": bool(row and row.ticked),
                "note": row.text if row else "",
            }
        )
    return out


def save_checklist(
    values: dict[str, tuple[bool, str]], *, session: Session, user_id: int | None
) -> int:
    """Save the ticks and notes that changed; returns how many items were saved."""
    current = {c["key"]: c for c in checklist(session=session)}
    saved = 0
    for key, (ticked, note) in values.items():
        if key not in current:
            continue
        note = note.strip()[:5000]
        if current[key]["ticked"] != ticked or current[key]["note"] != note:
            _add(f"checklist-{key}", note, ticked=ticked, session=session, user_id=user_id)
            saved += 1
    session.commit()
    return saved


# -- the generated sections ----------------------------------------------------------------


def default_scope(today: date) -> Scope:
    """The twelve months to ``today``."""
    return Scope(start=today - timedelta(days=365), end=today)


def _service(scope: Scope, *, session: Session, population: int | None) -> dict[str, Any]:
    """SEF 8(b) from the indicators module (built beside this one), as JSON-ready data."""
    # The year and its four quarters from one read of the events; the quarters' rates
    # per 10,000 use the same population as the year's.
    period = {"session": session, "start": scope.start, "end": scope.end,
              "population_under_18": population}  # fmt: skip
    try:
        indicators, trend = indicators_and_trend(**period, quarters=4)
    except Exception:  # noqa: BLE001 - a trend that cannot be drawn must not lose the SEF
        indicators, trend = compute_indicators(**period), None
    flows = cohort_links(session=session, start=scope.start, end=scope.end)
    return json.loads(
        json.dumps(
            {"available": True, "indicators": indicators, "trend": trend, "flows": flows},
            default=str,
        )
    )


def cohort_links(*, session: Session, start: date, end: date) -> dict[str, Any]:
    """Stage-to-stage flows of the children referred in the period, for the Sankey."""
    from journeys import STAGE_LABELS, cohort_flows
    from journeys import JourneySummary as DomainSummary

    from ..models import JourneySummary

    c = JourneySummary.__table__.c
    # Only the stages out of each summary's JSON: the whole document is seconds to parse.
    rows = (
        session.connection()
        .execute(
            select(c.data["stages"], c.furthest_stage).where(
                c.latest_referral >= start, c.first_referral <= end
            )
        )
        .all()
    )
    summaries = [
        DomainSummary(stages=tuple(stages or ()), furthest_stage=furthest)
        for stages, furthest in rows
    ]
    flows = cohort_flows(summaries, top=5)
    return {
        "children": flows.children,
        "links": [[f.source, f.target, f.count] for f in flows.transitions],
        "labels": dict(STAGE_LABELS),
        "paths": [[p, n] for p, n in flows.paths],
    }


def generate(
    scope: Scope,
    *,
    session: Session,
    secret: bytes,
    population: int | None = None,
    now: datetime,
    service: bool = True,
) -> dict[str, Any]:
    """Sections 5, 8(a) and 8(b) for ``scope``, computed now.

    ``service=False`` leaves out 8(b), the evidence base over the whole authority's
    journeys (seconds on a large authority), for a page shown before the first refresh.
    """
    data = scoped_cases(scope, session=session, secret=secret)
    audit_title = None
    if scope.audit_id is not None:
        audit = session.get(Audit, scope.audit_id)
        audit_title = audit.title if audit else None
    return {
        "scope": scope.to_dict(),
        "scope_text": scope.describe(audit_title),
        "generated_at": now.isoformat(),
        "section5": section5(scope, session=session, secret=secret, data=data),
        "section8a": section8a(scope, session=session, secret=secret, data=data),
        "section8b": _service(scope, session=session, population=population)
        if service
        else {
            "available": False,
            "indicators": {},
            "trend": None,
            "note": "Refresh from data to compute the evidence base for the period.",
        },
    }


def _pack(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":"))
    if len(text) < MAX_TEXT:
        return text
    # Large authorities: the snapshot is compressed so it fits the column on PostgreSQL too.
    return "z:" + base64.b64encode(zlib.compress(text.encode(), 9)).decode()


def _unpack(text: str) -> dict[str, Any]:
    if text.startswith("z:"):
        return json.loads(zlib.decompress(base64.b64decode(text[2:])).decode())
    return json.loads(text)


def refresh(
    scope: Scope,
    *,
    session: Session,
    secret: bytes,
    user_id: int | None,
    population: int | None,
    now: datetime,
) -> dict[str, Any]:
    """Recompute sections 5 and 8 and keep them as the new snapshot; commentary untouched."""
    data = generate(scope, session=session, secret=secret, population=population, now=now)
    packed = _pack(data)
    if len(packed) >= MAX_TEXT:
        raise WorkspaceError(
            "from",
            "This scope has too many audited cases to keep as one "
            "snapshot; choose a shorter period or one audit",
        )
    _add(DATA, packed, session=session, user_id=user_id)
    session.commit()
    return data


def snapshot(*, session: Session) -> dict[str, Any] | None:
    """The latest stored sections 5 and 8, with who refreshed them."""
    row = latest_sections(session=session).get(DATA)
    if row is None:
        return None
    data = _unpack(row.text)
    user = session.get(User, row.saved_by) if row.saved_by else None
    data["refreshed_by"] = (user.display_name or user.username) if user else "the command line"
    data["refreshed_at"] = _aware(row.saved_at).isoformat()
    data["version"] = row.version
    return data


def sef_document(generated: dict[str, Any], *, session: Session) -> dict[str, Any]:
    """The whole SEF: header fields, narrative, checklist and the generated sections."""
    latest = latest_sections(session=session)
    generated_at = datetime.fromisoformat(generated["generated_at"])
    return {
        **generated,
        "generated_at_text": f"{generated_at:%d %B %Y at %H:%M} UTC",
        "meta": load_meta(session=session),
        "narrative": {key: latest[key].text if key in latest else "" for key in NARRATIVE_KEYS},
        "checklist": [
            {k: v for k, v in c.items() if k != "text"} for c in checklist(session=session)
        ],
    }
