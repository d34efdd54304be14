"""The Import data pages: upload, progress and report, report CSV, and the import history."""

import shutil
import threading
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from sqlmodel import Session, select
from werkzeug.utils import secure_filename

from ..db import engine, get_session
from ..exporting import csv_response
from ..models import ImportBatch, User
from ..permissions import requires
from ..rendering import render
from . import DEFAULT_MAX_REJECT, FORMATS, close_interrupted, run_import, start_batch
from .report import report_rows

__all__ = ["bp", "start_upload", "ACCEPTED_TYPES"]

bp = Blueprint("imports", __name__, url_prefix="/imports")

ACCEPTED_TYPES = (".xlsx", ".zip", ".csv", ".xml")
FORMAT_LABELS = {
    "": "Work it out from the file",
    "annex-a": "Ofsted Annex A",
    "cin-census": "CIN census XML",
    "csv": "The app's own CSV files",
}
THREADS: dict[int, threading.Thread] = {}  # for tests and shutdown: the running imports


def _form_errors(form, upload) -> dict[str, str]:
    errors = {}
    if upload is None or not upload.filename:
        errors["file"] = "Select a file to import"
    elif not upload.filename.lower().endswith(ACCEPTED_TYPES):
        errors["file"] = (
            "The file must be an .xlsx workbook, a .zip of CSV files, a .csv or an .xml file"
        )
    if form.get("format", "") not in ("", *FORMATS):
        errors["format"] = "Choose a format from the list"
    try:
        value = float(form.get("max_reject") or DEFAULT_MAX_REJECT)
        if not 0 <= value <= 100:
            raise ValueError
    except ValueError:
        errors["max_reject"] = "Enter a percentage between 0 and 100"
    return errors


def start_upload(
    upload, *, file_format: str | None, dry_run: bool, max_reject: float, user_id: int | None
) -> int:
    """Save the upload under the instance folder and import it in a background thread."""
    app = current_app._get_current_object()
    folder = Path(app.instance_path) / "imports-tmp" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    name = secure_filename(upload.filename) or "upload"
    path = folder / name
    upload.save(path)
    eng = engine(app)
    batch_id = start_batch(
        eng, file_name=upload.filename, user_id=user_id, dry_run=dry_run, file_format=file_format
    )

    def work() -> None:
        try:
            run_import(
                path,
                engine=eng,
                file_format=file_format,
                dry_run=dry_run,
                max_reject=max_reject,
                user_id=user_id,
                file_name=upload.filename,
                batch_id=batch_id,
                staging_dir=folder,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            THREADS.pop(batch_id, None)

    thread = threading.Thread(target=work, name=f"import-{batch_id}", daemon=True)
    THREADS[batch_id] = thread
    thread.start()
    return batch_id


def _recent(session: Session, limit: int = 50):
    query = (
        select(ImportBatch, User.username)
        .join(User, ImportBatch.user_id == User.id, isouter=True)
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    return session.exec(query).all()


@bp.route("/", methods=["GET"])
@requires("import_data")
def upload():
    return render(
        "imports/upload.html",
        errors={},
        form={},
        formats=FORMAT_LABELS,
        max_reject=DEFAULT_MAX_REJECT,
        recent=_recent(get_session(), 5),
    )


@bp.route("/", methods=["POST"])
@requires("import_data")
def create():
    upload_file = request.files.get("file")
    errors = _form_errors(request.form, upload_file)
    if errors:
        return render(
            "imports/upload.html",
            errors=errors,
            form=request.form,
            formats=FORMAT_LABELS,
            max_reject=DEFAULT_MAX_REJECT,
            recent=_recent(get_session(), 5),
            status=400,
        )
    # The batch row is written on its own connection: end this request's transaction first,
    # or on SQLite its write lock (POSTs begin IMMEDIATE) blocks that write until timeout.
    get_session().commit()
    batch_id = start_upload(
        upload_file,
        file_format=request.form.get("format") or None,
        dry_run=bool(request.form.get("dry_run")),
        max_reject=float(request.form.get("max_reject") or DEFAULT_MAX_REJECT),
        user_id=g.user.id,
    )
    return redirect(url_for("imports.batch", batch_id=batch_id), code=303)


@bp.route("/<int:batch_id>")
@requires("import_data")
def batch(batch_id: int):
    found = get_session().get(ImportBatch, batch_id) or abort(404)
    return render(
        "imports/batch.html", "imports/_status.html", batch=found, report=found.report or {}
    )


@bp.route("/<int:batch_id>/report.csv")
@requires("import_data")
def report_csv(batch_id: int):
    found = get_session().get(ImportBatch, batch_id) or abort(404)
    return csv_response(report_rows(found.report), f"import-{batch_id}-report.csv")


@bp.route("/history")
@requires("import_data")
def history():
    if close_interrupted(engine()):
        get_session().commit()  # end the request's read snapshot, taken before the change
    return render("imports/history.html", batches=_recent(get_session(), 200))
