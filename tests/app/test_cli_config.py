"""The frontdoor command without SECRET_KEY: one clear line, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

FRONTDOOR = Path(sys.executable).with_name("frontdoor")


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FRONTDOOR_DEMO"}}
    return subprocess.run(
        [str(FRONTDOOR), *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_help_without_a_secret_key_lists_the_commands_and_says_what_is_missing():
    result = _run("--help")
    assert result.returncode == 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "Error: SECRET_KEY is not set." in result.stderr
    assert "import" in result.stdout and "init-db" in result.stdout


def test_a_command_without_a_secret_key_stops_with_the_reason():
    result = _run("import", "nowhere.xlsx")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SECRET_KEY is not set" in result.stderr
