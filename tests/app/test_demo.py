"""``frontdoor demo`` works as the README's first command does: a fresh shell, no SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path


def test_demo_builds_without_a_secret_key_and_prints_a_login_per_role(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    env["FRONTDOOR_DEMO_DB"] = str(tmp_path / "demo.sqlite3")
    frontdoor = Path(sys.executable).with_name("frontdoor")
    result = subprocess.run(
        [str(frontdoor), "demo", "--no-serve", "--children", "40"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for username in ("admin", "qa.lead", "practice.manager", "auditor", "auditor2", "viewer"):
        assert f"  {username} " in result.stdout
    assert (tmp_path / "demo.sqlite3").exists()
