"""The reports feature's ``frontdoor`` commands (gathered by ``audit_app.cli``)."""

import click

#: command name -> click command, added to the ``frontdoor`` group.
COMMANDS: dict[str, click.Command] = {}


# -- export-sef (the SEF workspace) ----------------------------------------------------------


@click.command("export-sef")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the period (YYYY-MM-DD).")
@click.option("--audit", "audit_id", type=int, default=None, help="Only this audit.")
@click.option("--theme", default=None, help="Only audits with this theme.")
@click.option("--include-unfinalised", is_flag=True, help="Count submitted and moderated cases too.")
@click.option("--population", type=click.IntRange(min=1), default=None,
              help="Children under 18 in the area, for rates per 10,000.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="FILE.docx, FILE.xlsx, FILE.json or FILE.csv.zip")
def export_sef_command(start, end, audit_id, theme, include_unfinalised, population, out):
    """Write the pseudonymised SEF for a period: Word (.docx) or the evidence tables."""
    from datetime import UTC, datetime
    from pathlib import Path

    from flask import current_app

    from ..access import record_event
    from ..db import session_scope
    from .exports import csv_zip_bytes, docx_bytes, json_text, xlsx_bytes
    from .pseudonyms import secret_from
    from .quality import Scope
    from .workspace import generate, load_meta, sef_document

    builders = {".docx": docx_bytes, ".xlsx": xlsx_bytes, ".csv.zip": csv_zip_bytes,
                ".json": lambda doc: json_text(doc).encode()}
    path = Path(out)
    kind = next((k for k in builders if path.name.lower().endswith(k)), None)
    if kind is None:
        raise click.BadParameter(f"'{path.name}' must end .docx, .xlsx, .json or .csv.zip", param_hint="--out")
    if end.date() < start.date():
        raise click.BadParameter(f"{end:%Y-%m-%d} is before --from {start:%Y-%m-%d}", param_hint="--to")
    scope = Scope(start=start.date(), end=end.date(), audit_id=audit_id, theme=theme,
                  include_unfinalised=include_unfinalised)
    with session_scope(current_app) as session:
        if population is None:
            text = str(load_meta(session=session).get("population_under_18") or "").replace(",", "")
            population = int(text) if text.isdigit() else None
        generated = generate(scope, session=session,
                             secret=secret_from(current_app.config["SECRET_KEY"]),
                             population=population, now=datetime.now(UTC))
        doc = sef_document(generated, session=session)
    path.write_bytes(builders[kind](doc))
    record_event("export_sef", f"command line {kind[1:]}: {doc['scope_text']}")
    click.echo(f"Wrote {path} ({doc['section5']['number_audited']} audited cases, {doc['scope_text']}).")


COMMANDS["export-sef"] = export_sef_command
