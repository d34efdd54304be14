"""``frontdoor import``: prints the report; exit 0 when committed, 1 when refused or rolled back."""

from audit_app.imports import merge

from .helpers import counts, referral, referral_workbook


def test_a_good_file_exits_0_and_prints_the_report(app, runner, tmp_path):
    path = referral_workbook(tmp_path / "a.xlsx", [referral("C1"), referral("C2", Gender="F")])
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "committed. Added 2 children and 2 events" in result.output
    assert "List 3 Referrals" in result.output
    assert "WARNING: List_3 row 4, Gender: Gender 'F' is not a coded value" in result.output
    assert counts(app) == {"Child": 2, "Event": 2}


def test_a_dry_run_exits_0_and_writes_nothing(app, runner, tmp_path):
    path = referral_workbook(tmp_path / "a.xlsx", [referral("C1")])
    result = runner.invoke(args=["import", str(path), "--dry-run", "--format", "annex-a"])
    assert result.exit_code == 0 and "dry-run. Would add 1 children" in result.output
    assert counts(app) == {"Child": 0, "Event": 0}


def test_a_refused_file_exits_1(app, runner, tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(600))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1 and "refused" in result.output
    assert "Traceback" not in result.output


def test_max_reject_is_honoured(app, runner, tmp_path):
    path = referral_workbook(tmp_path / "a.xlsx", [referral("C1"), referral(None)])
    assert runner.invoke(args=["import", str(path)]).exit_code == 1
    result = runner.invoke(args=["import", str(path), "--max-reject", "50"])
    assert result.exit_code == 0
    assert "ERROR: List_3 row 4, Child Unique ID: Child Unique ID is missing" in result.output


def test_a_rolled_back_import_exits_1(app, runner, tmp_path, monkeypatch):
    def broken(conn, statement, rows):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(merge, "_execute", broken)
    path = referral_workbook(tmp_path / "a.xlsx", [referral("C1")])
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1 and "failed" in result.output
    assert counts(app) == {"Child": 0, "Event": 0}


def test_progress_is_printed_as_the_import_runs(app, runner, tmp_path, monkeypatch):
    import audit_app.imports as imports

    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    path = referral_workbook(tmp_path / "a.xlsx", [referral(f"C{i}") for i in range(5)])
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    steps = [
        "Reading the file",
        "Read 2 rows",
        "Read 4 rows",
        "Checking the rows against the database",
        "Compared 5 children with the database",
        "Writing 5 events to the database",
    ]
    positions = [result.stderr.find(step) for step in steps]
    assert -1 not in positions, result.stderr
    assert positions == sorted(positions), "progress came out of order"
    assert "Writing" not in result.stdout  # the report alone goes to stdout, for piping
