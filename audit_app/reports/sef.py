"""The SEF workspace (Appendix C), its exports, the quotes the QA lead picks, and pseudonym look-up.

Viewing needs ``view_reports``; writing, refreshing and exporting need ``edit_sef``.
"""

from datetime import UTC, date, datetime

from flask import Response as FlaskResponse
from flask import abort, current_app, g, redirect, request, url_for
from sqlmodel import select

from ..access import can_view_child, log_access
from ..charts.bars import bar_chart_svg
from ..charts.histogram import histogram_svg
from ..charts.sankey import sankey_svg
from ..charts.scatter import SHORT_GRADES, quality_timeliness_svg
from ..charts.trend import trend_svg
from ..db import get_session
from ..models import Audit, AuditCase, Child, Quote, User
from ..permissions import allowed, requires
from ..rendering import is_partial_request, render
from . import bp
from .exports import (
    CHECKLIST,
    SECTION_8A,
    SECTION_8B,
    SECTIONS,
    csv_zip_bytes,
    docx_bytes,
    json_text,
    table_csv,
    xlsx_bytes,
)
from .pseudonyms import resolve, secret_from
from .quality import (
    Scope,
    flag_identifiers,
    known_names,
    quote_candidates,
)
from .workspace import (
    NARRATIVE_KEYS,
    NARRATIVE_TITLES,
    WorkspaceError,
    checklist,
    default_scope,
    generate,
    latest_sections,
    load_meta,
    refresh,
    save_checklist,
    save_meta,
    save_section,
    section_history,
    sef_document,
    snapshot,
)

__all__ = ["sef"]

EXPORTS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_bytes),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_bytes),
    "json": ("application/json", lambda doc: json_text(doc).encode()),
    "csv.zip": ("application/zip", csv_zip_bytes),
}


def _secret() -> bytes:
    return secret_from(current_app.config["SECRET_KEY"])


def _now() -> datetime:
    return datetime.now(UTC)


def _user_id() -> int | None:
    user = g.get("user")
    return user.id if user else None


def _can_edit() -> bool:
    user = g.get("user")
    return bool(user) and allowed(user.roles, "edit_sef")


def _population(meta: dict) -> int | None:
    text = str(meta.get("population_under_18") or "").replace(",", "")
    return int(text) if text.isdigit() else None


def _generated(session, *, service: bool = False) -> dict:
    """The stored snapshot, or (before the first refresh) the last twelve months, live.

    Pages leave the evidence base out until the first refresh; exports include it.
    """
    found = snapshot(session=session)
    if found is not None:
        return found
    scope = default_scope(_now().date())
    return generate(
        scope,
        session=session,
        secret=_secret(),
        population=_population(load_meta(session=session)),
        now=_now(),
        service=service,
    )


def _charts(doc: dict) -> dict:
    s5 = doc["section5"]
    charts = {
        "grades": bar_chart_svg(
            [
                (
                    SHORT_GRADES.get(r["grade"], r["label"]),
                    r["count"],
                    f"{r['count']} ({r['percent_text']})",
                )
                for r in s5["grades"]["rows"]
            ],
            title=f"Grade distribution of {s5['grades']['n']} audited cases",
            table_id="sef-grades-table",
            prefix="sef-grades",
        ),
        "matrix": quality_timeliness_svg(
            s5["matrix"]["points"],
            grades=[(r["grade"], r["label"]) for r in s5["grades"]["rows"]],
            title="Quality against timeliness: each audited case a point",
            table_id="sef-matrix-table",
        ),
    }
    indicators = (doc.get("section8b") or {}).get("indicators") or {}
    bands = (indicators.get("assessment_duration_bands") or {}).get("bands") or []
    if bands:
        labels = [b["band"] for b in bands]
        within = next((i for i, b in enumerate(labels) if "45" in b.split("–")[-1]), None)
        charts["durations"] = histogram_svg(
            [(b["band"], b["count"]) for b in bands],
            title="Assessment duration, referral to authorisation",
            x_label="Working days from referral to authorisation",
            table_id="sef-durations-table",
            highlight_upto=within,
        )
    icpc = (indicators.get("icpc_timing_bands") or {}).get("bands") or []
    if icpc:
        charts["icpc"] = histogram_svg(
            [(b["band"], b["count"]) for b in icpc],
            title="Strategy discussion to initial conference",
            x_label="Working days from strategy discussion to ICPC",
            table_id="sef-icpc-table",
            highlight_upto=next((i for i, b in enumerate(icpc) if b["band"].endswith("15")), None),
            prefix="icpc",
        )
    flows = (doc.get("section8b") or {}).get("flows") or {}
    if flows.get("links"):
        charts["sankey"] = sankey_svg(
            [tuple(link) for link in flows["links"]],
            labels=flows["labels"],
            title=f"How the {flows['children']:,} children referred in the period moved on",
            table_id="sef-flows-table",
        )
    trend = (doc.get("section8b") or {}).get("trend") or []
    if trend:
        keys = ("rereferral_rate", "assessments_within_45_rate", "icpc_within_15_rate")
        series = [
            (trend[0]["indicators"][k]["label"], [q["indicators"][k]["value"] for q in trend])
            for k in keys
            if k in trend[0]["indicators"]
        ]
        charts["trend"] = trend_svg(
            [q["label"] for q in trend],
            series,
            title="Last four quarters",
            y_label="%",
            table_id="sef-trend-table",
        )
    return charts


