"""Setting up a themed audit: the audit list, creating an audit with its cohort rules and
live frame, drawing the sample (and redrawing), reserves, and assigning cases to auditors.

The data functions come first (``*, session``; those that change data commit); the views,
thin, after them.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import abort, current_app, flash, g, redirect, request, url_for
from sqlalchemy import func
from sqlmodel import Session, select

from audit_forms import builtin_templates, sample_size, template_fingerprint
from audit_forms.errors import SamplingError
from audit_forms.sampling import ALLOCATIONS, METHODS
from journeys import EVENT_KINDS, KIND_LABELS, STAGE_LABELS, STAGES

from ..access import log_access
from ..db import get_session
from ..models import Audit, AuditCase, Child, JourneySummary, SampleDraw, User, UserRole
from ..permissions import allowed, requires
from ..rendering import render
from . import bp
from .cohort import (
    AGE_BANDS,
    CP_CATEGORIES,
    FACTOR_LABELS,
    MARKERS,
    OUTCOMES,
    REFERRAL_SOURCES,
    RULE_LABELS,
    STRATA,
    THEMES,
    Drawn,
    Exclusions,
    RuleError,
    describe_rules,
    draw_sample,
    frame_counts,
    has_factor_data,
    parse_rules,
)

__all__ = [
    "AssignmentError",
    "assign_case",
    "audit_progress",
    "create_audit",
    "my_cases",
    "record_draw",
    "replace_case",
    "round_robin",
]

AUDITOR_ROLES = ("auditor", "practice_manager", "qa_lead")
DONE = ("submitted", "moderation", "moderated", "finalised")
STATUS_LABELS = {
    "not_started": "Not started", "in_progress": "In progress", "submitted": "Submitted",
    "moderation": "In moderation", "moderated": "Moderated", "finalised": "Finalised",
}  # fmt: skip
STATUS_TAGS = {
    "not_started": "grey", "in_progress": "blue", "submitted": "turquoise",
    "moderation": "purple", "moderated": "purple", "finalised": "green",
}  # fmt: skip


class AssignmentError(ValueError):
    """An assignment the rules forbid (the child's own worker) or that cannot be made."""


# ---------------------------------------------------------------------------------------------
# Data functions


def templates_offered() -> list:
    """The latest version of each built-in template, by title."""
    latest: dict = {}
    for (key, version), template in builtin_templates().items():
        if key not in latest or version > latest[key].version:
            latest[key] = template
    return sorted(latest.values(), key=lambda t: t.title)


def create_audit(form: dict, rules: dict, *, session: Session, user_id: int | None) -> Audit:
    """A new open audit (``form`` already checked by :func:`check_audit_form`); commits."""
    template = builtin_templates()[(form["template_key"], form["template_version"])]
    audit = Audit(
        title=form["title"], theme=form["theme"], template_key=template.key,
        template_version=template.version, template_fingerprint=template_fingerprint(template),
        period_start=form["period_start"], period_end=form["period_end"],
        due_date=form["due_date"], rules=rules, created_by=user_id,
    )  # fmt: skip
    session.add(audit)
    session.commit()
    return audit


def cases_of(audit_id: int, *, session: Session) -> list[tuple]:
    """(case, child_ref, allocated worker, team, auditor) for every case of the audit, in order."""
    query = (
        select(AuditCase, Child.child_ref, JourneySummary.worker, JourneySummary.team, User)
        .join(Child, Child.id == AuditCase.child_id)
        .outerjoin(JourneySummary, JourneySummary.child_id == AuditCase.child_id)
        .outerjoin(User, User.id == AuditCase.auditor_id)
        .where(AuditCase.audit_id == audit_id)
        .order_by(AuditCase.reserve, AuditCase.position)
    )
    return list(session.exec(query).all())


def record_draw(
    audit: Audit, drawn: Drawn, params: dict, *, session: Session, user_id: int | None
) -> SampleDraw:
    """Store the draw and make its children the audit's cases; earlier draws stay as they were.

    A redraw is refused once any case of the audit has been started.
    """
    started = session.exec(
        select(func.count()).select_from(AuditCase)
        .where(AuditCase.audit_id == audit.id, AuditCase.status != "not_started")
    ).one()  # fmt: skip
    if started:
        raise SamplingError(
            f"{started} cases of this audit have been started, so it cannot be redrawn"
        )
    result = drawn.result
    row = SampleDraw(
        audit_id=audit.id, drawn_by=user_id, method=result.method, stratify_by=drawn.by,
        allocation=result.allocation, marker=params.get("marker"), n=len(result.sample),
        seed=result.seed if result.method != "purposive" else 0, frame_size=result.frame_size,
        frame_hash=result.frame_hash,
        rules=audit.rules, description=drawn.description,
        exclusions={
            "audited_months": params["exclude_months"], "open_audits": params["exclude_open"],
            "excluded_audited": drawn.counts["audited"], "excluded_open": drawn.counts["open"],
            "sample_size": params.get("size_working"),
        },
        child_refs=list(result.sample), reserve_refs=list(result.reserves),
    )  # fmt: skip
    for old in session.exec(select(SampleDraw).where(SampleDraw.audit_id == audit.id)).all():
        old.active = False
        session.add(old)
    for case in session.exec(select(AuditCase).where(AuditCase.audit_id == audit.id)).all():
        session.delete(case)
    session.add(row)
    session.flush()
    refs = [(ref, False) for ref in result.sample] + [(ref, True) for ref in result.reserves]
    for position, (ref, reserve) in enumerate(refs, start=1):
        session.add(
            AuditCase(
                audit_id=audit.id, child_id=drawn.ids[ref], draw_id=row.id, position=position,
                reserve=reserve, due_date=audit.due_date, template_key=audit.template_key,
                template_version=audit.template_version,
            )
        )  # fmt: skip
    session.commit()
    return row


def active_draw(audit_id: int, *, session: Session) -> SampleDraw | None:
    query = select(SampleDraw).where(SampleDraw.audit_id == audit_id).order_by(SampleDraw.id.desc())
    return session.exec(query).first()


def replace_case(case: AuditCase, reason: str, *, session: Session) -> AuditCase:
    """Replace a sampled case by the next unused reserve (in draw order); commits."""
    if not reason.strip():
        raise AssignmentError("Give the reason the case is being replaced")
    if case.reserve or case.replaced:
        raise AssignmentError("Only a case in the sample can be replaced")
    if case.status != "not_started":
        raise AssignmentError("A case that has been started cannot be replaced")
    reserve = session.exec(
        select(AuditCase)
        .where(AuditCase.audit_id == case.audit_id, AuditCase.reserve.is_(True))
        .order_by(AuditCase.position)
    ).first()  # fmt: skip
    if reserve is None:
        raise AssignmentError("There are no reserves left: redraw with more reserves")
    case.replaced = True
    case.replacement_reason = reason.strip()[:500]
    reserve.reserve = False
    reserve.due_date = case.due_date
    reserve.replacement_reason = f"Replaces case {case.position}"
    if case.auditor_id and not _same(
        _allocated_worker_of(reserve, session), _worker_of(case.auditor_id, session)
    ):
        reserve.auditor_id = case.auditor_id
    case.auditor_id = None
    session.add_all([case, reserve])
    session.commit()
    return reserve


def _allocated_worker_of(case: AuditCase, session: Session) -> str | None:
    row = session.get(JourneySummary, case.child_id)
    return row.worker if row else None


def _worker_of(user_id: int, session: Session) -> str | None:
    user = session.get(User, user_id)
    return user.worker_name if user else None


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def assign_case(
    case: AuditCase, auditor: User | None, due: date | None, *, session: Session
) -> str | None:
    """Assign (or unassign) a case; returns a warning when the auditor is in the child's team.

    Raises AssignmentError when the auditor is the child's own allocated worker. Does not commit.
    """
    summary = session.get(JourneySummary, case.child_id)
    warning = None
    if auditor is not None and summary is not None:
        if _same(auditor.worker_name, summary.worker):
            raise AssignmentError(
                f"{auditor.username} is this child's allocated worker and cannot audit the case"
            )
        if _same(auditor.team_name, summary.team):
            warning = f"{auditor.username} is in the child's team ({summary.team})"
    case.auditor_id = auditor.id if auditor else None
    case.due_date = due
    session.add(case)
    return warning


def auditors(*, session: Session) -> list[User]:
    """Active users who may complete audits."""
    ids = select(UserRole.user_id).where(UserRole.role.in_(AUDITOR_ROLES))
    query = select(User).where(User.active.is_(True), User.id.in_(ids)).order_by(User.username)
    return list(session.exec(query).all())


def open_load(*, session: Session) -> dict[int, int]:
    """Cases each auditor holds that are not yet submitted, across all audits."""
    query = (
        select(AuditCase.auditor_id, func.count())
        .where(AuditCase.auditor_id.is_not(None), AuditCase.status.not_in(DONE),
               AuditCase.replaced.is_(False), AuditCase.reserve.is_(False))
        .group_by(AuditCase.auditor_id)
    )  # fmt: skip
    return dict(session.exec(query).all())


def round_robin(
    audit: Audit, users: list[User], due: date | None, *, session: Session
) -> list[str]:
    """Give each unassigned sampled case to the least-loaded auditor who is not its worker.

    Returns the warnings (same team) and the cases nobody could take; commits.
    """
    if not users:
        raise AssignmentError("Choose at least one auditor")
    load = open_load(session=session)
    notes = []
    todo = [
        (case, ref, [u for u in users if not _same(u.worker_name, worker)])
        for case, ref, worker, _team, _auditor in cases_of(audit.id, session=session)
        if not (case.reserve or case.replaced or case.auditor_id)
    ]
    # the cases fewest people may take go first, so the load still comes out even
    for case, ref, able in sorted(todo, key=lambda item: (len(item[2]), item[0].position)):
        if not able:
            notes.append(f"Nobody chosen could take {ref}: each is its allocated worker")
            continue
        chosen = min(able, key=lambda u: (load.get(u.id, 0), u.username))
        warning = assign_case(case, chosen, due or case.due_date or audit.due_date, session=session)
        load[chosen.id] = load.get(chosen.id, 0) + 1
        if warning:
            notes.append(f"{ref}: {warning}")
    session.commit()
    return notes


def overdue(case: AuditCase, today: date) -> bool:
    return bool(case.due_date and case.due_date < today and case.status not in DONE)


def audit_progress(*, session: Session, today: date) -> list[dict]:
    """Every audit with its cases by status, and per auditor: assigned, done, overdue."""
    audits = session.exec(
        select(Audit).order_by(Audit.status.desc(), Audit.due_date, Audit.id)
    ).all()
    cases = session.exec(
        select(AuditCase, User.username)
        .outerjoin(User, User.id == AuditCase.auditor_id)
        .where(AuditCase.reserve.is_(False), AuditCase.replaced.is_(False))
    ).all()  # fmt: skip
    out = []
    for audit in audits:
        mine = [(c, name) for c, name in cases if c.audit_id == audit.id]
        per: dict[str, dict] = {}
        for case, name in mine:
            row = per.setdefault(name or "Not assigned", {"assigned": 0, "done": 0, "overdue": 0})
            row["assigned"] += 1
            row["done"] += case.status in DONE
            row["overdue"] += overdue(case, today)
        out.append({
            "audit": audit, "total": len(mine),
            "done": sum(c.status in DONE for c, _ in mine),
            "overdue": sum(overdue(c, today) for c, _ in mine),
            "auditors": sorted(per.items()),
        })  # fmt: skip
    return out


def my_cases(user_id: int, *, session: Session) -> list[tuple]:
    """(case, audit, child_ref) assigned to the user, open audits first, soonest due first."""
    query = (
        select(AuditCase, Audit, Child.child_ref)
        .join(Audit, Audit.id == AuditCase.audit_id)
        .join(Child, Child.id == AuditCase.child_id)
        .where(AuditCase.auditor_id == user_id, AuditCase.replaced.is_(False),
               AuditCase.reserve.is_(False))
        .order_by(Audit.status.desc(), AuditCase.due_date, Audit.id, AuditCase.position)
    )  # fmt: skip
    return list(session.exec(query).all())


# ---------------------------------------------------------------------------------------------
# Reading the forms


@dataclass
class Problems:
    """Field -> message, in the order found, for the GOV.UK error summary."""

    errors: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)


