"""No child identifier reaches the application logs or the server's access log."""

import importlib.util
import logging

from audit_app.imports import merge, run_import
from audit_app.imports.csv_files import CHILD_COLUMNS, EVENT_COLUMNS

from .conftest import ROOT

REFS = ["QK700001", "QK700002", "QK700003"]


def _folder(tmp_path, *, bad=False):
    folder = tmp_path / ("bad" if bad else "good")
    folder.mkdir()
    lines = [",".join(CHILD_COLUMNS)]
    lines += [f"{ref},b,WBRI,2015-01-01,,," for ref in REFS]
    (folder / "children.csv").write_text("\n".join(lines) + "\n")
    events = [",".join(EVENT_COLUMNS)]
    for ref in REFS:
        row = {"child_id": ref, "kind": "referral", "start": "31/02/2025" if bad else "2025-01-03"}
        events.append(",".join(row.get(c, "") for c in EVENT_COLUMNS))
    (folder / "events.csv").write_text("\n".join(events) + "\n")
    return folder


def test_imports_and_page_views_log_no_child_identifier(
    app, client, boss, tmp_path, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    engine = app.extensions["frontdoor_engine"]
    good = run_import(_folder(tmp_path), engine=engine)
    assert good.status == "committed"
    refused = run_import(_folder(tmp_path, bad=True), engine=engine)  # every row rejected
    assert refused.status == "refused"

    def fail(conn, statement, rows):
        raise RuntimeError(f"could not write {rows[0]}")  # an error whose text names a child

    monkeypatch.setattr(merge, "_execute", fail)
    (tmp_path / "again").mkdir()
    folder = _folder(tmp_path / "again")
    (folder / "children.csv").write_text(
        (folder / "children.csv").read_text().replace("2015-01-01", "2016-01-01")
    )
    failed = run_import(folder, engine=engine)
    assert failed.status == "failed"
    monkeypatch.undo()

    for url in (
        f"/imports/{good.batch_id}",
        f"/imports/{refused.batch_id}",
        f"/imports/{good.batch_id}/report.csv",
        "/imports/history",
        f"/admin/access-log?child={REFS[0]}",
        f"/admin/access-log.csv?child={REFS[1]}",
        f"/cases/{REFS[0]}",
        f"/cases/?q={REFS[2]}",
        f"/no-such-page/{REFS[0]}",
    ):
        assert client.get(url).status_code < 500, url
    assert caplog.records, "nothing was logged at all: the capture is not working"
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for ref in REFS:
        assert ref not in text, f"{ref} appears in the application log"


def _gunicorn_config():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gunicorn_access_log_hides_identifiers_and_query_strings():
    conf = _gunicorn_config()
    assert conf.redact_path("/cases/QK700001") == "/cases/:id"
    assert conf.redact_path("/audits/case/12/answers") == "/audits/case/:id/answers"
    assert conf.redact_path("/imports/history") == "/imports/history"
    assert conf.redact_path("/imports/7/report.csv") == "/imports/:id/report.csv"
    assert conf.redact_path("/cases/00123") == "/cases/:id"
    assert "%(q)s" not in conf.access_log_format and "%(f)s" not in conf.access_log_format
    assert "%(U)s" in conf.access_log_format

    from types import SimpleNamespace

    logger = conf.RedactingLogger.__new__(conf.RedactingLogger)
    logger.cfg = SimpleNamespace(access_log_format=conf.access_log_format)
    environ = {
        "PATH_INFO": "/cases/QK700001",
        "RAW_URI": "/cases/QK700001?q=QK700002",
        "QUERY_STRING": "q=QK700002",
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "http://x/cases/?q=QK700003",
    }
    req = SimpleNamespace(
        headers=[], method="GET", path="/cases/QK700001", query="q=QK700002", uri=None,
        version=(1, 1),
    )  # fmt: skip
    resp = SimpleNamespace(status="200 OK", response_length=10, sent=10, headers=[])
    from datetime import timedelta

    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    line = conf.access_log_format % atoms
    for ref in ("QK700001", "QK700002", "QK700003"):
        assert ref not in line, line
    assert "/cases/:id" in line
