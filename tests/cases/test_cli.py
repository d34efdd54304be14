"""``frontdoor journey``: the reconstructed journey as JSON or text, and unknown children."""

import json

from sqlalchemy import select

from audit_app.models import AccessLog

from .cohort import AS_OF, load_cohort
from .helpers import engine_of


def test_the_json_has_exactly_the_documented_keys(app, runner, tmp_path):
    load_cohort(app, tmp_path)
    result = runner.invoke(args=["journey", "A1", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"child_id", "path", "events", "edges", "findings"}
    assert data["child_id"] == "A1" and data["path"] == "C → R → A"
    assert [e["kind"] for e in data["events"]] == ["contact", "referral", "assessment"]
    edges = {(e["from"], e["to"]): e for e in data["edges"]}
    contact = edges[("contact:2025-03-03:0", "referral:2025-03-04:0")]
    assert (contact["rule"], contact["working_days"]) == ("contact_to_referral", 1)
    assessment = edges[("referral:2025-03-04:0", "assessment:2025-03-05:0")]
    assert (assessment["rule"], assessment["working_days"]) == ("referral_to_assessment", 1)
    findings = data["findings"]
    assert findings["furthest_stage"] == "assessment" and findings["breach_count"] == 2
    assert findings["status"]["as_of"] == AS_OF


def test_the_text_names_path_breaches_and_links(app, runner, tmp_path):
    load_cohort(app, tmp_path)
    result = runner.invoke(args=["journey", "B2", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "Path: R → ICPC → CPP" in result.output
    assert "icpc_without_s47" in result.output
    assert "icpc_to_cp_plan, 0 working days" in result.output


def test_an_unknown_child_is_a_clear_message_and_exit_1(app, runner, tmp_path):
    load_cohort(app, tmp_path)
    result = runner.invoke(args=["journey", "NOSUCH"])
    assert result.exit_code == 1
    assert "No child with ID 'NOSUCH'." in result.output
    result = runner.invoke(args=["journey", "A1", "--as-of", "yesterday"])
    assert result.exit_code == 2 and "is not a date" in result.output


def test_the_command_line_view_is_logged(app, runner, tmp_path):
    load_cohort(app, tmp_path)
    runner.invoke(args=["journey", "A1", "--json"])
    with engine_of(app).connect() as conn:
        row = conn.execute(select(AccessLog).where(AccessLog.child_ref == "A1")).one()
    assert (row.username, row.action) == ("command line", "view journey")
