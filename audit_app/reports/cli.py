"""The reports feature's ``frontdoor`` commands (gathered by ``audit_app.cli``)."""

import click

#: command name -> click command, added to the ``frontdoor`` group.
COMMANDS: dict[str, click.Command] = {}


# -- export-sef (the SEF workspace) ----------------------------------------------------------

from flask.cli import with_appcontext as _with_appcontext  # noqa: E402


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
@_with_appcontext
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


# -- indicators (the evidence base, section 8(b)) ------------------------------------------------

from flask.cli import with_appcontext  # noqa: E402


def _shown(found: dict) -> str:
    """One indicator's value as the table shows it."""
    value, unit = found["value"], found.get("unit")
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "per 10000":
        return f"{value:,.1f} per 10,000"
    if unit == "count":
        return f"{value:,}"
    return f"{value:,} {unit}" if unit else str(value)


@click.command("indicators")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the period (YYYY-MM-DD).")
@click.option("--population", type=click.IntRange(min=1), default=None,
              help="Children under 18 in the area (default: FRONTDOOR_UNDER_18_POPULATION).")
@click.option("--json", "as_json", is_flag=True, help="JSON keyed by indicator name.")
@with_appcontext
def indicators_command(start, end, population, as_json):
    """The SEF evidence base for a period, beside England's figures."""
    import json

    from flask import current_app

    from ..db import session_scope
    from .indicators import compute_indicators

    if end.date() < start.date():
        raise click.BadParameter(
            f"{end:%Y-%m-%d} is before --from {start:%Y-%m-%d}", param_hint="--to"
        )
    population = population or current_app.config.get("UNDER_18_POPULATION")
    with session_scope(current_app) as session:
        found = compute_indicators(
            session=session, start=start.date(), end=end.date(), population_under_18=population
        )
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    click.echo(f"Evidence base {start:%d %B %Y} to {end:%d %B %Y}")
    width = max(len(f["label"]) for f in found.values())
    click.echo(f"{'Indicator':<{width}}  {'Value':>26}  {'n':>15}  England")
    for item in found.values():
        n = item["denominator"] if item["denominator"] is not None else item["numerator"]
        n_text = "" if n is None else f"{item['numerator'] or 0:,} of {n:,}" if (
            item["denominator"] is not None and item["numerator"] is not None
        ) else f"{n:,}"
        england = item.get("england")
        england_text = (
            f"{_shown({'value': england['value'], 'unit': england['unit']})} "
            f"({england['year']}, {england['kind']})" if england else ""
        )
        click.echo(f"{item['label']:<{width}}  {_shown(item):>26}  {n_text:>15}  {england_text}")
    high = [name for name, s in found["referrals_by_source"]["sources"].items() if s["high_nfa"]]
    if high:
        click.echo("Sources with a high NFA rate: " + "; ".join(high))
    if not population:
        click.echo("Rates per 10,000 need the under-18 population: --population or "
                   "FRONTDOOR_UNDER_18_POPULATION.")


COMMANDS["indicators"] = indicators_command
