"""Review over HTTP while following the task's events live, with reconnects."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, StartServer, Tokens, read_events, wait_for_task

ENDING = {"review_required", "task_completed", "task_failed", "task_canceled"}


async def _chunked_reader(client: httpx.AsyncClient, task_id: str) -> list[dict[str, Any]]:
    """Read two events per connection, reconnecting with Last-Event-ID, until the task ends."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] not in {"task_completed", "task_failed", "task_canceled"}:
        last = seen[-1]["seq"] if seen else None
        seen.extend(await read_events(client, task_id, last_event_id=last, stop_after=2))
    return seen


async def test_review_over_http_with_live_events_and_reconnects(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=3, delay=0.02))
    async with app.client(tokens.alice) as client, app.client(tokens.alice) as second:
        response = await client.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn Rust", "review": True}
        )
        assert response.status_code == 202, response.text
        task_id = response.json()["task_id"]
        chunked = asyncio.create_task(_chunked_reader(second, task_id))

        first = await read_events(client, task_id)
        types = [e["type"] for e in first]
        assert (types[0], types[-1]) == ("task_created", "review_required"), types
        started = [e["data"]["step"] for e in first if e["type"] == "step_started"]
        assert started[:3] == ["intent_analysis", "curriculum_design", "structure_validation"]
        assert all(e["sse_id"] == e["seq"] and e["sse_event"] == e["type"] for e in first)
        task = (await client.get(f"{API}/tasks/{task_id}")).json()
        assert (task["status"], task["current_step"]) == ("human_review_pending", "human_review")

        reject = await client.post(
            f"{API}/tasks/{task_id}/review",
            json={"decision": "reject", "feedback": "Fewer definitions, more practice"},
        )
        assert reject.status_code == 202, reject.text
        again = await read_events(client, task_id, last_event_id=first[-1]["seq"])
        assert again[0]["type"] == "review_decided"
        assert again[-1]["type"] == "review_required"
        assert "roadmap_edit" in [e["data"].get("step") for e in again]

        approve = await client.post(f"{API}/tasks/{task_id}/review", json={"decision": "approve"})
        assert approve.status_code == 202, approve.text
        twice = await client.post(f"{API}/tasks/{task_id}/review", json={"decision": "approve"})
        assert twice.status_code in (409,), twice.text
        assert twice.json()["code"] == "not_waiting_for_review"

        rest = await read_events(client, task_id, last_event_id=again[-1]["seq"])
        assert rest[-1]["type"] == "task_completed"
        concepts = [e for e in rest if e["type"] == "concept_completed"]
        assert [e["data"]["done"] for e in concepts] == [1, 2, 3]
        assert all(e["data"]["total"] == 3 for e in concepts)

        everything = first + again + rest
        assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
        from_reconnects = await asyncio.wait_for(chunked, 30)
        assert [e["seq"] for e in from_reconnects] == [e["seq"] for e in everything]
        assert [e["type"] for e in from_reconnects] == [e["type"] for e in everything]

        done = await wait_for_task(client, task_id, {"completed"})
        assert done["progress"] == {"done": 3, "total": 3}
        replay = await read_events(client, task_id, after=0)
        assert [e["seq"] for e in replay] == [e["seq"] for e in everything]
        assert await read_events(client, task_id, last_event_id=everything[-1]["seq"]) == []


async def test_stream_sends_keepalives_while_waiting_for_a_decision(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(sse_keepalive_seconds=0.2)
    async with app.client(tokens.alice) as client:
        task_id = (
            await client.post(f"{API}/roadmaps/generate", json={"goal": "Learn Go", "review": True})
        ).json()["task_id"]
        parked = await read_events(client, task_id)
        assert parked[-1]["type"] == "review_required"
        comments = 0
        async with (
            asyncio.timeout(10),
            client.stream(
                "GET",
                f"{API}/tasks/{task_id}/events",
                headers={"Last-Event-ID": str(parked[-1]["seq"])},
            ) as stream,
        ):
            async for line in stream.aiter_lines():
                if line.startswith(": keep-alive"):
                    comments += 1
                    if comments == 2:
                        break
                assert not line.startswith("id:"), line
        assert comments == 2