def _workspace(session, *, errors=None, status=200, values=None):
    doc = sef_document(_generated(session), session=session)
    latest = latest_sections(session=session)
    audits = session.exec(select(Audit).order_by(Audit.id.desc())).all()
    themes = sorted({a.theme for a in audits})
    return render(
        "reports/sef.html",
        status=status,
        doc=doc,
        charts=_charts(doc),
        sections=SECTIONS,
        section_8a=SECTION_8A,
        section_8b=SECTION_8B,
        narrative=_narratives(latest, session),
        checklist=checklist(session=session),
        can_edit=_can_edit(),
        show_lookup=allowed(g.user.roles, "view_cases"),
        audits=audits,
        themes=themes,
        errors=errors or [],
        values=values or {},
        scope=doc["scope"],
    )


def _narratives(latest, session) -> dict:
    ids = {row.saved_by for row in latest.values() if row.saved_by}
    users = (
        {
            u.id: u.display_name or u.username
            for u in session.exec(select(User).where(User.id.in_(ids))).all()
        }
        if ids
        else {}
    )
    return {
        key: {
            "key": key,
            "title": NARRATIVE_TITLES[key],
            "row": latest.get(key),
            "saved_by": users.get(latest[key].saved_by, "unknown") if key in latest else None,
        }
        for key in NARRATIVE_KEYS
    }


@bp.get("/sef")
@requires("view_reports")
def sef():
    return _workspace(get_session())


def _parse_scope(form) -> tuple[Scope | None, list[dict], int | None]:
    errors = []

    def day(name: str, label: str) -> date | None:
        text = (form.get(name) or "").strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            errors.append(
                {
                    "text": f"{label} must be a date like 2025-03-31, not '{text}'",
                    "href": f"#scope-{name}",
                }
            )
            return None

    start, end = day("from", "From"), day("to", "To")
    if start and end and end < start:
        errors.append(
            {"text": f"To ({end:%d/%m/%Y}) is before From ({start:%d/%m/%Y})", "href": "#scope-to"}
        )
    audit_id = None
    if form.get("audit"):
        if not form["audit"].isdigit():
            errors.append({"text": f"'{form['audit']}' is not an audit", "href": "#scope-audit"})
        else:
            audit_id = int(form["audit"])
    population = None
    text = (form.get("population") or "").replace(",", "").strip()
    if text:
        if text.isdigit() and int(text) > 0:
            population = int(text)
        else:
            errors.append(
                {
                    "text": f"The under-18 population must be a whole number, not '{text}'",
                    "href": "#scope-population",
                }
            )
    if errors:
        return None, errors, None
    scope = Scope(
        start=start,
        end=end,
        audit_id=audit_id,
        theme=form.get("theme") or None,
        include_unfinalised=form.get("include_unfinalised") == "yes",
    )
    return scope, [], population


@bp.post("/sef/refresh")
@requires("edit_sef")
def sef_refresh():
    session = get_session()
    scope, errors, population = _parse_scope(request.form)
    if errors:
        return _workspace(session, errors=errors, status=400, values=request.form)
    if population is None:
        population = _population(load_meta(session=session))
    try:
        refresh(
            scope,
            session=session,
            secret=_secret(),
            user_id=_user_id(),
            population=population,
            now=_now(),
        )
    except WorkspaceError as error:
        return _workspace(
            session,
            errors=[{"text": str(error), "href": f"#scope-{error.field}"}],
            status=400,
            values=request.form,
        )
    return redirect(url_for("reports.sef") + "#sef-generated", 303)


