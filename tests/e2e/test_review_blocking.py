"""Approving a roadmap that content cannot be written for is refused, on every client.

The team designs a module without concepts and no edit round may repair it, so the roadmap
parks for review with a blocking issue. Approving it as it is gets 409 with the issues
(API), the issues on the review form (web) and a non-zero exit with them (CLI); approving
with edits that fix it goes on to content.
"""

from __future__ import annotations

import asyncio

import httpx
from typer.testing import CliRunner

from learnpath.cli import app as cli_app
from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, StartServer, Tokens, wait_for_task
from tests.e2e.test_web_pages import csrf_of


async def _parked(client: httpx.AsyncClient) -> str:
    body = {"goal": "Learn SQL", "hours_per_week": 5, "weeks": 4, "review": True}
    response = await client.post(f"{API}/roadmaps/generate", json=body)
    assert response.status_code == 202, response.text
    task_id = str(response.json()["task_id"])
    await wait_for_task(client, task_id, {"human_review_pending"})
    return task_id


async def test_api_refuses_blocking_approval_and_accepts_fixing_edits(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=0), max_edit_rounds=0)
    async with app.client(tokens.alice) as client:
        task_id = await _parked(client)
        refused = await client.post(f"{API}/tasks/{task_id}/review", json={"decision": "approve"})
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["code"] == "roadmap_has_blocking_issues"
        assert [i["code"] for i in body["issues"]] == ["empty_module"]
        assert body["issues"][0]["target_id"] == "m1"
        still = (await client.get(f"{API}/tasks/{task_id}")).json()
        assert still["status"] == "human_review_pending"  # nothing was changed

        fixed = await client.post(
            f"{API}/tasks/{task_id}/review",
            json={
                "decision": "approve",
                "edits": [{"op": "add_concept", "module_id": "m1", "concept": {"name": "Joins"}}],
            },
        )
        assert fixed.status_code == 202, fixed.text
        done = await wait_for_task(client, task_id, {"completed"})
        assert done["progress"] == {"done": 1, "total": 1}


async def test_web_review_form_shows_the_blocking_issues(live_server: StartServer) -> None:
    app = live_server(team=TinyTeam(concepts=0), max_edit_rounds=0, auth="none")
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        task_id = await _parked(client)
        page = await client.get(f"/tasks/{task_id}")
        answer = await client.post(
            f"/tasks/{task_id}/review",
            data={"csrf_token": csrf_of(page.text), "decision": "approve"},
        )
        assert answer.status_code == 422
        assert "cannot be approved" in answer.text
        assert "has no concepts" in answer.text

        page = await client.get(f"/tasks/{task_id}", headers={"Accept-Language": "zh"})
        in_chinese = await client.post(
            f"/tasks/{task_id}/review",
            data={"csrf_token": csrf_of(page.text), "decision": "approve"},
            headers={"Accept-Language": "zh"},
        )
        assert in_chinese.status_code == 422
        assert "这个路线图目前无法批准" in in_chinese.text
        assert "中没有概念" in in_chinese.text  # the module's issue, worded in Chinese
        assert "has no concepts" not in in_chinese.text
        rejected = await client.post(
            f"/tasks/{task_id}/review",
            data={"csrf_token": csrf_of(page.text), "decision": "reject", "feedback": " "},
            headers={"Accept-Language": "zh"},
        )
        assert rejected.status_code == 422
        assert "驳回时需要填写反馈" in rejected.text


async def test_cli_approve_exits_non_zero_with_the_issues(live_server: StartServer) -> None:
    app = live_server(team=TinyTeam(concepts=0), max_edit_rounds=0, auth="none")
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        task_id = await _parked(client)
    env = {"LEARNPATH_DATABASE_URL": app.settings.resolved_database_url}
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["approve", task_id], env=env)
    assert result.exit_code != 0
    said = " ".join(result.stderr.split())  # the terminal wraps long lines
    assert "cannot be approved" in said and "has no concepts" in said
