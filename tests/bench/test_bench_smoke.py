"""The benchmark harness end to end on a tiny authority: every step reports, none raises.

No timing is asserted (the machine is shared); the point is that ``python -m bench``
keeps working as features land, so every closing note can quote its figures.
"""

from bench.__main__ import main
from bench.harness import STEP_IDS, _steps

STEP_LABELS = {sid: label for sid, label, _target, _func in _steps()}


def test_every_step_reports_and_none_raises(db_url, tmp_path, capsys):
    out = tmp_path / "RESULTS.md"
    status = main(
        [
            "--children", "300", "--repeat", "1", "--requests", "10",
            "--database", db_url, "--workdir", str(tmp_path / "work"), "--out", str(out),
        ]
    )  # fmt: skip
    printed = capsys.readouterr()
    table = out.read_text(encoding="utf-8")

    assert status == 0, printed.err[-3000:]
    assert "| step | database | result | runs | target | verdict |" in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    for sid in STEP_IDS:
        number = STEP_LABELS[sid].split()[0]
        assert any(row.startswith(f"| {number} ") for row in rows), f"no row for step {sid}"
    assert not [row for row in rows if "| error |" in row or "error: " in row]
    assert "300 children" in table and "cores" in table and "Python" in table
    assert "the import's own reader (calamine after its safety scan) reads" in table
