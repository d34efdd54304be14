"""The three rooms: dependencies point one way (audit_app -> audit_forms -> journeys)."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


class TestRooms:
    def test_journeys_uses_only_stdlib_and_networkx(self):
        for path, names in imports_of("journeys").items():
            foreign = {n for n in names if n not in STDLIB and n not in {"networkx", "journeys"}}
            assert not foreign, f"{path} imports {sorted(foreign)}"

    @pytest.mark.parametrize(
        "forbidden", ["flask", "sqlalchemy", "sqlmodel", "audit_app", "htmx_flask", "flask_wtf"]
    )
    def test_audit_forms_knows_no_web_or_database(self, forbidden):
        for path, names in imports_of("audit_forms").items():
            assert forbidden not in names, f"{path} imports {forbidden}"

    def test_nothing_but_tests_imports_audit_app(self):
        for package in ("journeys", "audit_forms", "seed_cases"):
            for path, names in imports_of(package).items():
                assert "audit_app" not in names, f"{path} imports audit_app"

    def test_the_checker_sees_a_bad_import(self, tmp_path, monkeypatch):
        (tmp_path / "journeys").mkdir()
        (tmp_path / "journeys" / "bad.py").write_text("import flask\n")
        monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
        assert imports_of("journeys") == {"journeys/bad.py": {"flask"}}
