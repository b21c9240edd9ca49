"""Accounts on the command line, on both backends: users, tokens (create, list, revoke,
expiry) and submit limits, with a real ``learnpath generate`` process refused by a quota."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from typer.testing import CliRunner

from learnpath.cli import app
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.accounts import TokenRefused
from learnpath.store.migrate import upgrade
from learnpath.store.users import LOCAL_USER
from tests.integration.test_cli import cli_env, run_cli

__all__ = ["cli_env"]
T = TypeVar("T")


def on_store(settings: Settings, use: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``use`` on a store of the test's database, on a loop of its own (the CLI's
    commands run their own loops in this thread)."""

    async def run() -> T:
        store = open_store(settings)
        try:
            await upgrade(store.engines.writer)
            return await use(store)
        finally:
            await store.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def refusal(settings: Settings, secret: str, *, days_later: float = 0) -> str | None:
    """The code a token is refused with (None: accepted), ``days_later`` from now."""

    async def check(store: Store) -> str | None:
        if days_later:
            moment = dt.datetime.now(dt.UTC) + dt.timedelta(days=days_later)
            store = Store(store.engines, clock=lambda: moment)
        try:
            await store.authenticate(secret)
        except TokenRefused as exc:
            return exc.code
        return None

    return on_store(settings, check)


def test_tokens_are_created_listed_and_revoked_without_showing_a_secret_again(
    cli_env: dict[str, str], settings: Settings
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["user", "create", "alice"]).stdout.strip()
    made = runner.invoke(app, ["token", "create", "alice", "--name", "ci", "--expires-days", "2"])
    assert made.exit_code == 0, made.output
    [second] = made.stdout.strip().splitlines()
    assert second.startswith("lp_") and second != first
    assert refusal(settings, second) is None and refusal(settings, first) is None

    listed = runner.invoke(app, ["token", "list", "alice", "--json"])
    assert listed.exit_code == 0, listed.output
    assert first not in listed.stdout and second not in listed.stdout
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"default", "ci"}
    assert rows["ci"]["expires_at"] is not None and rows["default"]["expires_at"] is None
    assert rows["ci"]["last_used_at"] is not None  # authenticated above
    assert {"id", "name", "user", "created_at", "last_used_at", "revoked_at"} <= set(rows["ci"])
    table = runner.invoke(app, ["token", "list"])
    assert "ci" in table.stdout and "alice" in table.stdout and second not in table.stdout

    by_id = runner.invoke(app, ["token", "revoke", rows["ci"]["id"]])
    assert by_id.exit_code == 0 and "revoked token" in by_id.stdout
    assert refusal(settings, second) == "token_revoked"
    by_secret = runner.invoke(app, ["token", "revoke", first])
    assert by_secret.exit_code == 0
    assert refusal(settings, first) == "token_revoked"
    states = {
        r["name"]: r["state"]
        for r in json.loads(runner.invoke(app, ["token", "list", "--json"]).stdout)
    }
    assert states == {"default": "revoked", "ci": "revoked"}

    missing = runner.invoke(app, ["token", "create", "nobody"])
    assert missing.exit_code == 1 and "no user named 'nobody'" in missing.stderr
    unknown = runner.invoke(app, ["token", "revoke", "lp_not_a_token"])
    assert unknown.exit_code == 1 and "no such token" in unknown.stderr


def test_a_token_past_its_expiry_is_refused(cli_env: dict[str, str], settings: Settings) -> None:
    runner = CliRunner()
    runner.invoke(app, ["user", "create", "bob"])
    secret = runner.invoke(app, ["token", "create", "bob", "--expires-days", "1"]).stdout.strip()
    assert refusal(settings, secret, days_later=2) == "token_expired"
    assert refusal(settings, secret) is None


def test_users_are_listed_and_their_limits_set(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(app, ["user", "create", "carol"])
    runner.invoke(app, ["user", "create", "root", "--admin"])
    set_limits = runner.invoke(app, ["user", "quota", "carol", "--max-active", "3"])
    assert set_limits.exit_code == 0, set_limits.output
    assert "max active tasks 3, submits per minute default" in set_limits.stdout
    runner.invoke(app, ["user", "quota", "carol", "--per-minute", "7"])
    users = {
        u["name"]: u for u in json.loads(runner.invoke(app, ["user", "list", "--json"]).stdout)
    }
    assert (users["carol"]["max_active_tasks"], users["carol"]["submits_per_minute"]) == (3, 7)
    assert users["root"]["admin"] and not users["carol"]["admin"]
    reset = runner.invoke(app, ["user", "quota", "carol", "--default"])
    assert "max active tasks default, submits per minute default" in reset.stdout
    nothing = runner.invoke(app, ["user", "quota", "carol"])
    assert nothing.exit_code == 2 and "--max-active" in nothing.stderr
    unknown = runner.invoke(app, ["user", "quota", "nobody", "--max-active", "1"])
    assert unknown.exit_code == 1 and "no user named" in unknown.stderr


def test_generate_past_the_quota_exits_non_zero_and_doctor_counts_it(
    cli_env: dict[str, str], settings: Settings
) -> None:
    async def submit_one(store: Store) -> None:
        local = await store.local_user()
        await store.submit_task(user_id=local.id, request={"goal": "Learn SQL", "review": True})

    on_store(settings, submit_one)
    env = {"LEARNPATH_USER_SUBMITS_PER_MINUTE": "1"}
    result = run_with(env, "generate", "Learn Go")
    assert result.returncode == 1, result.stderr
    assert "not submitted" in result.stderr
    assert "LEARNPATH_USER_SUBMITS_PER_MINUTE" in result.stderr and "is 1" in result.stderr
    assert result.stdout == ""
    doctor = CliRunner().invoke(app, ["doctor", "--json"])
    [quotas] = [c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "quotas"]
    assert "submits_per_minute=1" in quotas["detail"] and "active_tasks=0" in quotas["detail"]
    assert f"most refused: {LOCAL_USER} (1)" in quotas["detail"]
    shown = CliRunner().invoke(app, ["doctor"])
    assert "quotas" in shown.stdout and "submits_per_minute=1" in shown.stdout


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    import os

    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return run_cli(*args)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
