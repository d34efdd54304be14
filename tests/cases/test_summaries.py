"""The stored journey summaries: built on import and seeding, rebuilt only where events changed."""

import os
import threading
from datetime import date

import pytest
from sqlalchemy import delete, select, update

from audit_app import summaries as summaries_module
from audit_app.imports.annex_a import columns_of
from audit_app.models import Child, Event, JourneySummary
from audit_app.seeding import load_cases, load_teams
from audit_app.summaries import rebuild_summaries
from tests.imports.helpers import annex_row, write_workbook
from tests.imports.helpers import load as load_file

from .helpers import child, engine_of, event, load, summaries

CHILDREN = [child("A1"), child("B2"), child("C3"), child("D4")]
EVENTS = [
    # A1: contact, referral, an assessment authorised 76 working days after it began.
    event("A1", "contact", "2025-03-03", source="6"),
    event(
        "A1",
        "referral",
        "2025-03-04",
        source="6",
        team="North",
        worker="Worker A",
        referrals_last_12m="0",
    ),
    event("A1", "assessment", "2025-03-05", "2025-06-20", team="North", worker="Worker A"),
    # B2: a conference and a plan with no section 47 enquiry before them.
    event("B2", "referral", "2025-01-06", source="2A", team="South"),
    event("B2", "icpc", "2025-01-20", plan_resulted="true"),
    event("B2", "cp_plan", "2025-01-20", category_initial="NEG", previous_plans="0"),
    # C3: an assessment still open.
    event("C3", "referral", "2025-02-03", source="3A", team="North"),
    event("C3", "assessment", "2025-02-04", team="North"),
]


