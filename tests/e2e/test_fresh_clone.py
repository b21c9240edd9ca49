"""Tried as a new user would: a fresh clone, the README's first command, a roadmap, offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def readme_first_command() -> str:
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, "the README starts with a bash block of commands"
    first = block.group(1).splitlines()[0]
    return first.split("#", 1)[0].strip()


def test_fresh_clone_runs_the_readme_first_command(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout")
    if subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, check=False
    ).returncode:
        pytest.skip("no commit to clone yet")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    command = readme_first_command()
    assert command == "make demo"
    env = {
        key: value
        for key, value in os.environ.items()
        # A new user's shell: none of this run's settings, nor an enclosing make's state.
        if not key.startswith(("LEARNPATH_", "VIRTUAL_ENV", "PYTEST_", "COV_", "MAKE", "MFLAGS"))
    }
    env["LEARNPATH_DATA_DIR"] = str(tmp_path / "data")
    started = time.monotonic()
    result = subprocess.run(
        command.split(),
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    roadmap = Path(result.stdout.strip().splitlines()[-1])
    assert roadmap.is_file(), result.stdout[-2000:]
    text = roadmap.read_text()
    assert text.startswith("# ")
    assert "**Quiz**" in text
    assert "offline" in text
    print(f"fresh clone: install + first roadmap in {elapsed:.0f}s")


def test_readme_describes_exactly_what_make_demo_runs() -> None:
    makefile = (REPO / "Makefile").read_text()
    goal = re.search(r"^GOAL\s*\?=\s*(.+)$", makefile, re.M)
    demo = re.search(r"^demo:.*\n\t(.+)$", makefile, re.M)
    assert goal and demo
    ran = demo.group(1).replace("$(BIN)/", "").replace("$(GOAL)", goal.group(1).strip())
    assert f"`{ran}`" in " ".join((REPO / "README.md").read_text().split())
