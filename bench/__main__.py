"""``python -m bench``: time every step on a synthetic authority and write ``RESULTS.md``.

Examples::

    python -m bench                                   # 150,000 children on SQLite
    python -m bench --children 20000 --repeat 3 --profile
    python -m bench --children 2000 --database sqlite:///tmp/b.sqlite3 \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/fd_bench

A PostgreSQL database given with ``--database`` must be a scratch database: the
benchmark drops and recreates its ``public`` schema.  (``frontdoor bench`` is not
provided; this module is the one entry point.)
"""

import argparse
import sys
from pathlib import Path

from .harness import STEP_IDS, Options, command_line, profile_summary, run, write_results


def parse(argv: list[str]) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--children",
        type=int,
        default=defaults.children,
        help="children in the synthetic authority (default 150,000)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="URL",
        help="SQLAlchemy URL; repeat for several (default: SQLite in the "
        "work folder). PostgreSQL: a scratch database, its schema is dropped",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=defaults.repeat,
        help="runs per step; the table shows the median (default 3)",
    )
    parser.add_argument(
        "--import-repeat",
        type=int,
        default=None,
        help="runs per import (default: --repeat up to 20,000 children, else 1)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=defaults.requests,
        help="requests per page in-process (the server step sends twice this)",
    )
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument(
        "--out",
        type=Path,
        default=defaults.out,
        help="markdown file the results are appended to (default bench/RESULTS.md)",
    )
    parser.add_argument("--no-out", action="store_true", help="print only, write no file")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=defaults.workdir,
        help="generated files, databases, logs and profiles",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=STEP_IDS,
        help="run only these steps (repeatable)",
    )
    parser.add_argument("--skip", action="append", default=[], choices=STEP_IDS)
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="with --only: the databases already hold this authority (from an earlier run "
        "with the same --children and --workdir); do not import it again",
    )
    parser.add_argument(
        "--no-extras",
        action="store_true",
        help="skip the rows the issue does not ask for (CIN census import, unchanged "
        "re-import): saves time at 150,000 children",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run each step under cProfile and print the hot spots",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.children < 1:
        parser.error("--children must be at least 1")
    return Options(
        children=args.children,
        seed=args.seed,
        databases=args.database,
        repeat=max(1, args.repeat),
        import_repeat=args.import_repeat,
        requests=max(2, args.requests),
        clients=max(1, args.clients),
        out=None if args.no_out else args.out,
        workdir=args.workdir,
        steps=tuple(args.only),
        skip=tuple(args.skip),
        profile=args.profile,
        reuse=args.reuse_database,
        extras=not args.no_extras,
        command=command_line(argv),
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    section, _rows, errors, profiles = run(options)
    print(section)
    if options.out is not None:
        write_results(options.out, section)
        print(f"Appended to {options.out}", file=sys.stderr)
    for path in profiles:
        text = profile_summary(path)
        path.with_suffix(".txt").write_text(text)
        print(f"\n### {path.name}\n\n{text}", file=sys.stderr)
    if errors:
        print("Steps that raised:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
