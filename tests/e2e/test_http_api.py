"""The API's behaviour over real HTTP: errors, limits, paging, state conflicts, content."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from learnpath.llm.errors import ModelCallError
from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, TERMINAL, StartServer, Tokens, wait_for_task


class FlakyTeam(TinyTeam):
    """Fails the calls named in ``fail`` (``name`` or ``name:concept_id``) once each."""

    def __init__(self, *fail: str, concepts: int = 2) -> None:
        super().__init__(concepts=concepts, hook=self._maybe_fail)
        self.fail = set(fail)

    async def _maybe_fail(self, name: str, subject: object) -> None:
        concept = getattr(getattr(subject, "concept", None), "id", None)
        for key in (name, f"{name}:{concept}"):
            if key in self.fail:
                self.fail.discard(key)
                raise ModelCallError("model_unavailable", "the model did not answer; retry later")


class OfflineLabelTeam(TinyTeam):
    @property
    def generated_by(self) -> str:
        return "offline"


async def _submit(client: object, goal: str = "Learn SQL", **extra: object) -> str:
    response = await client.post(f"{API}/roadmaps/generate", json={"goal": goal, **extra})  # type: ignore[attr-defined]
    assert response.status_code == 202, response.text
    return str(response.json()["task_id"])


def _assert_problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert (body["status"], body["code"]) == (status, code), body
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body


async def test_errors_are_problem_documents(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client:
        malformed = await client.post(
            f"{API}/roadmaps/generate",
            content=b'{"goal": "Learn',
            headers={"content-type": "application/json"},
        )
        body = _assert_problem(malformed, 422, "validation_error")
        assert body["errors"]
        wrong = await client.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn SQL", "hours_per_week": "lots"}
        )
        body = _assert_problem(wrong, 422, "validation_error")
        assert ["body", "hours_per_week"] in [e["loc"] for e in body["errors"]]  # type: ignore[attr-defined]
        extra = await client.post(f"{API}/roadmaps/generate", json={"goal": "x" * 5, "user": "b"})
        _assert_problem(extra, 422, "validation_error")
        nul = await client.post(f"{API}/roadmaps/generate", json={"goal": "Learn \x00 SQL"})
        _assert_problem(nul, 422, "validation_error")
        sql = await client.post(
            f"{API}/roadmaps/generate", json={"goal": "Robert'); DROP TABLE tasks;-- 学习 🚀"}
        )
        assert sql.status_code == 202
        _assert_problem(await client.get(f"{API}/no-such-route"), 404, "not_found")
        _assert_problem(await client.delete(f"{API}/tasks"), 405, "method_not_allowed")
        _assert_problem(await client.get(f"{API}/tasks/not-a-task"), 404, "not_found")
        _assert_problem(
            await client.get(f"{API}/tasks", params={"cursor": "garbage"}), 422, "invalid_cursor"
        )
        _assert_problem(
            await client.get(f"{API}/tasks", params={"limit": 0}), 422, "validation_error"
        )


async def test_body_size_limit_counts_the_bytes_actually_sent(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(max_body_bytes=2048)
    big = b'{"goal": "' + b"a" * 4000 + b'"}'
    async with app.client(tokens.alice) as client:
        declared = await client.post(
            f"{API}/roadmaps/generate", content=big, headers={"content-type": "application/json"}
        )
        _assert_problem(declared, 413, "payload_too_large")

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(big), 512):
                yield big[start : start + 512]

        chunked = await client.post(
            f"{API}/roadmaps/generate",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert "content-length" not in chunked.request.headers
        _assert_problem(chunked, 413, "payload_too_large")
        small = await client.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"})
        assert small.status_code == 202


async def test_pagination_cursors_and_status_filter(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client, app.client(tokens.bob) as bob:
        await _submit(bob, "Bob's own goal")
        ids = [await _submit(client, f"Goal number {n}") for n in range(5)]
        for task_id in ids:
            await wait_for_task(client, task_id, {"completed"})
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, object] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(f"{API}/tasks", params=params)).json()
            pages += 1
            seen += [t["task_id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == list(reversed(ids))
        task = (await client.get(f"{API}/tasks", params={"limit": 1})).json()["items"][0]
        assert {"task_id", "status", "current_step", "roadmap_id", "error", "progress"} <= set(task)
        assert task["progress"] == {"done": 2, "total": 2}
        filtered = (await client.get(f"{API}/tasks", params={"status": "pending"})).json()
        assert filtered == {"items": [], "next_cursor": None}

        roadmaps: list[dict[str, str]] = []
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{API}/roadmaps", params=params)).json()
            roadmaps += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        # Newest roadmap first; roadmaps of concurrent tasks are made in any order.
        assert sorted(r["roadmap_id"] for r in roadmaps) == sorted(ids)
        stamps = [dt.datetime.fromisoformat(r["created_at"]) for r in roadmaps]
        assert stamps == sorted(stamps, reverse=True)


async def test_idempotency_key_reused_for_another_body_is_409(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server()
    async with app.client(tokens.alice) as alice, app.client(tokens.bob) as bob:
        headers = {"Idempotency-Key": "same-key"}
        first = await alice.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn SQL"}, headers=headers
        )
        again = await alice.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn SQL"}, headers=headers
        )
        assert (first.status_code, again.status_code) == (202, 200)
        assert first.json()["task_id"] == again.json()["task_id"]
        other = await alice.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn Go"}, headers=headers
        )
        _assert_problem(other, 409, "idempotency_key_reused")
        bobs = await bob.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn SQL"}, headers=headers
        )
        assert bobs.status_code == 202
        assert bobs.json()["task_id"] != first.json()["task_id"]


async def test_failed_task_retry_and_conflicts(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server(team=FlakyTeam("intent"))
    async with app.client(tokens.alice) as client:
        task_id = await _submit(client)
        failed = await wait_for_task(client, task_id, {"failed"})
        assert failed["error"]["step"] == "intent_analysis"
        assert failed["error"]["code"] == "model_unavailable"
        _assert_problem(await client.post(f"{API}/tasks/{task_id}/cancel"), 409, "task_finished")
        _assert_problem(
            await client.post(f"{API}/tasks/{task_id}/review", json={"decision": "approve"}),
            409,
            "not_waiting_for_review",
        )
        retried = await client.post(f"{API}/tasks/{task_id}/retry")
        assert retried.status_code == 202
        assert retried.json()["error"] is None
        second = await client.post(f"{API}/tasks/{task_id}/retry")
        assert second.status_code in (409,)
        assert second.json()["code"] in ("not_retryable",)
        done = await wait_for_task(client, task_id, {"completed"})
        assert done["error"] is None
        trace = (await client.get(f"{API}/tasks/{task_id}/trace")).json()
        intent_runs = [s for s in trace["steps"] if s["step"] == "intent_analysis"]
        assert intent_runs[0]["status"] == "failed"
        assert intent_runs[0]["error"]["code"] == "model_unavailable"
        assert intent_runs[-1]["status"] == "completed"


async def test_partial_failure_is_retried_item_by_item(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=FlakyTeam("quiz:c2"))
    async with app.client(tokens.alice) as client:
        task_id = await _submit(client)
        partial = await wait_for_task(client, task_id, {"partial_failure"})
        assert partial["progress"] == {"done": 1, "total": 2}
        assert partial["error"]["code"] == "content_failed"
        roadmap = (await client.get(f"{API}/roadmaps/{task_id}")).json()
        concepts = roadmap["stages"][0]["modules"][0]["concepts"]
        assert concepts[1]["content"]["quiz"] == {"status": "failed", "version": 1}
        concept = (await client.get(f"{API}/roadmaps/{task_id}/concepts/c2")).json()
        assert concept["content"]["quiz"]["error"]["code"] == "model_unavailable"
        assert concept["content"]["tutorial"]["body"]["title"] == "Concept 2"
        assert (await client.post(f"{API}/tasks/{task_id}/retry")).status_code == 202
        done = await wait_for_task(client, task_id, {"completed"})
        assert done["progress"] == {"done": 2, "total": 2}


async def test_review_cancel_and_invalid_edits(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client:
        task_id = await _submit(client, review=True)
        await wait_for_task(client, task_id, {"human_review_pending"})
        bad = await client.post(
            f"{API}/tasks/{task_id}/review",
            json={"decision": "approve", "edits": [{"op": "remove", "target_id": "nope"}]},
        )
        _assert_problem(bad, 422, "invalid_edits")
        no_feedback = await client.post(
            f"{API}/tasks/{task_id}/review", json={"decision": "reject"}
        )
        _assert_problem(no_feedback, 422, "validation_error")
        canceled = await client.post(f"{API}/tasks/{task_id}/cancel")
        assert canceled.status_code == 202
        assert canceled.json()["status"] == "canceled"
        _assert_problem(await client.post(f"{API}/tasks/{task_id}/cancel"), 409, "task_finished")
        _assert_problem(
            await client.post(f"{API}/tasks/{task_id}/review", json={"decision": "approve"}),
            409,
            "not_waiting_for_review",
        )
        _assert_problem(await client.post(f"{API}/tasks/{task_id}/retry"), 409, "not_retryable")

        edited = await _submit(client, "Learn Rust", review=True)
        await wait_for_task(client, edited, {"human_review_pending"})
        approve = await client.post(
            f"{API}/tasks/{edited}/review",
            json={
                "decision": "approve",
                "edits": [{"op": "rename", "target_id": "c1", "name": "Ownership"}],
            },
        )
        assert approve.status_code == 202, approve.text
        await wait_for_task(client, edited, {"completed"})
        roadmap = (await client.get(f"{API}/roadmaps/{edited}")).json()
        assert roadmap["stages"][0]["modules"][0]["concepts"][0]["name"] == "Ownership"


async def test_regenerate_makes_a_new_version(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client:
        task_id = await _submit(client)
        await wait_for_task(client, task_id, {"completed"})
        response = await client.post(
            f"{API}/roadmaps/{task_id}/concepts/c1/regenerate",
            json={"instructions": "More examples"},
        )
        assert response.status_code == 202, response.text
        assert response.json()["version"] == 2
        again = await client.post(f"{API}/roadmaps/{task_id}/concepts/c1/regenerate", json={})
        if again.status_code != 202:
            _assert_problem(again, 409, "task_busy")
        missing = await client.post(f"{API}/roadmaps/{task_id}/concepts/zz/regenerate", json={})
        assert missing.status_code in (404, 409)
        await wait_for_task(client, task_id, TERMINAL)
        await wait_for_task(client, task_id, {"completed"})
        concept = (await client.get(f"{API}/roadmaps/{task_id}/concepts/c1")).json()
        assert concept["content"]["tutorial"]["version"] >= 2
        assert concept["content"]["tutorial"]["status"] == "completed"
        roadmap = (await client.get(f"{API}/roadmaps/{task_id}")).json()
        c1, c2 = roadmap["stages"][0]["modules"][0]["concepts"]
        assert c1["content"]["quiz"]["version"] >= 2
        assert c2["content"]["quiz"]["version"] == 1


async def test_progress_and_quiz_scored_on_the_server(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client:
        task_id = await _submit(client)
        await wait_for_task(client, task_id, {"completed"})
        base = f"{API}/roadmaps/{task_id}"
        done = await client.put(f"{base}/concepts/c1/progress", json={"done": True})
        assert done.status_code == 200
        assert done.json()["done"] is True
        right = (await client.post(f"{base}/concepts/c2/quiz", json={"answers": [1]})).json()
        assert right["score"] == 1.0
        assert right["correct"] == 1
        assert right["total"] == 1
        assert right["results"][0] == {
            "index": 0,
            "chosen": 1,
            "answer": 1,
            "correct": True,
            "explanation": "",
        }
        wrong = (await client.post(f"{base}/concepts/c2/quiz", json={"answers": [0]})).json()
        assert wrong["score"] == 0.0
        skipped = (await client.post(f"{base}/concepts/c2/quiz", json={"answers": [None]})).json()
        assert skipped["score"] == 0.0
        _assert_problem(
            await client.post(f"{base}/concepts/c2/quiz", json={"answers": [1, 1]}),
            422,
            "validation_error",
        )
        _assert_problem(
            await client.put(f"{base}/concepts/nope/progress", json={"done": True}),
            404,
            "not_found",
        )
        progress = (await client.get(f"{base}/progress")).json()
        assert (progress["done"], progress["total"]) == (1, 2)
        by_id = {p["concept_id"]: p for p in progress["concepts"]}
        assert by_id["c1"]["done"] is True
        assert by_id["c2"]["quiz_score"] == 0.0
        assert by_id["c2"]["quiz_answers"] == [None]


async def test_offline_roadmaps_carry_a_banner(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server(team=OfflineLabelTeam())
    async with app.client(tokens.alice) as client:
        task_id = await _submit(client)
        await wait_for_task(client, task_id, {"completed"})
        roadmap = (await client.get(f"{API}/roadmaps/{task_id}")).json()
        assert roadmap["generated_by"] == "offline"
        assert "LEARNPATH_MODEL" in roadmap["offline"]
        concept = (await client.get(f"{API}/roadmaps/{task_id}/concepts/c1")).json()
        assert "LEARNPATH_MODEL" in concept["offline"]


async def test_health_readiness_metrics_and_diagnostics(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client, app.client(tokens.admin) as admin:
        task_id = await _submit(client)
        await wait_for_task(client, task_id, {"completed"})
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = (await client.get("/readyz")).json()
        assert ready == {"status": "ready", "checks": {"database": "ok", "broker": "skipped"}}
        metrics = await client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert 'learnpath_tasks{status="completed"} 1.0' in text
        assert 'learnpath_jobs{state="done"}' in text
        assert 'learnpath_step_duration_seconds_count{step="intent_analysis"}' in text
        assert 'route="/api/v1/tasks/{task_id}",status="200"' in text
        assert "learnpath_model_tokens_total" in text
        diagnostics = (await admin.get(f"{API}/admin/diagnostics")).json()
        assert diagnostics["tasks_by_status"] == {"completed": 1}
        assert diagnostics["expired_leases"] == 0
        schema = (await client.get("/openapi.json")).json()
        assert "/api/v1/tasks/{task_id}/events" in schema["paths"]
        assert "Problem" in schema["components"]["schemas"]


async def test_auth_none_makes_every_request_the_local_user(live_server: StartServer) -> None:
    app = live_server(auth="none")
    async with app.client() as client:
        task_id = await _submit(client)
        await wait_for_task(client, task_id, {"completed"})
        page = (await client.get(f"{API}/tasks")).json()
        assert [t["task_id"] for t in page["items"]] == [task_id]
        admin = await client.get(f"{API}/admin/diagnostics")
        assert admin.status_code == 200