@bp.post("/sef/meta")
@requires("edit_sef")
def sef_meta():
    session = get_session()
    if "lead_person" not in request.form:
        abort(400)
    try:
        save_meta(request.form, session=session, user_id=_user_id())
    except WorkspaceError as error:
        return _workspace(
            session,
            errors=[{"text": str(error), "href": f"#meta-{error.field}"}],
            status=400,
            values=request.form,
        )
    return redirect(url_for("reports.sef") + "#sef-meta", 303)


def _narrative_partial(key: str, *, errors=None, status=200, text=None):
    if key not in NARRATIVE_KEYS:
        abort(404)
    session = get_session()
    section = _narratives(latest_sections(session=session), session)[key]
    return render(
        "reports/sef_section.html",
        "reports/_sef_narrative.html",
        status=status,
        section=section,
        can_edit=_can_edit(),
        errors=errors or [],
        text=text,
    )


@bp.get("/sef/sections/<key>")
@requires("view_reports")
def sef_section(key):
    return _narrative_partial(key)


@bp.post("/sef/sections/<key>")
@requires("edit_sef")
def sef_section_save(key):
    if key not in NARRATIVE_KEYS:
        abort(404)
    if "text" not in request.form:
        abort(400)
    version = request.form.get("version", "")
    try:
        save_section(
            key,
            request.form["text"],
            session=get_session(),
            user_id=_user_id(),
            read_version=int(version) if version.isdigit() else None,
        )
    except WorkspaceError as error:
        return _narrative_partial(
            key,
            errors=[{"text": str(error), "href": f"#sef-text-{key}"}],
            status=409,
            text=request.form["text"],
        )
    if is_partial_request():
        return redirect(url_for("reports.sef_section", key=key), 303)
    return redirect(url_for("reports.sef") + f"#sef-section-{key}", 303)


@bp.get("/sef/sections/<key>/history")
@requires("view_reports")
def sef_section_history(key):
    if key not in NARRATIVE_KEYS:
        abort(404)
    return render(
        "reports/sef_history.html",
        title=NARRATIVE_TITLES[key],
        key=key,
        versions=section_history(key, session=get_session()),
    )


@bp.post("/sef/checklist")
@requires("edit_sef")
def sef_checklist():
    if request.form.get("checklist") != "1":
        abort(400)
    values = {
        key: (request.form.get(f"ticked-{key}") == "yes", request.form.get(f"note-{key}", ""))
        for key, _, _ in CHECKLIST
    }
    save_checklist(values, session=get_session(), user_id=_user_id())
    return redirect(url_for("reports.sef") + "#sef-checklist", 303)


