"""The audits feature's ``frontdoor`` commands (gathered by ``audit_app.cli``)."""

import json
import secrets
import sys
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

#: command name -> click command, added to the ``frontdoor`` group.
COMMANDS: dict[str, click.Command] = {}


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.command("draw-sample")
@click.option(
    "--rule",
    "rules",
    multiple=True,
    metavar="KEY=VALUE",
    help="A cohort rule, e.g. event=referral, from=2025-04-01, factors=3A,3B, team=North; repeat.",
)
@click.option(
    "--method",
    type=click.Choice(["random", "stratified", "purposive"]),
    default="random",
    show_default=True,
)
@click.option(
    "--by",
    "by",
    default=None,
    help="Stratified: team, stage, age_band or ethnicity. Purposive: a marker "
    "(referral_count, anomaly_count, breach_count); without it, the whole frame.",
)
@click.option(
    "--allocation",
    type=click.Choice(["proportional", "equal"]),
    default="proportional",
    show_default=True,
    help="How a stratified sample is shared across strata.",
)
@click.option(
    "--n", "n", type=click.IntRange(min=0), default=None, help="How many children (default: all)."
)
@click.option(
    "--reserves",
    type=click.IntRange(min=0),
    default=None,
    help="Reserves to draw after the sample (default: a tenth of n, at least 2).",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: a new one, printed).")
@click.option(
    "--exclude-audited-months",
    "months",
    type=click.IntRange(min=0),
    default=12,
    show_default=True,
    help="Leave out children audited in the last M months (0: keep them).",
)
@click.option("--include-open-audits", is_flag=True, help="Keep children already in an open audit.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The date ages and overdue assessments are judged at (default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def draw_sample_command(rules, method, by, allocation, n, reserves, seed, months,
                        include_open_audits, as_of, as_json):  # fmt: skip
    """Draw a sample from the frame the rules make, without saving an audit.

    Prints the frame size, the frame hash, the method, the seed and the children drawn.
    With --n 0 it is a scriptable frame query (the frame's size and hash only).
    """
    from audit_forms.errors import SamplingError

    from ..access import record_event
    from ..db import session_scope
    from .cohort import MARKERS, STRATA, Exclusions, RuleError, draw_sample, parse_rules, rule_pairs

    try:
        parsed = parse_rules(rule_pairs(rules))
    except RuleError as error:
        _fail(str(error))
    if method == "stratified" and by not in STRATA:
        _fail(f"--method stratified needs --by, one of {', '.join(STRATA)}")
    if method == "purposive" and by is not None and by not in MARKERS:
        _fail(f"--by for a purposive draw is a marker, one of {', '.join(MARKERS)}")
    if method == "random" and by is not None:
        _fail("--by is for stratified or purposive draws")
    seed = secrets.randbelow(90000) + 10000 if seed is None else seed
    day = as_of.date() if as_of else datetime.now(UTC).date()
    with session_scope() as session:
        try:
            drawn = draw_sample(
                parsed, session=session, as_of=day, n=10**9 if n is None else n, seed=seed,
                method=method, by=by if method == "stratified" else None, allocation=allocation,
                marker=by if method == "purposive" else None,
                reserves=0 if n is None else reserves,
                exclusions=Exclusions(months, not include_open_audits),
            )  # fmt: skip
        except (RuleError, SamplingError) as error:
            _fail(str(error))
    result = drawn.result
    record_event("draw-sample", f"CLI draw: frame {result.frame_size}, {len(result.sample)} drawn, "
                 f"hash {result.frame_hash[:12]}")  # fmt: skip
    out = {
        "frame_size": result.frame_size, "frame_hash": result.frame_hash, "method": result.method,
        "seed": result.seed, "child_ids": list(result.sample), "reserves": list(result.reserves),
    }  # fmt: skip
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(drawn.description)
    click.echo(f"Frame: {result.frame_size:,} children, hash {result.frame_hash}")
    click.echo(f"Method: {result.method}; seed {result.seed}")
    click.echo("Children: " + (" ".join(result.sample) or "none"))
    click.echo("Reserves: " + (" ".join(result.reserves) or "none"))


COMMANDS["draw-sample"] = draw_sample_command
