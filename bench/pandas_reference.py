"""The evidence base again, computed plainly with pandas from the CSV export: a correctness check.

``reference_indicators`` reads ``children.csv`` and ``events.csv`` (as
``seed_cases.csv_format.write_csv`` writes them) and works out the indicators of
``audit_app.reports.indicators.compute_indicators`` the obvious way: ``merge_asof``
for the journey links, ``numpy.busday_count`` for working days, ``DateOffset`` for
months.  It shares no code with the app, so agreement on a synthetic authority is
evidence that both are right.  Requires pandas (in the ``test`` extra)::

    python -m bench.pandas_reference --children 20000            # build, compare, time
    python -m bench.pandas_reference --db sqlite:////tmp/x.sqlite3 --csv /tmp/csv \\
        --from 2025-10-01 --to 2026-09-30                           # an existing pair

Where the two may differ by design: the reference links without the journeys'
"exclusive" walk-back (a cause taken by an earlier event is simply not reused), which
changes nothing unless a child has two referrals sharing one contact or two
conferences sharing one enquiry within the link windows; the seed makes neither.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["COMPARED", "reference_indicators", "compare", "main"]

#: The indicators both compute: name -> fields compared.
COMPARED: tuple[str, ...] = (
    "contacts",
    "referrals",
    "referral_rate_per_10000",
    "contact_referral_conversion",
    "nfa_rate",
    "rereferral_rate",
    "referrals_to_cin_rate",
    "assessments_completed",
    "assessments_within_45_rate",
    "assessment_start_within_45_rate",
    "median_assessment_duration",
    "open_assessments_over_45",
    "s47_enquiries",
    "s47_icpc_conversion",
    "icpcs",
    "icpc_within_15_rate",
    "icpc_cp_plan_rate",
    "cp_plans_started",
    "repeat_cp_rate",
    "cp_plans_ended_two_years_rate",
    "cin_at_end",
    "cp_at_end",
    "lac_at_end",
    "caseloads",
)


def _figure(value, numerator, denominator) -> dict:
    return {"value": value, "numerator": numerator, "denominator": denominator}


def _rate(hits: pd.Series) -> dict:
    n, k = int(len(hits)), int(hits.sum())
    return _figure(round(100 * k / n, 1) if n else None, k, n)


def _count(n: int) -> dict:
    return _figure(int(n), int(n), None)


def _working_days(a: pd.Series, b: pd.Series, holidays: np.ndarray) -> np.ndarray:
    """Working days from a (day 0) to b: those in (a, b], negative when b is earlier."""
    one = np.timedelta64(1, "D")
    begin = a.to_numpy(dtype="datetime64[D]") + one
    end = b.to_numpy(dtype="datetime64[D]") + one
    return np.busday_count(begin, end, holidays=holidays)


def _link(
    targets: pd.DataFrame,
    causes: pd.DataFrame,
    window: int,
    grace: int = 0,
    exclusive: bool = False,
) -> pd.DataFrame:
    """targets with ``cause_id``, ``cause_start`` and ``later`` from the latest cause in window."""
    t = targets.sort_values("start").reset_index(drop=True)
    c = pd.DataFrame(
        {
            "child_id": causes["child_id"],
            "start": causes["start"],
            "cause_id": causes["row"].astype("float64"),
            "cause_start": causes["start"],
        }
    ).sort_values("start")
    back = pd.merge_asof(
        t,
        c,
        on="start",
        by="child_id",
        direction="backward",
        tolerance=pd.Timedelta(days=window),
        allow_exact_matches=True,
    )
    back["later"] = False
    if grace:
        missing = back["cause_id"].isna().to_numpy()
        fwd = pd.merge_asof(
            t[missing],
            c,
            on="start",
            by="child_id",
            direction="forward",
            tolerance=pd.Timedelta(days=grace),
            allow_exact_matches=False,
        )
        back.loc[missing, "cause_id"] = fwd["cause_id"].to_numpy()
        back.loc[missing, "cause_start"] = fwd["cause_start"].to_numpy()
        back.loc[missing, "later"] = fwd["cause_id"].notna().to_numpy()
    if exclusive:
        taken = (back["cause_id"].notna() & back.duplicated("cause_id", keep="first")).to_numpy()
        back.loc[taken, "cause_id"] = np.nan
        back.loc[taken, "cause_start"] = pd.NaT
        back.loc[taken, "later"] = False
    return back


def reference_indicators(
    folder: str | Path, start: date, end: date, *, population: int | None = None, holidays=()
) -> dict[str, dict]:
    """The indicators of ``compute_indicators`` from ``folder``/events.csv, plainly."""
    ev = pd.read_csv(Path(folder) / "events.csv", dtype=str, keep_default_na=False)
    ev = ev.replace("", None)
    ev["row"] = np.arange(len(ev))
    ev["start"] = pd.to_datetime(ev["start"])
    ev["end"] = pd.to_datetime(ev["end"])
    for col in ("nfa", "in_need", "plan_resulted"):
        ev[col] = ev[col].map({"Y": True, "N": False})
    for col in ("referrals_last_12m", "previous_plans", "occurrence"):
        ev[col] = pd.to_numeric(ev[col])
    ev = ev.sort_values(["start", "occurrence", "row"], kind="stable")
    hols = np.array(sorted(holidays), dtype="datetime64[D]")
    S, E = pd.Timestamp(start), pd.Timestamp(end)
    kind = {k: g for k, g in ev.groupby("kind")}
    empty = ev.iloc[0:0]

    def of(name: str) -> pd.DataFrame:
        return kind.get(name, empty)

    def within(frame: pd.DataFrame, col: str = "start") -> pd.DataFrame:
        return frame[(frame[col] >= S) & (frame[col] <= E)]

    out: dict[str, dict] = {}
    contacts, referrals = of("contact"), of("referral")
    c_in, r_in = within(contacts), within(referrals)
    out["contacts"] = _count(len(c_in))
    out["referrals"] = _count(len(r_in))
    out["referral_rate_per_10000"] = _figure(
        round(10000 * len(r_in) / population, 1) if population else None, len(r_in), population
    )
    linked = _link(referrals[referrals["start"] >= S], contacts, 30, exclusive=True)
    out["contact_referral_conversion"] = _rate(c_in["row"].isin(linked["cause_id"].dropna()))
    out["nfa_rate"] = _rate(r_in["nfa"].eq(True))

    refs = referrals.sort_values(["child_id", "start", "occurrence"], kind="stable")
    previous = refs.groupby("child_id")["start"].shift()
    again = (previous >= refs["start"] - pd.DateOffset(months=12)) | (
        refs["referrals_last_12m"].fillna(0) > 0
    )
    out["rereferral_rate"] = _rate(again[refs["start"].between(S, E)])

    assess = _link(of("assessment"), referrals, 30, grace=14)
    in_need = assess.loc[assess["in_need"].eq(True), "cause_id"].dropna()
    out["referrals_to_cin_rate"] = _rate(r_in["row"].isin(in_need))
    done = assess[assess["end"].between(S, E)]
    out["assessments_completed"] = _count(len(done))
    measured = done[done["cause_id"].notna()]
    from_referral = _working_days(measured["cause_start"], measured["end"], hols)
    from_referral = from_referral[from_referral >= 0]
    from_start = _working_days(done["start"], done["end"], hols)
    from_start = from_start[from_start >= 0]
    out["assessments_within_45_rate"] = _rate(pd.Series(from_referral <= 45))
    out["assessment_start_within_45_rate"] = _rate(pd.Series(from_start <= 45))
    durations = pd.Series(from_referral)
    out["median_assessment_duration"] = _figure(
        float(durations.median()) if len(durations) else None, None, len(durations)
    )
    open_a = assess[(assess["start"] <= E) & (assess["end"].isna() | (assess["end"] > E))]
    since = open_a["cause_start"].where(open_a["cause_id"].notna(), open_a["start"])
    out["open_assessments_over_45"] = _rate(
        pd.Series(_working_days(since, pd.Series(E, index=since.index), hols) > 45)
    )

    s47s, icpcs = of("s47"), of("icpc")
    conf = _link(icpcs, s47s, 90, grace=14, exclusive=True)
    s_in = within(s47s)
    out["s47_enquiries"] = _count(len(s_in))
    out["s47_icpc_conversion"] = _rate(s_in["row"].isin(conf["cause_id"].dropna()))
    c_conf = within(conf)
    out["icpcs"] = _count(len(c_conf))
    timed = c_conf[c_conf["cause_id"].notna() & ~c_conf["later"].eq(True)]
    out["icpc_within_15_rate"] = _rate(
        pd.Series(_working_days(timed["cause_start"], timed["start"], hols) <= 15)
    )
    plans = of("cp_plan")
    same_day = c_conf.merge(
        plans[["child_id", "start"]].drop_duplicates(),
        on=["child_id", "start"],
        how="left",
        indicator=True,
    )
    out["icpc_cp_plan_rate"] = _rate(
        (same_day["_merge"] == "both") | same_day["plan_resulted"].eq(True)
    )
    plans = plans[plans["start"] <= E].sort_values(["child_id", "start", "occurrence"])
    repeat = (plans.groupby("child_id").cumcount() > 0) | (plans["previous_plans"].fillna(0) > 0)
    started = plans["start"].between(S, E)
    out["cp_plans_started"] = _count(int(started.sum()))
    out["repeat_cp_rate"] = _rate(repeat[started])
    ended = plans[plans["end"].between(S, E)]
    out["cp_plans_ended_two_years_rate"] = _rate(
        ended["end"] >= ended["start"] + pd.DateOffset(months=24)
    )

    def open_at_end(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[(frame["start"] <= E) & (frame["end"].isna() | (frame["end"] > E))]

    kinds = ("cin_episode", "cin_plan", "lac", "s47", "assessment", "cp_plan")
    open_rows = open_at_end(ev[ev["kind"].isin(kinds)]).sort_values("start", kind="stable")
    out["cin_at_end"] = _count(open_rows["child_id"].nunique())
    out["cp_at_end"] = _count(open_at_end(of("cp_plan"))["child_id"].nunique())
    out["lac_at_end"] = _count(open_at_end(of("lac"))["child_id"].nunique())
    # each child's latest open event naming a worker, with that event's team
    allocated = open_rows[open_rows["worker"].notna()].groupby("child_id").tail(1)
    allocated = allocated.assign(team=allocated["team"].fillna("Not recorded"))
    per_worker = allocated.groupby(["worker", "team"]).size()
    out["caseloads"] = _figure(
        round(per_worker.sum() / len(per_worker), 1) if len(per_worker) else None,
        int(per_worker.sum()),
        int(len(per_worker)),
    )
    return out


def compare(app_figures: dict, reference: dict) -> list[str]:
    """Where the app's figures and the reference differ (empty when they agree)."""
    problems = []
    for key in COMPARED:
        for field in ("value", "numerator", "denominator"):
            mine, theirs = app_figures[key][field], reference[key][field]
            if mine != theirs:
                problems.append(f"{key}.{field}: app {mine!r}, pandas {theirs!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="an existing database (with --csv)")
    parser.add_argument("--csv", help="the folder with children.csv and events.csv")
    parser.add_argument("--from", dest="start", default="2025-10-01")
    parser.add_argument("--to", dest="end", default="2026-09-30")
    parser.add_argument("--population", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5, help="time the app this many times")
    args = parser.parse_args(argv)

    from sqlmodel import Session, SQLModel

    from audit_app.calendar import bank_holidays
    from audit_app.db import make_engine
    from audit_app.reports.indicators import compute_indicators
    from audit_app.seeding import load_cases, load_teams
    from seed_cases.csv_format import write_csv
    from seed_cases.generator import generate

    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    tmp = Path(tempfile.mkdtemp(prefix="fd-pandas-"))
    if args.db:
        url, folder = args.db, Path(args.csv)
    else:
        authority = generate(args.children, args.seed)
        url, folder = f"sqlite:///{tmp / 'bench.sqlite3'}", tmp / "csv"
        write_csv(authority, folder)
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        load_teams(authority.teams, engine=engine)
        load_cases(authority.iter_cases(), engine=engine)
    engine = make_engine(url)
    with Session(engine) as session:
        timings = []
        for _ in range(max(args.repeat, 1)):
            clock, cpu = time.perf_counter(), time.process_time()
            mine = compute_indicators(
                session=session, start=start, end=end, population_under_18=args.population
            )
            timings.append((time.perf_counter() - clock, time.process_time() - cpu))
        wall, cpu = min(timings)
        print(
            f"compute_indicators {start} to {end}: best of {len(timings)} {wall:.3f} s wall, "
            f"{cpu:.3f} s CPU (first {timings[0][0]:.3f} s wall)"
        )
    clock = time.perf_counter()
    theirs = reference_indicators(
        folder, start, end, population=args.population, holidays=bank_holidays()
    )
    print(f"pandas reference: {time.perf_counter() - clock:.3f} s")
    problems = compare(mine, theirs)
    for problem in problems:
        print("DIFFERS", problem)
    print(
        f"{len(COMPARED) - len({p.split('.')[0] for p in problems})} of {len(COMPARED)} "
        "indicators identical"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