class TestImportBuildsSummaries:
    def test_every_child_gets_its_findings(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        s = summaries(app)
        assert set(s) == {"A1", "B2", "C3", "D4"}
        a1 = s["A1"]
        assert (a1["path"], a1["furthest_stage"], a1["referral_count"]) == (
            "C → R → A",
            "assessment",
            1,
        )
        assert (a1["latest_source"], a1["team"], a1["worker"]) == ("6", "North", "Worker A")
        assert a1["breach_count"] >= 1 and not a1["rereferred"] and not a1["history_incomplete"]
        b2 = s["B2"]
        assert "icpc_without_s47" in b2["anomalies"].split(",")
        assert (b2["furthest_stage"], b2["cp_categories"], b2["anomaly_count"] >= 1) == (
            "cp_plan",
            "NEG",
            True,
        )
        # The data begin on 6 January 2025: whether B2's referral was a re-referral is unknown.
        assert b2["history_incomplete"] is True
        assert s["D4"]["path"] == "" and s["D4"]["furthest_stage"] is None

    def test_an_open_assessment_stores_when_it_becomes_overdue(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        # Referral 3 Feb 2025 + 45 working days is 7 April; on 8 April it is 46, past the
        # timescale (the assessment's own 45 days, from 4 February, run out a day later).
        assert summaries(app)["C3"]["data"]["assessment_overdue_from"] == "2025-04-08"
        assert summaries(app)["A1"]["data"]["assessment_overdue_from"] is None

    def test_an_annex_a_episode_of_need_beside_a_cp_plan_is_not_an_overlap(self, app, tmp_path):
        common = {
            "Child Unique ID": "L6",
            "Gender": "b) Female",
            "Ethnicity": "a) WBRI",
            "Date of Birth": date(2015, 6, 1),
        }
        cin = annex_row(
            6,
            **common,
            **{"CIN Start Date": date(2025, 1, 6), "Primary Need Code": "N1 - Abuse or neglect"},
        )
        cp = annex_row(
            7,
            **common,
            **{
                "Child Protection Plan Start Date": date(2025, 2, 3),
                "Initial Category of Abuse": "a) Neglect",
                "Number of Previous Child Protection Plans": 0,
            },
        )
        book = write_workbook(
            tmp_path / "a.xlsx", {"List 6": [columns_of(6), cin], "List 7": [columns_of(7), cp]}
        )
        assert load_file(app, book).status == "committed"
        row = summaries(app)["L6"]
        assert row["furthest_stage"] == "cp_plan"
        assert "cin_cp_overlap" not in row["anomalies"].split(",")


class TestIncrementalRebuild:
    def test_only_the_changed_child_is_rebuilt_after_a_reimport(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        before = summaries(app)
        assert rebuild_summaries(engine=engine_of(app)) == 0  # nothing changed since
        # A newer export: A1's assessment was authorised on 1 April, within 45 working days.
        changed = [e for e in EVENTS if e[:2] != ["A1", "assessment"]]
        changed.append(event("A1", "assessment", "2025-03-05", "2025-04-01", team="North"))
        result = load(app, tmp_path / "two", CHILDREN, changed)
        assert result.changed_children == ["A1"]
        after = summaries(app)
        assert after["A1"]["events_hash"] != before["A1"]["events_hash"]
        assert after["A1"]["breach_count"] == 0
        for ref in ("B2", "C3", "D4"):
            assert after[ref]["built_at"] == before[ref]["built_at"], ref
            assert after[ref]["events_hash"] == before[ref]["events_hash"], ref

    def test_a_missing_summary_is_rebuilt_and_force_rebuilds_all(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        engine = engine_of(app)
        with engine.begin() as conn:
            d4 = conn.execute(select(Child.id).where(Child.child_ref == "D4")).scalar_one()
            conn.execute(delete(JourneySummary).where(JourneySummary.child_id == d4))
        assert rebuild_summaries(engine=engine) == 1
        assert "D4" in summaries(app)
        assert rebuild_summaries(engine=engine, force=True) == 4

    def test_an_earlier_history_rebuilds_every_child(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        assert summaries(app)["B2"]["history_incomplete"] is True
        # An older referral for A1 takes the data back to 2023: B2's question is settled.
        load(
            app,
            tmp_path / "two",
            CHILDREN,
            [*EVENTS, event("A1", "referral", "2023-06-01", source="6")],
        )
        after = summaries(app)
        assert after["B2"]["history_incomplete"] is False
        assert after["B2"]["data"]["history_start"] == "2023-06-01"

    def test_rebuild_runs_in_worker_processes_with_the_same_answers(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        before = summaries(app)
        assert rebuild_summaries(engine=engine_of(app), force=True, workers=2) == 4
        after = summaries(app)
        assert {k: v["path"] for k, v in after.items()} == {k: v["path"] for k, v in before.items()}
        assert {k: v["events_hash"] for k, v in after.items()} == {
            k: v["events_hash"] for k, v in before.items()
        }


def _stored(app) -> dict[str, dict]:
    """Every summary column but the build time, by child ID."""
    return {
        ref: {k: v for k, v in row.items() if k != "built_at"}
        for ref, row in summaries(app).items()
    }


class TestChunkedRebuild:
    """A rebuild goes chunk by chunk, in this process or in workers: the same rows either way."""

    def _seed(self, app, n=45):
        from seed_cases.generator import generate

        authority = generate(n, 11)
        load_teams(authority.teams, engine=engine_of(app))
        load_cases(authority.iter_cases(), engine=engine_of(app))

    def test_workers_taking_many_chunks_write_what_one_process_writes(self, app, monkeypatch):
        self._seed(app)
        monkeypatch.setattr(summaries_module, "CHUNK", 7)  # 45 children: 7 chunks
        engine = engine_of(app)
        assert rebuild_summaries(engine=engine, force=True, workers=1) == 45
        serial = _stored(app)
        assert len(serial) == 45
        assert rebuild_summaries(engine=engine, force=True, workers=2) == 45
        assert _stored(app) == serial
        # The calling process takes chunks itself beside its one helper process.
        here = []
        original = summaries_module._rebuild_chunk

        def counted(*args, **kwargs):
            here.append(os.getpid())
            return original(*args, **kwargs)

        monkeypatch.setattr(summaries_module, "_rebuild_chunk", counted)
        assert rebuild_summaries(engine=engine, force=True, workers=2) == 45
        assert 0 < len(here) < 7
        assert _stored(app) == serial
        monkeypatch.setattr(summaries_module, "_rebuild_chunk", original)
        # Nothing changed: every chunk skips every child, in the workers too.
        assert rebuild_summaries(engine=engine, workers=2) == 0
        assert rebuild_summaries(engine=engine) == 0

    def test_an_import_starts_its_helpers_before_reading_and_stops_them(
        self, app, tmp_path, monkeypatch
    ):
        import audit_app.imports as imports_module
        from seed_cases import csv_format
        from seed_cases.generator import generate

        csv_format.write_csv(generate(45, 11), tmp_path / "csv")
        monkeypatch.setattr(imports_module, "PRESTART_BYTES", 0)
        monkeypatch.setattr(summaries_module, "CHUNK", 7)
        started = []
        real = summaries_module.Helpers.start

        def start(count):
            started.append(real(count))
            return started[-1]

        monkeypatch.setattr(summaries_module.Helpers, "start", staticmethod(start))
        assert load_file(app, tmp_path / "csv").status == "committed"
        assert len(started) == 1 and started[0].count >= 1
        with pytest.raises(RuntimeError):  # shut down once the import ended
            started[0].executor.submit(os.getpid)
        built = _stored(app)
        assert len(built) == 45
        assert rebuild_summaries(engine=engine_of(app), force=True, workers=1) == 45
        assert _stored(app) == built

    def test_a_helper_that_fails_fails_the_rebuild_and_stops_the_others(self, app, monkeypatch):
        from concurrent.futures import ThreadPoolExecutor

        self._seed(app)
        monkeypatch.setattr(summaries_module, "CHUNK", 5)  # 45 children: 9 chunks
        engine = engine_of(app)
        calls, failing_at = [], [1]
        real = summaries_module._rebuild_chunk
        helped = threading.Event()  # a helper has taken a chunk

        def failing(url, part, *args):
            calls.append(part)
            helped.set()
            if len(calls) in failing_at:
                raise ValueError("chunk failed")
            return real(engine, part, as_of=args[0], history=args[1], force=args[2])

        def here(*args, **kwargs):  # this process waits for the helpers' first chunk
            assert helped.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(summaries_module, "_rebuild_chunk", here)
        monkeypatch.setattr(summaries_module, "_rebuild_in_worker", failing)
        helpers = summaries_module.Helpers(ThreadPoolExecutor(2), 2)
        try:
            with pytest.raises(ValueError, match="chunk failed"):
                rebuild_summaries(engine=engine, force=True, helpers=helpers)
            assert len(calls) < 9  # no chunk was handed out after the failure
            # The same helpers, working: every chunk is built once, by them or here.
            calls.clear()
            failing_at.clear()
            helped.clear()
            serial = _stored(app)
            assert rebuild_summaries(engine=engine, force=True, helpers=helpers) == 45
            assert 1 <= len(calls) < 9 and _stored(app) == serial
        finally:
            helpers.close()

    def test_named_children_in_chunks_and_in_workers(self, app, monkeypatch):
        self._seed(app)
        monkeypatch.setattr(summaries_module, "CHUNK", 4)
        engine = engine_of(app)
        serial = _stored(app)
        with engine.connect() as conn:
            ids = list(conn.execute(select(Child.id).order_by(Child.id)).scalars())
        some = ids[::3]  # 15 children, in 4 chunks
        with engine.begin() as conn:
            conn.execute(delete(JourneySummary).where(JourneySummary.child_id.in_(ids[1::3])))
        assert rebuild_summaries(engine=engine, child_ids=some, force=True, workers=2) == 15
        assert rebuild_summaries(engine=engine, child_ids=ids[1::3], workers=2) == 15
        assert rebuild_summaries(engine=engine, child_ids=ids, workers=2) == 0
        assert _stored(app) == serial

    def test_events_with_details_hash_and_build_as_the_typed_rows_do(self, app, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        engine = engine_of(app)
        with engine.begin() as conn:
            a1 = conn.execute(select(Child.id).where(Child.child_ref == "A1")).scalar_one()
            conn.execute(
                update(Event)
                .where(Event.child_id == a1, Event.kind == "assessment")
                .values(details={"placements_12m": 2, "permanence_plan": "Stay", "team": "x"})
            )
        assert rebuild_summaries(engine=engine) == 1  # A1's events changed
        # What the rebuild read, hashed and built from equals the rows as the JSON type reads them.
        names = summaries_module._EVENT_COLUMNS
        with engine.connect() as conn:
            history = summaries_module.history_start(conn)
            rows = [
                tuple(r)
                for r in conn.execute(
                    select(*(Event.__table__.c[n] for n in names)).where(Event.child_id == a1)
                )
            ]
        rows.sort(key=summaries_module._natural_key)
        assert {"placements_12m": 2, "permanence_plan": "Stay", "team": "x"} in [
            r[-1] for r in rows
        ]
        stored = summaries(app)["A1"]
        salt = f"{summaries_module.SUMMARY_VERSION}|{history}"
        assert stored["events_hash"] == summaries_module._digest(rows, salt)
        summary, _ = summaries_module.summarise_events(
            [dict(zip(names, r, strict=True)) for r in rows], as_of=date.today(), history=history
        )
        assert stored["data"]["path"] == summary.path == "C → R → A"
        assert stored["data"] == {
            **summary.to_dict(),
            "history_start": stored["data"]["history_start"],
            "assessment_overdue_from": stored["data"]["assessment_overdue_from"],
            "open_checks": stored["data"]["open_checks"],
        }

    def test_an_event_row_maps_as_its_mapping_does(self):
        from audit_app.mapping import ROW_COLUMNS, event_from_mapping, event_from_row

        values = {name: None for name in ROW_COLUMNS}
        values.update(
            kind="cp_plan",
            start_date=date(2025, 1, 6),
            occurrence=None,
            team="North",
            seen_alone=False,
            details={"decision_date": "2025-01-07", "team": "ignored: the column wins"},
        )
        row = tuple(values[name] for name in ROW_COLUMNS)
        event = event_from_row(row)
        assert event == event_from_mapping(values)
        assert event.attrs == {
            "team": "North",
            "seen_alone": False,
            "decision_date": "2025-01-07",
        }
        assert (event.occurrence, event.end, event.ref) == (0, None, None)


class TestSeedingAndCommand:
    def test_seeding_builds_every_summary(self, app):
        from seed_cases.generator import generate

        authority = generate(40, 5)
        load_teams(authority.teams, engine=engine_of(app))
        load_cases(authority.iter_cases(), engine=engine_of(app))
        s = summaries(app)
        assert len(s) == 40
        assert any(row["path"].startswith("C → R") for row in s.values())

    def test_the_command_says_how_many_it_rebuilt(self, app, runner, tmp_path):
        load(app, tmp_path / "one", CHILDREN, EVENTS)
        result = runner.invoke(args=["rebuild-journeys"])
        assert result.exit_code == 0, result.output
        assert "Rebuilt 0 journey summaries" in result.output
        result = runner.invoke(args=["rebuild-journeys", "--force"])
        assert "Rebuilt 4 journey summaries" in result.output
