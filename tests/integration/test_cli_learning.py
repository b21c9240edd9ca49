"""The learning commands as a user runs them: ``ask`` in real processes (the answer streams to
a pipe), review, notes and the calendar in-process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from learnpath.cli import app
from learnpath.dispatch.local import LocalExecutor
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.store.migrate import upgrade
from learnpath.testing import FakeLLMServer, Reply
from learnpath.testing.teams import StudyTeam

LEARNPATH = [sys.executable, "-m", "learnpath.cli"]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {"LEARNPATH_DATA_DIR": str(tmp_path / "data"), "LEARNPATH_DATABASE_URL": database_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")
    return env


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEARNPATH, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def invoke(*args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


async def _roadmap(settings: Settings, *, done: str | None = None) -> str:
    """A finished roadmap of the command line's user (``local``); ``done`` marks a concept."""
    store = open_store(settings)
    try:
        await upgrade(store.engines.writer)
        user = await store.local_user()
        task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn SQL"})
        team = StudyTeam(concepts=2)
        executor = LocalExecutor(store, make_workflow(settings, store, team).run, poll_seconds=0.05)
        await executor.run_until_idle(timeout=60)
        if done:
            await store.record_progress(user.id, task.id, done, done=True)
        return task.id
    finally:
        await store.close()


def make_roadmap(settings: Settings, *, done: str | None = None) -> str:
    return asyncio.run(_roadmap(settings, done=done))


def test_ask_streams_the_answer_and_reopens_the_conversation(
    cli_env: dict[str, str], settings: Settings
) -> None:
    task = make_roadmap(settings)
    asked = run_cli("ask", task[:8], "Concept 1", "Why does it matter?")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("**Offline tutor (sample answer)**")
    assert "“Why it matters” covers this [3]" in asked.stdout
    assert "Tutor (offline: sample answers)" in asked.stderr
    assert "[3] tutorial: Why it matters" in asked.stderr
    assert "<https://example.org/c1>" in asked.stderr

    shown = run_cli("ask", task[:8], "c1")
    assert shown.returncode == 0, shown.stderr
    assert "You:" in shown.stdout and "Why does it matter?" in shown.stdout
    assert "Tutor (offline):" in shown.stdout and "Offline tutor" in shown.stdout

    unknown = invoke("ask", task[:8], "no such thing", "hi")
    assert unknown.exit_code == 2 and "c1 (Concept 1)" in unknown.stderr