def _date(form, key: str, label: str, problems: Problems, *, required: bool = False) -> date | None:
    text = (form.get(key) or "").strip()
    if not text:
        if required:
            problems.add(key, f"Enter the {label}")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(key, f"The {label} must be a real date like 2025-04-01, not ‘{text}’")
        return None


def _int(
    form, key: str, label: str, problems: Problems, default: int | None = None, low: int = 0
) -> int | None:
    text = (form.get(key) or "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        problems.add(key, f"The {label} must be a whole number, not ‘{text}’")
        return default
    if value < low:
        problems.add(key, f"The {label} must be {low} or more, not {value}")
        return default
    return value


def rules_from_form(form, problems: Problems) -> dict:
    raw = {key: [v for v in form.getlist(f"rule_{key}") if v.strip()] for key in RULE_LABELS}
    raw = {key: values for key, values in raw.items() if values}
    try:
        return parse_rules(raw)
    except RuleError as error:
        problems.add(f"rule_{error.key}", str(error))
        return {}


def check_audit_form(form, problems: Problems) -> dict:
    title = (form.get("title") or "").strip()
    if not title:
        problems.add("title", "Enter a title for the audit")
    theme = form.get("theme") or ""
    if theme not in THEMES:
        problems.add("theme", "Choose the audit's theme")
    key, _, version = (form.get("template") or "").rpartition("@")
    if not version.isdigit() or (key, int(version)) not in builtin_templates():
        problems.add("template", "Choose the audit template")
    data = {
        "title": title[:200], "theme": theme, "template_key": key,
        "template_version": int(version) if version.isdigit() else 0,
        "period_start": _date(form, "period_start", "start of the period", problems),
        "period_end": _date(form, "period_end", "end of the period", problems),
        "due_date": _date(form, "due_date", "due date", problems, required=True),
    }  # fmt: skip
    if data["period_start"] and data["period_end"] and data["period_end"] < data["period_start"]:
        problems.add("period_end", "The end of the period must be on or after its start")
    return data


def _as_of(audit: Audit | None = None) -> date:
    today = datetime.now(UTC).date()
    return min(audit.period_end, today) if audit and audit.period_end else today


def _exclusions(form, problems: Problems, audit_id: int | None = None) -> Exclusions:
    months = _int(form, "exclude_months", "number of months", problems, default=12)
    return Exclusions(months or 0, form.get("exclude_open", "1") == "1", audit_id)


def _setup_context(form, rules: dict, problems: Problems) -> dict:
    session = get_session()
    counts = frame_counts(
        rules, session=session, as_of=_as_of(), exclusions=_exclusions(form, problems)
    )
    context = {
        "form": form, "rules": rules, "errors": problems.errors, "counts": counts,
        "frame_words": describe_rules(rules), "themes": THEMES, "templates": templates_offered(),
        "factor_labels": FACTOR_LABELS, "cp_categories": CP_CATEGORIES, "outcomes": OUTCOMES,
        "sources": REFERRAL_SOURCES, "age_bands": AGE_BANDS,
        "has_factors": has_factor_data(session=session),
        "teams": _distinct(JourneySummary.team), "workers": _distinct(JourneySummary.worker),
        "ethnicities": _distinct(Child.ethnicity), "error_list": _error_list(problems.errors),
        "theme_note": THEMES.get(form.get("theme", ""), THEMES["general"])[3],
        "event_kinds": [(k, KIND_LABELS[k]) for k in EVENT_KINDS if k != "closure"],
        "factor_options": _options(FACTOR_LABELS, codes=True),
        "cp_options": _options(CP_CATEGORIES),
        "stage_options": [(s, STAGE_LABELS[s]) for s in STAGES],
        "outcome_options": _options(OUTCOMES),
        "source_options": _options(REFERRAL_SOURCES, codes=True),
        "age_options": [(k, v[0]) for k, v in AGE_BANDS.items()],
        "more_open": any(key in rules for key in MORE_RULES),
    }  # fmt: skip
    context["ethnicity_options"] = [(e, e) for e in context["ethnicities"]]
    context["team_options"] = [(t, t) for t in context["teams"]]
    return context


def _error_list(errors: dict[str, str]) -> list[dict]:
    return [{"text": message, "href": f"#{key}"} for key, message in errors.items()]


def _options(labels: dict, codes: bool = False) -> list[tuple[str, str]]:
    return [(k, f"{k} {v}" if codes else v) for k, v in labels.items()]


def _distinct(column) -> list[str]:
    return [v for v in get_session().exec(select(column).distinct().order_by(column)).all() if v]


#: The built-in template a theme starts with (the core front-door tool otherwise).
THEME_TEMPLATES = {
    "neglect": "neglect", "cse": "cse", "missing": "missing", "disability": "disability",
    "domestic_abuse": "domestic-abuse-toxic-trio", "toxic_trio": "domestic-abuse-toxic-trio",
    "trafficking": "cse",
}  # fmt: skip
MORE_RULES = ("stage", "outcome", "source", "age_band", "ethnicity", "team", "worker", "disability",
              "rereferred", "repeat_cp", "overdue_assessment", "anomalies")  # fmt: skip


def _theme_form(theme: str):
    """The form a theme starts from: its rules, as the form's fields."""
    from werkzeug.datastructures import MultiDict

    _, rules, method, _ = THEMES.get(theme, THEMES["general"])
    form = MultiDict({"theme": theme if theme in THEMES else "general", "method": method})
    key = THEME_TEMPLATES.get(theme, "core-front-door")
    versions = [v for k, v in builtin_templates() if k == key]
    if versions:
        form["template"] = f"{key}@{max(versions)}"
    for key, value in rules.items():
        for item in value if isinstance(value, list) else [value]:
            form.add(f"rule_{key}", item)
    return form


# ---------------------------------------------------------------------------------------------
# Views


def _is_manager() -> bool:
    return allowed(g.user.roles, "manage_audits")


@bp.route("/", methods=["GET"])
@requires("do_audits")
def audit_list():
    session = get_session()
    today = datetime.now(UTC).date()
    progress = audit_progress(session=session, today=today) if _is_manager() else []
    mine = my_cases(g.user.id, session=session)
    if mine:
        log_access(None, "view_my_audits", f"{len(mine)} assigned cases listed", session=session)
    return render("audits/list.html", progress=progress, mine=mine, today=today,
                  manager=_is_manager(),
                  overdue=overdue, labels=STATUS_LABELS, tags=STATUS_TAGS, case_url=case_url,
                  themes=THEMES)  # fmt: skip


@bp.route("/new", methods=["GET"])
@requires("manage_audits")
def create_audit_form():
    form = _theme_form(request.args.get("theme", "general"))
    for key in ("title", "template", "period_start", "period_end", "due_date"):
        if request.args.get(key):
            form[key] = request.args[key]
    problems = Problems()
    return render(
        "audits/setup_new.html", **_setup_context(form, rules_from_form(form, problems), problems)
    )


@bp.route("/frame", methods=["GET"])
@requires("manage_audits")
def frame_preview():
    problems = Problems()
    rules = rules_from_form(request.args, problems)
    return render(
        "audits/setup_new.html",
        "audits/_frame.html",
        **_setup_context(request.args, rules, problems),
    )


@bp.route("/new", methods=["POST"])
@requires("manage_audits")
def create_audit_view():
    problems = Problems()
    rules = rules_from_form(request.form, problems)
    if request.form.get("action") == "count":
        return render("audits/setup_new.html", **_setup_context(request.form, rules, problems))
    data = check_audit_form(request.form, problems)
    if problems.errors:
        return render(
            "audits/setup_new.html", status=400, **_setup_context(request.form, rules, problems)
        )
    audit = create_audit(data, rules, session=get_session(), user_id=g.user.id)
    flash(f"Audit ‘{audit.title}’ created. Now draw its sample.", "success")
    return redirect(url_for("audits.audit_page", audit_id=audit.id), code=303)


def _audit_or_404(audit_id: int) -> Audit:
    audit = get_session().get(Audit, audit_id)
    if audit is None:
        abort(404)
    return audit


def case_url(case: AuditCase) -> str | None:
    """The auditor's form for a case, where the casework pages provide one."""
    if "audits.case_page" in current_app.view_functions:
        return url_for("audits.case_page", audit_case_id=case.id)
    return None


def _draw_defaults(audit: Audit) -> dict:
    theme_method = THEMES.get(audit.theme, THEMES["general"])[2]
    return {"method": theme_method, "by": "team", "allocation": "proportional", "n": "",
            "seed": str(secrets.randbelow(90000) + 10000), "exclude_months": "12",
            "exclude_open": "1",
            "p": "0.5", "margin": "5", "confidence": "95"}  # fmt: skip


def _audit_context(audit: Audit, form=None, problems: Problems | None = None, calc=None) -> dict:
    session = get_session()
    draw = active_draw(audit.id, session=session)
    cases = cases_of(audit.id, session=session)
    problems = problems or Problems()
    counts = frame_counts(audit.rules or {}, session=session, as_of=_as_of(audit),
                          exclusions=Exclusions(12, True, audit.id))  # fmt: skip
    log_access(
        None, "view_audit_sample", f"audit {audit.id}: {len(cases)} cases listed", session=session
    )
    draws = session.exec(
        select(SampleDraw).where(SampleDraw.audit_id == audit.id).order_by(SampleDraw.id)
    ).all()
    return {
        "audit": audit, "draw": draw, "draws": draws, "cases": cases, "counts": counts,
        "frame_words": describe_rules(audit.rules or {}), "form": form or _draw_defaults(audit),
        "errors": problems.errors, "calc": calc, "methods": METHODS, "allocations": ALLOCATIONS,
        "strata": STRATA, "markers": MARKERS, "auditors": auditors(session=session),
        "theme": THEMES.get(audit.theme, THEMES["general"]), "labels": STATUS_LABELS,
        "tags": STATUS_TAGS,
        "today": datetime.now(UTC).date(), "overdue": overdue, "same": _same, "case_url": case_url,
        "rule_labels": RULE_LABELS, "error_list": _error_list(problems.errors),
        "template_title": _template_title(audit), "period": _period(audit),
        "drawn_by": _username(draw.drawn_by) if draw else None,
        "draw_method": _method_words(draw) if draw else "", "method_options": METHOD_OPTIONS,
    }  # fmt: skip


METHOD_OPTIONS = (
    ("random", "Simple random", "Every child in the frame equally likely."),
    (
        "stratified",
        "Stratified random",
        "At random within each stratum, shared in proportion or equally.",
    ),
    ("purposive", "Purposive", "The whole frame, or the children highest on a marker."),
)


def _template_title(audit: Audit) -> str:
    template = builtin_templates().get((audit.template_key, audit.template_version))
    return template.title if template else audit.template_key


def _period(audit: Audit) -> str:
    def words(day: date | None) -> str:
        return f"{day.day} {day:%B %Y}" if day else "…"

    if not audit.period_start and not audit.period_end:
        return "Not set"
    return f"{words(audit.period_start)} to {words(audit.period_end)}"


def _username(user_id: int | None) -> str | None:
    user = get_session().get(User, user_id) if user_id else None
    return user.username if user else None


def _method_words(draw: SampleDraw) -> str:
    if draw.method == "stratified":
        spread = "in proportion" if draw.allocation == "proportional" else "equal numbers"
        return (
            f"Stratified random by {STRATA.get(draw.stratify_by or '', draw.stratify_by)}, {spread}"
        )
    if draw.method == "purposive":
        return (
            f"Purposive: highest {MARKERS[draw.marker]}"
            if draw.marker in MARKERS
            else "Purposive: whole frame"
        )
    return "Simple random"


@bp.route("/<int:audit_id>", methods=["GET"])
@requires("do_audits")
def audit_page(audit_id: int):
    audit = _audit_or_404(audit_id)
    if not _is_manager():
        return _auditor_audit_page(audit)
    form, calc = None, None
    if request.args.get("calculate"):
        form, calc = _calculator(audit)
    return render("audits/setup_audit.html", **_audit_context(audit, form, calc=calc))


def _auditor_audit_page(audit: Audit):
    mine = [row for row in my_cases(g.user.id, session=get_session()) if row[1].id == audit.id]
    if not mine:
        abort(404)
    log_access(
        None,
        "view_my_audits",
        f"audit {audit.id}: {len(mine)} assigned cases listed",
        session=get_session(),
    )
    return render("audits/my_audit.html", audit=audit, mine=mine, labels=STATUS_LABELS,
                  tags=STATUS_TAGS,
                  today=datetime.now(UTC).date(), overdue=overdue, case_url=case_url)  # fmt: skip


def _calculator(audit: Audit):
    """The sample-size calculator from the query string: (form with n filled, result or errors)."""
    form = {**_draw_defaults(audit), **request.args.to_dict()}
    problems = Problems()
    counts = frame_counts(audit.rules or {}, session=get_session(), as_of=_as_of(audit),
                          exclusions=_exclusions(form, problems, audit.id))  # fmt: skip
    try:
        p = float(form["p"])
        margin = float(form["margin"]) / 100
        confidence = float(form["confidence"]) / 100
        result = sample_size(counts.size, p=p, margin=margin, confidence=confidence)
    except (ValueError, SamplingError) as error:
        return form, {
            "error": str(error)
            if isinstance(error, SamplingError)
            else "The calculator needs numbers: "
            f"‘{form['p']}’, ‘{form['margin']}’, ‘{form['confidence']}’"
        }
    form["n"] = str(result.n)
    return form, {"result": result}


def _draw_params(audit: Audit, form, problems: Problems) -> dict:
    method = form.get("method") or "random"
    if method not in METHODS:
        problems.add("method", f"‘{method}’ is not a way of drawing (one of {', '.join(METHODS)})")
    n = _int(form, "n", "sample size", problems, low=1)
    if n is None and method != "purposive":
        problems.add("n", "Enter how many children to sample")
    params = {
        "method": method, "n": n or 0, "seed": _int(form, "seed", "seed", problems, default=None),
        "by": form.get("by") if method == "stratified" else None,
        "allocation": form.get("allocation") or "proportional",
        "marker": (form.get("marker") or None) if method == "purposive" else None,
        "reserves": _int(form, "reserves", "number of reserves", problems, default=None),
        "exclude_months": _int(form, "exclude_months", "number of months", problems, default=12),
        "exclude_open": form.get("exclude_open", "0") == "1",
        "size_working": form.get("size_working") or None,
    }  # fmt: skip
    if params["allocation"] not in ALLOCATIONS:
        problems.add("allocation", f"‘{params['allocation']}’ is not an allocation")
    if method == "stratified" and params["by"] not in STRATA:
        problems.add("by", "Choose what to stratify by")
    if params["seed"] is None:
        params["seed"] = secrets.randbelow(90000) + 10000
    return params


@bp.route("/<int:audit_id>/draw", methods=["POST"])
@requires("manage_audits")
def draw_view(audit_id: int):
    audit = _audit_or_404(audit_id)
    session = get_session()
    problems = Problems()
    params = _draw_params(audit, request.form, problems)
    if not problems.errors:
        try:
            drawn = draw_sample(
                audit.rules or {}, session=session, as_of=_as_of(audit), n=params["n"] or 10**9,
                seed=params["seed"], method=params["method"], by=params["by"],
                allocation=params["allocation"], marker=params["marker"],
                reserves=params["reserves"] if params["n"] else 0,
                exclusions=Exclusions(
                    params["exclude_months"] or 0, params["exclude_open"], audit.id
                ),
            )  # fmt: skip
            record_draw(audit, drawn, params, session=session, user_id=g.user.id)
        except RuleError as error:
            problems.add(error.key, str(error))
        except SamplingError as error:
            session.rollback()
            problems.add("n", str(error))
    if problems.errors:
        return render(
            "audits/setup_audit.html", status=400, **_audit_context(audit, request.form, problems)
        )
    flash(drawn.description, "success")
    return redirect(
        url_for("audits.audit_page", audit_id=audit.id, _anchor="audit-cases"), code=303
    )


def _case_or_404(audit: Audit, case_id: int) -> AuditCase:
    case = get_session().get(AuditCase, case_id)
    if case is None or case.audit_id != audit.id:
        abort(404)
    return case


@bp.route("/<int:audit_id>/cases/<int:case_id>/replace", methods=["POST"])
@requires("manage_audits")
def replace_view(audit_id: int, case_id: int):
    audit = _audit_or_404(audit_id)
    case = _case_or_404(audit, case_id)
    try:
        reserve = replace_case(case, request.form.get("reason", ""), session=get_session())
    except AssignmentError as error:
        return _with_error(audit, f"reason-{case.id}", str(error))
    flash(f"Case {case.position} replaced by reserve {reserve.position}.", "success")
    return redirect(
        url_for("audits.audit_page", audit_id=audit.id, _anchor="audit-cases"), code=303
    )


def _with_error(audit: Audit, key: str, message: str):
    problems = Problems()
    problems.add(key, message)
    return render("audits/setup_audit.html", status=400, **_audit_context(audit, None, problems))


@bp.route("/<int:audit_id>/assign", methods=["POST"])
@requires("manage_audits")
def assign_view(audit_id: int):
    audit = _audit_or_404(audit_id)
    session = get_session()
    people = {u.id: u for u in auditors(session=session)}
    problems, warnings = Problems(), []
    for case, ref, *_ in cases_of(audit.id, session=session):
        if f"auditor-{case.id}" not in request.form or case.reserve or case.replaced:
            continue
        chosen = _int(request.form, f"auditor-{case.id}", "auditor", problems)
        due = _date(request.form, f"due-{case.id}", f"due date of {ref}", problems)
        try:
            warning = assign_case(
                case, people.get(chosen) if chosen else None, due, session=session
            )
        except AssignmentError as error:
            problems.add(f"auditor-{case.id}", f"{ref}: {error}")
            continue
        if warning:
            warnings.append(f"{ref}: {warning}")
    if problems.errors:
        session.rollback()
        return render(
            "audits/setup_audit.html", status=400, **_audit_context(audit, None, problems)
        )
    session.commit()
    _flash_notes("Assignments saved.", warnings)
    return redirect(
        url_for("audits.audit_page", audit_id=audit.id, _anchor="audit-cases"), code=303
    )


def _flash_notes(done: str, notes: list[str]) -> None:
    flash(done, "success")
    if notes:
        flash("Check these: " + "; ".join(notes), "warning")


@bp.route("/<int:audit_id>/round-robin", methods=["POST"])
@requires("manage_audits")
def round_robin_view(audit_id: int):
    audit = _audit_or_404(audit_id)
    session = get_session()
    people = {u.id: u for u in auditors(session=session)}
    chosen = [
        people[int(i)] for i in request.form.getlist("auditors") if i.isdigit() and int(i) in people
    ]
    problems = Problems()
    due = _date(request.form, "rr_due", "due date", problems)
    try:
        if problems.errors:
            raise AssignmentError(problems.errors["rr_due"])
        notes = round_robin(audit, chosen, due, session=session)
    except AssignmentError as error:
        return _with_error(audit, "auditors", str(error))
    _flash_notes(
        "Unassigned cases shared among the auditors chosen, fewest open cases first.", notes
    )
    return redirect(
        url_for("audits.audit_page", audit_id=audit.id, _anchor="audit-cases"), code=303
    )
