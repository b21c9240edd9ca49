"""`learnpath generate` on a real pseudo-terminal, as a person runs it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def _run_on_terminal(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    os.close(leader)
    code = process.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_generate_on_a_terminal_shows_no_third_party_banner(
    tmp_path: Path, database_url: str
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        # The model library stays quiet by itself under CI or pytest: take those away so the
        # command is seen as a person at a terminal would see it.
        if key not in {"CI", "PYTEST_VERSION", "PYDANTIC_AI_NO_BANNER"}
        and not key.startswith("PYTEST_")
    }
    env.update(
        LEARNPATH_DATA_DIR=str(tmp_path / "data"),
        LEARNPATH_DATABASE_URL=database_url,
        COLUMNS="120",
        TERM="xterm-256color",
    )
    code, text = _run_on_terminal(
        [sys.executable, "-m", "learnpath.cli", "generate", "Learn Go in 2 weeks, 3 h/week"], env
    )
    assert code == 0, text
    assert "Logfire" not in text and "observability" not in text.lower()
    assert "output type" not in text.lower()
    written = [line.strip() for line in text.splitlines() if line.strip().endswith(".md")]
    assert written and Path(written[-1]).is_file(), text