def test_ask_is_rate_limited(
    cli_env: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = make_roadmap(settings)
    monkeypatch.setenv("LEARNPATH_USER_CHAT_PER_MINUTE", "1")
    first = invoke("ask", task[:8], "c2", "once?")
    assert first.exit_code == 0, first.stderr
    assert "Offline tutor" in first.stdout
    limited = invoke("ask", task[:8], "c2", "again?")
    assert limited.exit_code == 1 and "ask again in" in limited.stderr


def test_ask_reports_a_model_failure_and_exits_1(
    cli_env: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = make_roadmap(settings)
    with FakeLLMServer() as server:
        server.add_rule(Reply.error(401), agent="tutor")
        monkeypatch.setenv("LEARNPATH_MODEL", server.model_setting)
        failed = run_cli("ask", task[:8], "c1", "Why?")
        assert failed.returncode == 1
        assert "LEARNPATH_MODEL_API_KEY" in failed.stderr and "model_auth_failed" in failed.stderr
        assert "Traceback" not in failed.stderr
        answered = run_cli("ask", task[:8], "c1", "Why, then?")
        assert answered.returncode == 0, answered.stderr
        assert "Offline tutor" in answered.stdout and "fake-model@" in answered.stderr


def test_review_answers_due_cards_in_the_terminal(
    cli_env: dict[str, str], settings: Settings
) -> None:
    nothing = invoke("review")
    assert nothing.exit_code == 0 and "Nothing is due today" in nothing.stderr
    make_roadmap(settings, done="c2")
    # The first card: option 1 is right; the second: a rating; then a typo, then quit.
    result = invoke("review", "--timezone", "Europe/Paris", stdin="1\nx\ne\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "[1/3] Concept 2" in result.stdout and "What is Concept 2?" in result.stdout
    assert "  1) a start" in result.stdout
    assert "✔ right" in result.stdout and "(in 2 days)" in result.stdout
    assert "Type an option number" in result.stderr
    assert "(in 8 days)" in result.stdout  # "easy" for the second card
    assert "Reviewed 2 card(s)." in result.stderr
    again = invoke("review", stdin="2\n")
    assert "[1/1] Concept 2" in again.stdout and "✘ the answer is 1) more" in again.stdout
    assert "(in 1 day)" in again.stdout
    bad = invoke("review", "--timezone", "Mars/Base")
    assert bad.exit_code == 2 and "unknown time zone" in bad.stderr


def test_notes_and_calendar_commands(cli_env: dict[str, str], settings: Settings) -> None:
    task = make_roadmap(settings)
    added = invoke("notes", "add", task[:8], "c1", "# Joins\n\nLEFT keeps rows")
    assert added.exit_code == 0, added.stderr
    note_id = added.stdout.strip()
    piped = invoke("notes", "add", task[:8], "Concept 2", "-", stdin="from stdin\n")
    assert piped.exit_code == 0, piped.stderr
    listed = invoke("notes", "list", task[:8])
    assert "## Concept 1" in listed.stdout and "LEFT keeps rows" in listed.stdout
    assert "from stdin" in listed.stdout and note_id in listed.stdout
    assert invoke("notes", "edit", note_id, "INNER too").exit_code == 0
    only = invoke("notes", "list", task[:8], "c1")
    assert "INNER too" in only.stdout and "from stdin" not in only.stdout
    assert invoke("notes", "delete", note_id).exit_code == 0
    gone = invoke("notes", "delete", note_id)
    assert gone.exit_code == 1 and f"no note {note_id}" in gone.stderr
    assert invoke("notes", "add", task[:8], "c1", "  ").exit_code == 2

    assert invoke("calendar", "timezone", "Asia/Shanghai").exit_code == 0
    assert invoke("calendar", "timezone", "Mars/Base").exit_code == 2
    rotated = invoke("calendar", "rotate", "--base-url", "https://learn.example.org/")
    assert rotated.exit_code == 0, rotated.stderr
    url = rotated.stdout.strip()
    assert url.startswith("https://learn.example.org/calendar/cal_") and url.endswith(".ics")
    shown = invoke("calendar", "show")
    assert "time zone: Asia/Shanghai" in shown.stdout and "feed: active" in shown.stdout
    assert url.split("/")[-1] not in shown.stdout  # the secret is shown only once
    assert invoke("calendar", "revoke").exit_code == 0
    assert "feed: none" in invoke("calendar", "show").stdout


def test_the_exported_plan_and_document_carry_the_notes(
    cli_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    task = make_roadmap(settings)
    assert invoke("notes", "add", task[:8], "c2", "## Keys\n\nA key names one row").exit_code == 0
    plan = tmp_path / "plan.md"
    exported = invoke("export", task[:8], "--format", "md", "-o", str(plan))
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout.strip().splitlines()[-1] == str(plan)
    text = plan.read_text()
    c2 = text[text.index('<a id="concept-c2"></a>') :]
    assert "**My notes** *(the learner's own notes, not generated content)*" in c2
    assert "> ##### Keys" in c2 and "> A key names one row" in c2
    assert "My notes" not in text[: text.index('<a id="concept-c2"></a>')]
    document = tmp_path / "plan.json"
    assert invoke("export", task[:8], "--format", "json", "-o", str(document)).exit_code == 0
    concepts = json.loads(document.read_text())["stages"][0]["modules"][0]["concepts"]
    assert [[n["markdown"] for n in c["learner_notes"]] for c in concepts] == [
        [],
        ["## Keys\n\nA key names one row"],
    ]
