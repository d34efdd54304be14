"""Setting up an audit through the pages: create with a live frame, draw, replace, assign."""

import re
from datetime import date

import pytest
from sqlmodel import select

from audit_app.audits.setup import AssignmentError, assign_case, round_robin
from audit_app.db import session_scope
from audit_app.models import AccessLog, Audit, AuditCase, SampleDraw, User
from tests.audits.test_cohort import build_cohort


@pytest.fixture
def cohort(app):
    return build_cohort(app)


@pytest.fixture
def manager(make_user, auth):
    make_user("pm", "practice_manager")
    auth.login("pm")
    return auth


def create(auth, **extra):
    data = {
        "title": "Domestic abuse dip",
        "theme": "domestic_abuse",
        "template": "domestic-abuse-toxic-trio@1",
        "period_start": "2025-01-01",
        "period_end": "2025-10-31",
        "due_date": "2026-01-31",
        "action": "create",
        **extra,
    }
    return auth.post("/audits/new", data)


def audit_id(app) -> int:
    with session_scope(app) as s:
        return s.exec(select(Audit.id).order_by(Audit.id.desc())).first()


def cases(app, audit: int) -> list[AuditCase]:
    with session_scope(app) as s:
        return list(
            s.exec(
                select(AuditCase).where(AuditCase.audit_id == audit).order_by(AuditCase.position)
            )
        )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class TestCreate:
    def test_theme_preselects_its_factors_with_labels(self, app, cohort, manager):
        page = manager.client.get("/audits/new?theme=toxic_trio")
        assert page.status_code == 200
        for code in ("1B", "1C", "2B", "2C", "3A", "3B", "3C", "4B", "4C"):
            assert re.search(rf'value="{code}" checked', page.text), code
        assert not re.search(r'value="16A" checked', page.text)
        assert "4B Mental health: parent or carer" in page.text
        assert "18A Physical abuse (legacy code)" in page.text
        # C1 (3A, 4B) is the only child with a toxic-trio factor
        assert 'id="audits-frame-size">1<' in page.text

    def test_radicalisation_says_it_is_purposive(self, app, cohort, manager):
        page = manager.client.get("/audits/new?theme=radicalisation")
        assert "drawn purposively" in page.text

    def test_frame_partial_for_htmx_and_full_page_without(self, app, cohort, manager):
        url = "/audits/frame?rule_team=South+Team&rule_stage=cp_plan"
        partial = manager.client.get(url, headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="audits-frame"')
        assert 'id="audits-frame-size">2<' in partial.text
        assert "South Team" in text_of(partial.text) and "Child protection plan" in text_of(
            partial.text
        )
        full = manager.client.get(url)
        assert "<html" in full.text and 'id="audits-frame-size">2<' in full.text
        assert "HX-Request" in partial.headers["Vary"]

    def test_count_button_works_without_javascript(self, app, cohort, manager):
        page = manager.post(
            "/audits/new", {"action": "count", "rule_source": "6", "theme": "general"}
        )
        assert page.status_code == 200 and 'id="audits-frame-size">2<' in page.text
        with session_scope(app) as s:
            assert s.exec(select(Audit)).first() is None

    def test_annex_a_only_data_are_said_beside_the_factor_rule(self, app, manager):
        from tests.audits.test_cohort import add_child, assessment, referral

        with session_scope(app) as s:
            add_child(s, "A1", [referral(date(2025, 5, 1)), assessment(date(2025, 5, 2))])
        from audit_app.db import engine
        from audit_app.summaries import rebuild_summaries

        rebuild_summaries(engine=engine(app))
        page = manager.client.get("/audits/new?theme=domestic_abuse")
        assert 'id="rule_factors-note"' in page.text and "Annex A carries none" in page.text
        assert 'id="audits-frame-size">1<' in page.text  # not an empty frame

    def test_create_stores_template_and_rules(self, app, cohort, manager):
        response = create(
            manager, rule_factors=["3A", "3B"], rule_event="referral", rule_from="2025-04-01"
        )
        assert response.status_code == 303
        with session_scope(app) as s:
            audit = s.exec(select(Audit)).one()
        assert (audit.template_key, audit.template_version) == ("domestic-abuse-toxic-trio", 1)
        assert len(audit.template_fingerprint) == 64
        assert audit.rules == {"event": "referral", "from": "2025-04-01", "factors": ["3A", "3B"]}

    def test_bad_input_names_the_field_and_value(self, app, cohort, manager):
        response = create(manager, title="", rule_from="2025-13-01")
        assert response.status_code == 400
        assert "govuk-error-summary" in response.text
        assert "Enter a title for the audit" in response.text
        assert "not ‘2025-13-01’" in response.text and 'href="#rule_from"' in response.text


class TestDraw:
    def draw(self, app, auth, **extra):
        create(auth)
        audit = audit_id(app)
        data = {
            "method": "random",
            "n": "2",
            "seed": "48213",
            "reserves": "2",
            "exclude_months": "12",
            "exclude_open": "1",
            **extra,
        }
        return audit, auth.post(f"/audits/{audit}/draw", data)

    def test_draw_records_everything_and_says_how_in_plain_words(self, app, cohort, manager):
        audit, response = self.draw(app, manager)
        assert response.status_code == 303
        with session_scope(app) as s:
            row = s.exec(select(SampleDraw)).one()
        assert (row.method, row.n, row.seed, row.frame_size) == ("random", 2, 48213, 6)
        assert len(row.frame_hash) == 64 and len(row.child_refs) == 2 and len(row.reserve_refs) == 2
        page = manager.client.get(f"/audits/{audit}")
        assert "2 children drawn at random from 6 children in the case data" in text_of(page.text)
        assert "seed 48213" in page.text and row.frame_hash in page.text
        rows = cases(app, audit)
        assert [c.reserve for c in rows] == [False, False, True, True]
        assert [c.position for c in rows] == [1, 2, 3, 4]

    def test_redraw_is_a_new_draw_and_the_old_one_is_unchanged(self, app, cohort, manager):
        audit, _ = self.draw(app, manager)
        with session_scope(app) as s:
            first = s.exec(select(SampleDraw)).one()
        manager.post(
            f"/audits/{audit}/draw", {"method": "stratified", "by": "team", "n": "4", "seed": "7"}
        )
        with session_scope(app) as s:
            draws = s.exec(select(SampleDraw).order_by(SampleDraw.id)).all()
        assert len(draws) == 2
        old = draws[0]
        assert (old.child_refs, old.seed, old.frame_hash, old.description) == (
            first.child_refs,
            first.seed,
            first.frame_hash,
            first.description,
        )
        assert draws[1].method == "stratified" and draws[1].stratify_by == "team"
        assert len([c for c in cases(app, audit) if not c.reserve]) == 4

    def test_redraw_refused_once_a_case_is_started(self, app, cohort, manager):
        audit, _ = self.draw(app, manager)
        with session_scope(app) as s:
            case = s.exec(select(AuditCase).where(AuditCase.reserve.is_(False))).first()
            case.status = "in_progress"
            s.add(case)
            s.commit()
        response = manager.post(
            f"/audits/{audit}/draw", {"method": "random", "n": "3", "seed": "1"}
        )
        assert response.status_code == 400 and "cannot be redrawn" in response.text

    def test_calculator_shows_its_working_and_fills_the_size(self, app, cohort, manager):
        create(manager)
        page = manager.client.get(
            f"/audits/{audit_id(app)}?calculate=1&p=0.5&margin=5&confidence=95"
        )
        assert "n0 = z² × p × (1 − p) ÷ e²" in page.text
        assert 'id="n" name="n" type="text" inputmode="numeric" value="6"' in page.text

    def test_bad_draw_input_is_an_error_summary(self, app, cohort, manager):
        create(manager)
        response = manager.post(f"/audits/{audit_id(app)}/draw", {"method": "random", "n": "lots"})
        assert response.status_code == 400 and "not ‘lots’" in response.text

    def test_replacing_a_case_uses_the_next_reserve_and_records_why(self, app, cohort, manager):
        audit, _ = self.draw(app, manager)
        first, second, reserve1, reserve2 = cases(app, audit)
        response = manager.post(
            f"/audits/{audit}/cases/{second.id}/replace", {"reason": "Moved out of area"}
        )
        assert response.status_code == 303
        rows = {c.id: c for c in cases(app, audit)}
        assert (
            rows[second.id].replaced and rows[second.id].replacement_reason == "Moved out of area"
        )
        assert not rows[reserve1.id].reserve and rows[reserve2.id].reserve
        manager.post(
            f"/audits/{audit}/cases/{first.id}/replace", {"reason": "Sibling already audited"}
        )
        rows = {c.id: c for c in cases(app, audit)}
        assert not rows[reserve2.id].reserve
        none_left = manager.post(f"/audits/{audit}/cases/{reserve1.id}/replace", {"reason": "x"})
        assert none_left.status_code == 400 and "no reserves left" in none_left.text

    def test_replacing_needs_a_reason(self, app, cohort, manager):
        audit, _ = self.draw(app, manager)
        response = manager.post(
            f"/audits/{audit}/cases/{cases(app, audit)[0].id}/replace", {"reason": " "}
        )
        assert response.status_code == 400 and "Give the reason" in response.text


def child_worker_users(app, make_user):
    make_user("worker.a", "auditor", worker_name="Worker A", team_name="North Team")
    make_user("north.tm", "auditor", worker_name="Someone Else", team_name="North Team")
    make_user("far.away", "auditor", team_name="Elsewhere")
    with session_scope(app) as s:
        return {u.username: u for u in s.exec(select(User))}


class TestAssignment:
    def setup_audit(self, app, manager, n="6"):
        create(manager)
        audit = audit_id(app)
        manager.post(
            f"/audits/{audit}/draw",
            {"method": "random", "n": n, "seed": "3", "reserves": "0", "exclude_months": "0"},
        )
        return audit

    def c1_case(self, app, cohort, audit) -> AuditCase:
        return next(c for c in cases(app, audit) if c.child_id == cohort["C1"])

    def test_never_to_the_childs_own_worker(self, app, cohort, manager, make_user):
        people = child_worker_users(app, make_user)
        audit = self.setup_audit(app, manager)
        case = self.c1_case(app, cohort, audit)
        response = manager.post(
            f"/audits/{audit}/assign", {f"auditor-{case.id}": people["worker.a"].id}
        )
        assert response.status_code == 400
        assert "worker.a is this child&#39;s allocated worker" in response.text
        assert self.c1_case(app, cohort, audit).auditor_id is None
        page = manager.client.get(f"/audits/{audit}")
        assert re.search(
            r"disabled>worker\.a \(allocated worker\)", page.text
        )  # not offered either

    def test_same_team_is_allowed_with_a_warning(self, app, cohort, manager, make_user):
        people = child_worker_users(app, make_user)
        audit = self.setup_audit(app, manager)
        case = self.c1_case(app, cohort, audit)
        response = manager.post(
            f"/audits/{audit}/assign",
            {f"auditor-{case.id}": people["north.tm"].id, f"due-{case.id}": "2026-01-15"},
        )
        assert response.status_code == 303
        page = manager.client.get(response.headers["Location"])
        assert "north.tm is in the child&#39;s team (North Team)" in page.text
        saved = self.c1_case(app, cohort, audit)
        assert saved.auditor_id == people["north.tm"].id and saved.due_date == date(2026, 1, 15)

    def test_reassign_and_unassign(self, app, cohort, manager, make_user):
        people = child_worker_users(app, make_user)
        audit = self.setup_audit(app, manager)
        case = self.c1_case(app, cohort, audit)
        manager.post(f"/audits/{audit}/assign", {f"auditor-{case.id}": people["north.tm"].id})
        manager.post(f"/audits/{audit}/assign", {f"auditor-{case.id}": people["far.away"].id})
        assert self.c1_case(app, cohort, audit).auditor_id == people["far.away"].id
        manager.post(f"/audits/{audit}/assign", {f"auditor-{case.id}": ""})
        assert self.c1_case(app, cohort, audit).auditor_id is None

    @pytest.mark.parametrize("seed", range(5))
    def test_round_robin_never_picks_the_childs_worker_and_balances_load(
        self, app, cohort, make_user, seed
    ):
        people = child_worker_users(app, make_user)
        with session_scope(app) as s:
            audit = Audit(title="t", theme="general", template_key="core-front-door")
            s.add(audit)
            s.flush()
            for position, child in enumerate(
                sorted(cohort.values(), key=lambda c: (c * 7 + seed) % 6), 1
            ):
                s.add(AuditCase(audit_id=audit.id, child_id=child, position=position))
            s.commit()
            chosen = [people["worker.a"], people["north.tm"], people["far.away"]]
            notes = round_robin(audit, chosen, date(2026, 2, 1), session=s)
            rows = s.exec(select(AuditCase).where(AuditCase.audit_id == audit.id)).all()
        by_child = {c.child_id: c.auditor_id for c in rows}
        assert by_child[cohort["C1"]] != people["worker.a"].id  # Worker A is C1's allocated worker
        assert all(c.auditor_id for c in rows) and all(c.due_date == date(2026, 2, 1) for c in rows)
        loads = sorted(list(by_child.values()).count(p.id) for p in chosen)
        assert loads == [2, 2, 2]
        # C1 and C3 are North Team children: a North Team auditor may take them, with a warning
        assert all(
            n[:4] in ("C1: ", "C3: ") and n.endswith("in the child's team (North Team)")
            for n in notes
        )

    def test_assign_case_refuses_the_worker_by_name_ignoring_case(self, app, cohort, make_user):
        make_user("wa", "auditor", worker_name="  worker a ")
        with session_scope(app) as s:
            audit = Audit(title="t", theme="general", template_key="core-front-door")
            s.add(audit)
            s.flush()
            case = AuditCase(audit_id=audit.id, child_id=cohort["C1"])
            s.add(case)
            s.flush()
            user = s.exec(select(User).where(User.username == "wa")).one()
            with pytest.raises(AssignmentError, match="allocated worker"):
                assign_case(case, user, None, session=s)


class TestLists:
    def test_auditor_sees_my_audits_with_status_and_overdue(
        self, app, cohort, manager, make_user, client
    ):
        people = child_worker_users(app, make_user)
        audit = TestAssignment().setup_audit(app, manager, n="2")
        first, second = cases(app, audit)
        manager.post(
            f"/audits/{audit}/assign",
            {
                f"auditor-{first.id}": people["far.away"].id,
                f"due-{first.id}": "2020-01-01",
                f"auditor-{second.id}": people["far.away"].id,
            },
        )
        with session_scope(app) as s:
            row = s.get(AuditCase, second.id)
            row.status = "submitted"
            s.add(row)
            s.commit()
        manager.client.post("/auth/logout", data={"csrf_token": manager.token})
        from tests.conftest import Auth

        auditor = Auth(client)
        auditor.login("far.away")
        page = text_of(client.get("/audits/").text)
        assert "My audits" in page and "Domestic abuse dip" in page
        assert "Not started Overdue" in page and "Submitted" in page
        assert client.get(f"/audits/{audit}").status_code == 200
        assert client.get("/audits/new").status_code == 403

    def test_auditor_gets_404_for_an_audit_not_theirs(
        self, app, cohort, manager, make_user, client
    ):
        make_user("other", "auditor")
        audit = TestAssignment().setup_audit(app, manager, n="2")
        manager.client.post("/auth/logout", data={"csrf_token": manager.token})
        from tests.conftest import Auth

        auditor = Auth(client)
        auditor.login("other")
        assert client.get(f"/audits/{audit}").status_code == 404
        assert client.get("/audits/999").status_code == 404

    def test_manager_sees_progress_per_auditor(self, app, cohort, manager, make_user):
        people = child_worker_users(app, make_user)
        audit = TestAssignment().setup_audit(app, manager, n="2")
        first, second = cases(app, audit)
        manager.post(
            f"/audits/{audit}/assign",
            {
                f"auditor-{first.id}": people["far.away"].id,
                f"auditor-{second.id}": people["north.tm"].id,
            },
        )
        with session_scope(app) as s:
            row = s.get(AuditCase, first.id)
            row.status = "finalised"
            s.add(row)
            s.commit()
        page = text_of(manager.client.get("/audits/").text)
        assert "1 of 2" in page and "far.away: 1 of 1" in page and "north.tm: 0 of 1" in page

    def test_viewing_the_sample_is_logged(self, app, cohort, manager):
        create(manager)
        manager.client.get(f"/audits/{audit_id(app)}")
        with session_scope(app) as s:
            assert s.exec(select(AccessLog).where(AccessLog.action == "view_audit_sample")).first()