def _download(body: bytes, mimetype: str, filename: str) -> FlaskResponse:
    return FlaskResponse(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


@bp.get("/sef/export/<fmt>")
@requires("edit_sef")
def sef_export(fmt):
    if fmt not in EXPORTS:
        abort(404)
    session = get_session()
    doc = sef_document(_generated(session, service=True), session=session)
    mimetype, build = EXPORTS[fmt]
    body = build(doc)
    log_access(None, "export_sef", f"{fmt}: {doc['scope_text']}"[:500], session=session)
    return _download(
        body, mimetype, f"front-door-sef-{doc['scope']['start']}-{doc['scope']['end']}.{fmt}"
    )


@bp.get("/sef/tables/<key>.csv")
@requires("edit_sef")
def sef_table_csv(key):
    session = get_session()
    doc = sef_document(_generated(session, service=True), session=session)
    text = table_csv(doc, key)
    if text is None:
        abort(404)
    log_access(None, "export_sef", f"csv {key}: {doc['scope_text']}"[:500], session=session)
    return _download(text.encode(), "text/csv", f"sef-{key}.csv")


# -- quotes ------------------------------------------------------------------------------


def _quote_rows(session) -> list[dict]:
    names = known_names(session=session)
    rows = []
    for q in session.exec(select(Quote).order_by(Quote.id)).all():
        case = session.get(AuditCase, q.audit_case_id)
        child = session.get(Child, case.child_id) if case else None
        refs = [child.child_ref] if child else []
        rows.append(
            {"quote": q, "flags": flag_identifiers(q.text, known_refs=refs, known_names=names)}
        )
    return rows


def _quotes_page(session, *, errors=None, status=200):
    doc_scope = Scope.from_dict(_generated(session)["scope"])
    candidates = quote_candidates(doc_scope, session=session, secret=_secret())[:50]
    for child_ref in sorted({c["child_ref"] for c in candidates}):
        log_access(child_ref, "view_quote_candidates", "SEF quotes", session=session)
    return render(
        "reports/sef_quotes.html",
        status=status,
        candidates=candidates,
        quotes=_quote_rows(session),
        errors=errors or [],
        scope_text=doc_scope.describe(),
    )


@bp.get("/sef/quotes")
@requires("edit_sef")
def sef_quotes():
    return _quotes_page(get_session())


@bp.post("/sef/quotes")
@requires("edit_sef")
def sef_quote_pick():
    session = get_session()
    case_id, key = request.form.get("audit_case_id", ""), request.form.get("question_key", "")
    if not case_id.isdigit() or not key:
        abort(400)
    scope = Scope.from_dict(_generated(session)["scope"])
    found = next(
        (
            c
            for c in quote_candidates(scope, session=session, secret=_secret())
            if c["audit_case_id"] == int(case_id) and c["question_key"] == key
        ),
        None,
    )
    if found is None:
        abort(404)
    quote = Quote(
        audit_case_id=found["audit_case_id"],
        question_key=key,
        text=found["text"],
        theme=found["theme"],
        age_band=found["age_band"],
        picked_by=_user_id(),
    )
    session.add(quote)
    session.commit()
    return redirect(url_for("reports.sef_quotes") + f"#quote-{quote.id}", 303)


def _quote_or_404(session, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        abort(404)
    return quote


@bp.post("/sef/quotes/<int:quote_id>")
@requires("edit_sef")
def sef_quote_save(quote_id):
    session = get_session()
    quote = _quote_or_404(session, quote_id)
    if "text" not in request.form:
        abort(400)
    quote.text = request.form["text"].strip()[:5000]
    approve = request.form.get("approve") == "yes"
    case = session.get(AuditCase, quote.audit_case_id)
    child = session.get(Child, case.child_id) if case else None
    flags = flag_identifiers(
        quote.text,
        known_refs=[child.child_ref] if child else [],
        known_names=known_names(session=session),
    )
    errors = []
    if approve:
        hard = [f for f in flags if f["kind"] != "name"]
        names = [f for f in flags if f["kind"] == "name"]
        if hard:
            errors.append(
                {
                    "text": "Remove what looks like a date or a child ID before using the quote: "
                    + ", ".join(f"‘{f['text']}’" for f in hard),
                    "href": f"#quote-text-{quote_id}",
                }
            )
        elif names and request.form.get("names_checked") != "yes":
            errors.append(
                {
                    "text": "Check the words flagged as possible names ("
                    + ", ".join(f"‘{f['text']}’" for f in names)
                    + ") and confirm none identifies anyone",
                    "href": f"#quote-names-{quote_id}",
                }
            )
    quote.approved = approve and not errors
    session.add(quote)
    session.commit()
    if errors:
        return _quotes_page(session, errors=errors, status=400)
    return redirect(url_for("reports.sef_quotes") + f"#quote-{quote_id}", 303)


@bp.post("/sef/quotes/<int:quote_id>/delete")
@requires("edit_sef")
def sef_quote_delete(quote_id):
    session = get_session()
    quote = _quote_or_404(session, quote_id)
    session.delete(quote)
    session.commit()
    return redirect(url_for("reports.sef_quotes"), 303)


# -- pseudonyms --------------------------------------------------------------------------


def _may_see(child: Child, session) -> bool:
    user = g.user
    if user.roles & {"admin", "qa_lead", "practice_manager"}:
        return True
    return bool(can_view_child(user, child.id, session=session))


@bp.get("/pseudonyms")
@requires("view_cases")
def pseudonym_lookup():
    return render("reports/sef_pseudonym.html", errors=[], child=None, value="")


@bp.post("/pseudonyms")
@requires("view_cases")
def pseudonym_resolve():
    session = get_session()
    value = (request.form.get("pseudonym") or "").strip()
    if not value:
        return render(
            "reports/sef_pseudonym.html",
            status=400,
            child=None,
            value=value,
            errors=[{"text": "Enter a pseudonym, like P-ABCDE23456", "href": "#pseudonym"}],
        )
    child = resolve(value, secret=_secret(), session=session)
    if child is None or not _may_see(child, session):
        return render(
            "reports/sef_pseudonym.html",
            status=404,
            child=None,
            value=value,
            errors=[
                {"text": f"No child you may see has the pseudonym '{value}'", "href": "#pseudonym"}
            ],
        )
    log_access(child.child_ref, "resolve_pseudonym", value.upper()[:500], session=session)
    link = None
    for endpoint in ("cases.child", "cases.child_journey", "cases.journey"):
        if endpoint in current_app.view_functions:
            try:
                link = url_for(endpoint, child_ref=child.child_ref)
            except Exception:  # noqa: BLE001 - a different URL shape: no link rather than an error
                link = None
            break
    return render(
        "reports/sef_pseudonym.html", child=child, value=value.upper(), link=link, errors=[]
    )
