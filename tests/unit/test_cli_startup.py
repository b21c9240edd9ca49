"""The command line starts without the heavy modules its commands need later."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_loads_no_model_web_or_database_library() -> None:
    probe = (
        "import sys, learnpath.cli\n"
        "heavy = [m for m in ('pydantic_ai', 'fastapi', 'sqlalchemy', 'celery') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_help_lists_the_commands_and_shows_defaults_without_bool_markers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "learnpath.cli", "generate", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    text = " ".join(result.stdout.split())
    assert "<bool>" not in text and "--review / --no-review" in text
    assert "else 12" in text and "else 8" in text
    assert "[default: beginner]" in text and "3 partial failure" in text
