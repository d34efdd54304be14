"""Safeguarding escalation: the alert appears and clears, e-mail goes out, others' stay hidden."""

import socketserver
import threading
from email import message_from_bytes

import pytest
from sqlmodel import select

from audit_app.db import session_scope
from audit_app.models import Escalation, User
from tests.audits import test_casework
from tests.audits.test_casework import TEAM, add_case, login

people = test_casework.people  # the fixture


class SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server = self.server
        envelope = {"from": None, "to": []}
        self.reply("220 localhost test SMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                envelope = {"from": command.split(":", 1)[1].strip(" <>"), "to": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                server.messages.append({**envelope, "message": message_from_bytes(b"".join(data))})
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # RSET, NOOP and anything else
                self.reply("250 OK")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def escalate(
    auth, case_id, note="Bruising seen in the latest photos; no strategy discussion recorded."
):
    return auth.post(
        f"/audits/case/{case_id}/escalate", {"escalation_concern": "yes", "escalation_note": note}
    )


def only_escalation(app) -> Escalation:
    with session_scope(app) as s:
        return s.exec(select(Escalation)).one()


class TestRaising:
    def test_the_concern_and_a_note_are_both_required(self, app, people):
        case_id = add_case(app, auditor="ann")
        response = login(app, "ann").post(
            f"/audits/case/{case_id}/escalate", {"escalation_note": " "}
        )
        assert response.status_code == 400
        assert (
            '<a href="#escalation_concern">Confirm that you have an immediate concern'
            in response.text
        )
        assert '<a href="#escalation_note">Enter what the concern is' in response.text
        with session_scope(app) as s:
            assert s.exec(select(Escalation)).all() == []

    def test_raising_records_who_and_what(self, app, people):
        case_id = add_case(app, auditor="ann")
        response = escalate(login(app, "ann"), case_id)
        assert response.status_code == 303
        escalation = only_escalation(app)
        with session_scope(app) as s:
            assert s.get(User, escalation.raised_by).username == "ann"
        assert escalation.note.startswith("Bruising seen") and escalation.acknowledged_at is None
        assert escalation.emailed is False  # SMTP not configured


class TestDashboardAlert:
    def test_alert_appears_for_managers_until_acknowledged(self, app, people):
        case_id = add_case(app, auditor="ann")
        escalate(login(app, "ann"), case_id)
        escalation = only_escalation(app)
        pam, quinn, ann = login(app, "pam"), login(app, "quinn"), login(app, "ann")
        for manager in (pam, quinn):
            home = manager.client.get("/").text
            assert 'id="escalation-alerts"' in home
            assert f'href="/audits/escalations/{escalation.id}"' in home
        assert 'id="escalation-alerts"' not in ann.client.get("/").text

        missing = pam.post(f"/audits/escalations/{escalation.id}/acknowledge", {"action_taken": ""})
        assert missing.status_code == 400 and "Enter the action taken" in missing.text
        done = pam.post(
            f"/audits/escalations/{escalation.id}/acknowledge",
            {"action_taken": "Duty manager rang; strategy discussion today at 2pm."},
        )
        assert done.status_code == 303
        for manager in (pam, quinn):
            assert 'id="escalation-alerts"' not in manager.client.get("/").text
        escalation = only_escalation(app)
        with session_scope(app) as s:
            assert s.get(User, escalation.acknowledged_by).username == "pam"
        assert escalation.acknowledged_at is not None
        assert escalation.action_taken == "Duty manager rang; strategy discussion today at 2pm."
        page = quinn.client.get(f"/audits/escalations/{escalation.id}").text
        assert "Duty manager rang; strategy discussion today at 2pm." in page

    def test_a_second_acknowledgement_does_not_overwrite_the_first(self, app, people):
        case_id = add_case(app, auditor="ann")
        escalate(login(app, "ann"), case_id)
        escalation = only_escalation(app)
        login(app, "pam").post(
            f"/audits/escalations/{escalation.id}/acknowledge", {"action_taken": "first"}
        )
        late = login(app, "quinn").post(
            f"/audits/escalations/{escalation.id}/acknowledge", {"action_taken": "second"}
        )
        assert late.status_code == 409 and "pam acknowledged this escalation first" in late.text
        assert only_escalation(app).action_taken == "first"


class TestOthersEscalations:
    def test_an_auditor_cannot_see_or_acknowledge_anothers(self, app, people):
        case_id = add_case(app, auditor="ann")
        escalate(login(app, "ann"), case_id)
        escalation = only_escalation(app)
        bob = login(app, "bob")
        assert bob.client.get(f"/audits/escalations/{escalation.id}").status_code == 404
        assert "Read" not in bob.client.get("/audits/escalations").text.split("<h1", 1)[1]
        assert (
            bob.post(
                f"/audits/escalations/{escalation.id}/acknowledge", {"action_taken": "nothing"}
            ).status_code
            == 403
        )
        assert only_escalation(app).acknowledged_at is None

    def test_the_raiser_sees_theirs_but_cannot_acknowledge_it(self, app, people):
        case_id = add_case(app, auditor="ann")
        ann = login(app, "ann")
        escalate(ann, case_id)
        escalation = only_escalation(app)
        page = ann.client.get(f"/audits/escalations/{escalation.id}")
        assert page.status_code == 200 and "Waiting for a practice manager or QA lead" in page.text
        assert (
            ann.post(
                f"/audits/escalations/{escalation.id}/acknowledge", {"action_taken": "x"}
            ).status_code
            == 403
        )


class TestEmail:
    def test_practice_managers_and_the_team_manager_are_mailed_at_once(
        self, app, people, make_user, smtp_server
    ):
        make_user("tess", "auditor", team_name=TEAM)  # the child's team manager
        make_user("otto", "auditor", team_name="Another Team")
        with session_scope(app) as s:
            for name in ("pam", "tess", "otto", "quinn"):
                s.exec(
                    select(User).where(User.username == name)
                ).one().email = f"{name}@council.example"
            s.commit()
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.server_address[1],
            MAIL_FROM="frontdoor@council.example",
        )
        case_id = add_case(app, auditor="ann", ref="C-5150")
        response = escalate(login(app, "ann"), case_id)
        assert response.status_code == 303
        assert len(smtp_server.messages) == 1
        sent = smtp_server.messages[0]
        assert sorted(sent["to"]) == ["pam@council.example", "tess@council.example"]
        assert sent["from"] == "frontdoor@council.example"
        body = sent["message"].get_payload(decode=True).decode()
        escalation = only_escalation(app)
        assert f"/audits/escalations/{escalation.id}" in body
        assert "C-5150" not in body and "Bruising" not in body  # no child details beyond the link
        assert "C-5150" not in sent["message"]["Subject"]
        assert escalation.emailed is True

    def test_a_mail_server_that_is_down_does_not_stop_the_escalation(self, app, people):
        with session_scope(app) as s:
            s.exec(select(User).where(User.username == "pam")).one().email = "pam@council.example"
            s.commit()
        probe = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
        port = probe.server_address[1]
        probe.server_close()  # nothing listens on this port now
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        case_id = add_case(app, auditor="ann")
        assert escalate(login(app, "ann"), case_id).status_code == 303
        assert only_escalation(app).emailed is False
