"""The command line, as a user runs it: real processes for generate, in-process for the rest."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from learnpath.cli import app
from learnpath.runtime import open_runtime
from learnpath.settings import Settings

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


def test_generate_writes_markdown_and_prints_its_path_last(cli_env: dict[str, str]) -> None:
    started = time.monotonic()
    result = run_cli("generate", "Become a backend engineer, I know some Python", "--weeks", "26")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.suffix == ".md"
    assert path.is_relative_to(Path(cli_env["LEARNPATH_DATA_DIR"]))
    text = path.read_text()
    assert text.startswith("# ")
    assert "## Stage 1" in text and "**Quiz**" in text and "**Resources**" in text
    assert "offline" in text  # labelled wherever it is shown
    assert "offline model" in result.stderr  # and the banner says how to configure one
    print(f"generate took {time.monotonic() - started:.1f}s")


def test_generate_json_follows_the_documented_shape(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "out" / "roadmap.json"
    result = run_cli(
        "generate", "Data scientist", "--format", "json", "-o", str(target), "--language", "zh"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(target)
    document = json.loads(target.read_text())
    assert {"roadmap_id", "title", "generated_by", "stages"} <= document.keys()
    assert document["generated_by"] == "offline"
    concepts = [c for s in document["stages"] for m in s["modules"] for c in m["concepts"]]
    assert concepts
    for concept in concepts:
        assert {"concept_id", "name", "content"} <= concept.keys()
        for kind in ("tutorial", "resources", "quiz"):
            entry = concept["content"][kind]
            assert entry["status"] == "completed" and entry["version"] == 1 and entry["body"]


def test_generate_with_review_rejects_then_approves_in_the_terminal(
    cli_env: dict[str, str],
) -> None:
    result = run_cli(
        "generate", "DevOps engineer", "--review", stdin="r\nAdd more on containers\na\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Approve this roadmap?" in result.stderr
    assert Path(result.stdout.strip().splitlines()[-1]).is_file()


def test_generate_rejects_invalid_input_with_a_clear_message(cli_env: dict[str, str]) -> None:
    result = run_cli("generate", "Go", "--hours", "0")
    assert result.returncode == 2
    assert "--hours must be at least 1" in result.stderr and "Traceback" not in result.stderr
    assert "Input should be" not in result.stderr and "hint:" in result.stderr
    result = run_cli("generate", "Learn Rust", "--language", "xx")
    assert result.returncode == 2 and "language" in result.stderr
    result = run_cli("generate", "Learn Rust", "--deadline", "2001-01-01")
    assert result.returncode == 2 and "deadline 2001-01-01 is not in the future" in result.stderr


def test_user_create_prints_only_the_token(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["user", "create", "alice"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lp_") and len(lines[0]) > 30
    again = runner.invoke(app, ["user", "create", "alice"])
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_task_commands_and_doctor(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    generated = run_cli("generate", "Security engineer", "--review", stdin="")
    assert generated.returncode == 5 and "learnpath approve" in generated.stderr
    listing = runner.invoke(app, ["tasks", "--status", "human_review_pending"])
    assert listing.exit_code == 0 and "human_review_pending" in listing.stdout
    task_id = next(
        word
        for line in listing.stdout.splitlines()
        for word in line.split("│")
        if len(word.strip()) == 36
    ).strip()
    shown = runner.invoke(app, ["show", task_id[:8]])
    assert shown.exit_code == 0 and "review_required" in shown.stdout
    assert "{'" not in shown.stdout and "goal      Security engineer" in shown.stdout
    as_json = json.loads(runner.invoke(app, ["show", task_id[:6], "--json"]).stdout)
    assert as_json["id"] == task_id and as_json["events"][0]["seq"] == 1
    listed = json.loads(runner.invoke(app, ["tasks", "--json"]).stdout)
    assert [item["id"] for item in listed] == [task_id]
    weird = runner.invoke(app, ["tasks", "--status", "weird"])
    assert weird.exit_code == 2 and "human_review_pending" in weird.stderr
    assert runner.invoke(app, ["approve", task_id[:10]]).exit_code == 0
    twice = runner.invoke(app, ["approve", task_id])
    assert twice.exit_code == 1 and "not waiting for review" in twice.stderr
    # Nobody runs the queued job: doctor shows it; cancel ends it at once.
    doctor = runner.invoke(app, ["doctor", "--json"])
    assert doctor.exit_code == 0, doctor.stdout
    report = json.loads(doctor.stdout)
    assert report["healthy"] and report["queue"]["jobs_by_state"].get("queued") == 1
    recoveries = next(c for c in report["checks"] if c["name"] == "recoveries")
    assert recoveries["detail"].startswith("0 worker death(s) recovered")
    canceled = runner.invoke(app, ["cancel", task_id])
    assert canceled.exit_code == 0 and "canceled" in canceled.stdout
    assert runner.invoke(app, ["retry", task_id]).exit_code == 1
    assert runner.invoke(app, ["show", "no-such-task"]).exit_code == 1


def test_doctor_reports_an_unreachable_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNPATH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "unreachable" in result.stdout and "PROBLEM" in result.stdout


def test_module_entry_point_matches_console_script() -> None:
    result = subprocess.run(
        [*LEARNPATH, "--help"], capture_output=True, text=True, check=False, env={**os.environ}
    )
    assert result.returncode == 0 and "generate" in result.stdout


def test_doctor_in_celery_mode_reports_an_unreachable_broker(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNPATH_EXECUTOR", "celery")
    monkeypatch.setenv("LEARNPATH_BROKER_URL", "redis://127.0.0.1:1/0")
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["healthy"]
    assert report["cluster"]["broker_ok"] is False
    assert any(c["name"] == "cluster" and not c["ok"] for c in report["checks"])


def test_doctor_fix_in_celery_mode_publishes_waiting_jobs(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import require_service
    from tests.integration.celery_support import redis_available

    require_service(redis_available(), "Redis at 127.0.0.1:6379")
    monkeypatch.setenv("LEARNPATH_EXECUTOR", "celery")
    broker = f"redis://127.0.0.1:6379/{uuid.uuid4().int % 3 + 10}"
    redis.Redis.from_url(broker).flushdb()
    monkeypatch.setenv("LEARNPATH_BROKER_URL", broker)

    async def submit() -> None:
        async with open_runtime(Settings(), background=False) as runtime:
            user = await runtime.store.local_user()
            await runtime.store.submit_task(user_id=user.id, request={"goal": "Mobile developer"})

    asyncio.run(submit())
    result = CliRunner().invoke(app, ["doctor", "--fix", "--json"])
    report = json.loads(result.stdout)
    assert report["fixed"]["published"] == 1
    assert report["cluster"]["broker_ok"] is True
    assert report["cluster"]["queues"]["learnpath"] == 1
    # Nobody consumes it: doctor says no worker is alive and exits non-zero.
    assert result.exit_code == 1 and not report["healthy"]
    assert report["cluster"]["workers"] == []


def test_doctor_lists_a_failed_task_with_its_reason(cli_env: dict[str, str]) -> None:
    from learnpath.dispatch.local import LocalExecutor
    from learnpath.llm.errors import ModelCallError
    from learnpath.testing.teams import TinyTeam
    from learnpath.workflow import Workflow

    async def refuse(name: str, _: object) -> None:
        if name == "curriculum":
            raise ModelCallError("model_refused", "The model refused to design the curriculum.")

    async def fail_one() -> str:
        async with open_runtime(Settings(), background=False) as runtime:
            user = await runtime.store.local_user()
            task, _ = await runtime.store.submit_task(
                user_id=user.id, request={"goal": "Learn SQL"}
            )
            workflow = Workflow(runtime.store, TinyTeam(hook=refuse))
            await LocalExecutor(runtime.store, workflow.run).run_until_idle(timeout=60)
            return task.id

    task_id = asyncio.run(fail_one())
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.stdout  # a failed task is reported, not a broken system
    assert task_id in result.stdout
    assert "curriculum_design" in result.stdout and "model_refused" in result.stdout
    assert "1 recent failed task(s)" in result.stdout


def test_doctor_on_a_fresh_embedded_data_dir_is_clean(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    migrations = next(check for check in report["checks"] if check["name"] == "migrations")
    assert migrations["ok"] and "when first used" in migrations["detail"]


def test_show_refuses_an_ambiguous_prefix_listing_the_matches(cli_env: dict[str, str]) -> None:
    async def submit(count: int) -> list[str]:
        async with open_runtime(Settings()) as runtime:
            user = await runtime.store.local_user()
            ids = []
            for _ in range(count):
                task, _ = await runtime.store.submit_task(
                    user_id=user.id, request={"goal": "Security engineer", "review": True}
                )
                ids.append(task.id)
            return ids

    # 17 ids over 16 hex digits: at least two share their first character.
    ids = asyncio.run(submit(17))
    first = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    runner = CliRunner()
    ambiguous = runner.invoke(app, ["show", first])
    assert ambiguous.exit_code == 1 and "ambiguous" in ambiguous.stderr
    assert next(i for i in ids if i.startswith(first)) in ambiguous.stderr
    assert runner.invoke(app, ["show", "zz"]).exit_code == 1
    assert "no task zz" in runner.invoke(app, ["show", "zz"]).stderr
    assert runner.invoke(app, ["cancel", ids[3][:8]]).exit_code == 0
    shown = json.loads(runner.invoke(app, ["show", ids[3][:8], "--json"]).stdout)
    assert shown["id"] == ids[3] and shown["status"] == "canceled"


def test_the_cli_acts_as_its_named_user(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNPATH_CLI_USER", "alice")
    assert run_cli("generate", "Security engineer", "--review").returncode == 5

    async def owner() -> str:
        async with open_runtime(Settings()) as runtime:
            alice = await runtime.store.user_by_name("alice")
            assert alice is not None
            listed = await runtime.store.list_tasks(alice.id, limit=5)
            return listed.items[0].goal

    assert asyncio.run(owner()) == "Security engineer"
