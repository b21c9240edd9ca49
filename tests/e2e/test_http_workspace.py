"""The learner's workspace over real HTTP, on SQLite and PostgreSQL: export, schedule, map,
changes after generation, trash, rename, share links and forks."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, StartServer, Tokens, read_events, wait_for_task
from tests.e2e.test_http_api import FlakyTeam

SVG = "{http://www.w3.org/2000/svg}"


async def _roadmap(client: httpx.AsyncClient, goal: str = "Learn SQL", **extra: Any) -> str:
    response = await client.post(f"{API}/roadmaps/generate", json={"goal": goal, **extra})
    assert response.status_code == 202, response.text
    task = await wait_for_task(
        client, response.json()["task_id"], {"completed", "partial_failure", "failed"}
    )
    assert task["roadmap_id"], task
    return str(task["roadmap_id"])


async def _edit(client: httpx.AsyncClient, roadmap_id: str, *ops: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{API}/roadmaps/{roadmap_id}/edits", json={"operations": list(ops)})


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def anki_notes(data: bytes, deck: str = "Learn SQL") -> list[list[str]]:
    """The fields of every note in an .apkg (a zip holding a SQLite collection)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "collection.anki2" in archive.namelist()
        collection = archive.read("collection.anki2")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "collection.anki2"
        path.write_bytes(collection)
        connection = sqlite3.connect(path)
        try:
            rows = connection.execute("SELECT flds FROM notes ORDER BY id").fetchall()
            decks = connection.execute("SELECT decks FROM col").fetchone()[0]
        finally:
            connection.close()
    assert any(deck in entry["name"] for entry in json.loads(decks).values())
    return [row[0].split("\x1f") for row in rows]


async def test_exports_are_a_plan_the_document_and_a_deck(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=3))
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client, hours_per_week=2, weeks=4)
        edited = await _edit(
            client, rid, {"op": "update", "target_id": "c3", "prerequisites": ["c1"]}
        )
        assert edited.status_code == 200, edited.text

        md = await client.get(f"{API}/roadmaps/{rid}/export", params={"format": "md"})
        assert md.status_code == 200
        assert md.headers["content-type"] == "text/markdown; charset=utf-8"
        assert md.headers["content-disposition"] == (
            f'attachment; filename="roadmap-learn-sql-{rid[:8]}.md"'
        )
        lines = md.text.splitlines()
        headings = [line for line in lines if line.startswith("#")]
        assert headings[:3] == ["# Roadmap: Learn SQL", "## Contents", "## Schedule"]
        assert [h for h in headings if h.startswith("## Stage")] == ["## Stage 1: Stage 1"]
        assert [h for h in headings if h.startswith("### ")] == ["### Module 1"]
        # One heading per concept, at one level: the tutorial's own title is dropped.
        concept_headings = [h for h in headings if h.lstrip("#").strip().startswith("Concept")]
        assert concept_headings == ["#### Concept 1", "#### Concept 2", "#### Concept 3"]
        assert "    - [Concept 3](#concept-c3)" in lines
        assert '<a id="concept-c3"></a>' in lines
        assert "*Prerequisites: Concept 1*" in lines
        assert "| Week | Dates | Concepts | Hours |" in lines
        assert any(line.startswith("| 1 | ") and "Concept 1, Concept 2" in line for line in lines)
        assert "Unfinished" not in md.text

        exported = await client.get(f"{API}/roadmaps/{rid}/export", params={"format": "json"})
        assert exported.headers["content-type"] == "application/json"
        assert exported.headers["content-disposition"].endswith('.json"')
        document = exported.json()
        assert document["roadmap_id"] == rid and document["status"] == "completed"
        assert document["unfinished"] is None
        concept = document["stages"][0]["modules"][0]["concepts"][2]
        assert concept["prerequisites"] == ["c1"]
        assert concept["content"]["quiz"]["body"]["questions"][0]["question"] == "2+2?"
        weeks = {c["concept_id"]: c["week"] for c in document["schedule"]["concepts"]}
        assert weeks == {"c1": 1, "c2": 1, "c3": 2}

        deck = await client.get(f"{API}/roadmaps/{rid}/export", params={"format": "apkg"})
        assert deck.headers["content-type"] == "application/zip"
        assert deck.headers["content-disposition"].endswith('.apkg"')
        notes = anki_notes(deck.content)
        assert len(notes) == 3
        assert all(fields[0] == "2+2?" and fields[2] == "b) 4" for fields in notes)
        assert "Concept 3" in notes[2][4]

        wrong = await client.get(f"{API}/roadmaps/{rid}/export", params={"format": "pdf"})
        _problem(wrong, 422, "validation_error")


async def test_an_unfinished_roadmap_exports_what_exists(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=FlakyTeam("quiz:c2", "tutorial:c2", concepts=3))
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client)
        md = (await client.get(f"{API}/roadmaps/{rid}/export", params={"format": "md"})).text
        assert "> **Unfinished roadmap.** Content for some concepts could not be generated" in md
        assert "*Quiz not available: quiz for 'Concept 2': the model did not answer" in md
        document = (await client.get(f"{API}/roadmaps/{rid}/export?format=json")).json()
        assert document["status"] == "partial_failure" and document["unfinished"]
        deck = await client.get(f"{API}/roadmaps/{rid}/export", params={"format": "apkg"})
        assert len(anki_notes(deck.content)) == 2


async def test_schedule_follows_prerequisites_progress_and_edits(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=3))
    today = dt.date.today()
    start = (today - dt.timedelta(days=14)).isoformat()
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client, hours_per_week=2, weeks=4)
        url = f"{API}/roadmaps/{rid}/schedule"
        plan = (await client.get(url, params={"start": start})).json()
        assert plan["start_date"] == start and plan["hours_per_week"] == 2
        assert [(c["concept_id"], c["week"]) for c in plan["concepts"]] == [
            ("c1", 1),
            ("c2", 1),
            ("c3", 2),
        ]
        assert plan["weeks_needed"] == 2 and plan["weeks_available"] == 4 and plan["fits"]
        assert plan["pace"]["status"] == "behind" and plan["pace"]["due_hours"] == 3.0

        await client.put(f"{API}/roadmaps/{rid}/concepts/c1/progress", json={"done": True})
        plan = (await client.get(url, params={"start": start})).json()
        assert plan["pace"]["done_hours"] == 1.0 and plan["pace"]["overdue"] == ["c2", "c3"]

        # An edit moves the plan at once: c1 now needs c3, so c3 comes first.
        edited = await _edit(
            client, rid, {"op": "update", "target_id": "c1", "prerequisites": ["c3"]}
        )
        assert edited.status_code == 200, edited.text
        plan = (await client.get(url)).json()
        assert plan["start_date"] == today.isoformat()
        assert [c["concept_id"] for c in plan["concepts"]] == ["c2", "c3", "c1"]
        assert plan["pace"]["status"] == "ahead"  # one hour done, nothing due yet
        for cid in ("c2", "c3"):
            await client.put(f"{API}/roadmaps/{rid}/concepts/{cid}/progress", json={"done": True})
        assert (await client.get(url)).json()["pace"]["status"] == "finished"
        bad = await client.get(url, params={"start": "yesterday"})
        _problem(bad, 422, "validation_error")


async def test_edits_after_generation_keep_progress_and_write_new_content(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=2))
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client)
        await client.put(f"{API}/roadmaps/{rid}/concepts/c1/progress", json={"done": True})
        await client.post(f"{API}/roadmaps/{rid}/concepts/c1/quiz", json={"answers": [1]})
        await client.put(f"{API}/roadmaps/{rid}/concepts/c2/progress", json={"done": True})
        before = (await client.get(f"{API}/roadmaps/{rid}")).json()

        response = await client.post(
            f"{API}/roadmaps/{rid}/edits",
            json={
                "operations": [
                    {
                        "op": "add_concept",
                        "module_id": "m1",
                        "concept": {"name": "Window functions"},
                    },
                    {"op": "rename", "target_id": "c1", "name": "SELECT basics"},
                    {"op": "remove", "target_id": "c2"},
                ],
                "note": "more analytics",
            },
        )
        assert response.status_code == 202, response.text
        outcome = response.json()
        assert outcome["added"] == ["c3"] and outcome["removed"] == ["c2"]
        assert outcome["content_queued"] and outcome["task_id"] == rid
        task = await wait_for_task(client, rid, {"completed", "partial_failure", "failed"})
        assert task["status"] == "completed"
        assert task["progress"] == {"done": 2, "total": 2}

        after = (await client.get(f"{API}/roadmaps/{rid}")).json()
        concepts = after["stages"][0]["modules"][0]["concepts"]
        assert [(c["concept_id"], c["name"]) for c in concepts] == [
            ("c1", "SELECT basics"),
            ("c3", "Window functions"),
        ]
        old_c1 = before["stages"][0]["modules"][0]["concepts"][0]["content"]
        assert concepts[0]["content"] == old_c1  # untouched content: same versions
        assert concepts[1]["content"]["quiz"] == {"status": "completed", "version": 1}
        progress = (await client.get(f"{API}/roadmaps/{rid}/progress")).json()
        assert progress["done"] == 1 and progress["total"] == 2
        kept = {p["concept_id"]: p for p in progress["concepts"]}
        assert kept["c1"]["done"] and kept["c1"]["quiz_score"] == 1.0
        assert "c2" not in kept  # the removed concept's progress went with it

        # The content was written by a job of the task, reported like any other.
        events = await read_events(client, rid)
        edited_at = next(i for i, e in enumerate(events) if e["type"] == "roadmap_edited")
        later = [(e["type"], e["data"].get("concept_id")) for e in events[edited_at:]]
        assert ("concept_completed", "c3") in later and later[-1][0] == "task_completed"
        steps = (await client.get(f"{API}/tasks/{rid}/trace")).json()["steps"]
        assert [s["step"] for s in steps].count("content_generation") == 2

        history = (await client.get(f"{API}/roadmaps/{rid}/edits")).json()["edits"]
        mine = [h for h in history if h["source"] == "learner"]
        assert len(mine) == 1
        assert mine[0]["note"] == "more analytics"
        assert [op["op"] for op in mine[0]["operations"]] == ["add_concept", "rename", "remove"]
        me = (await client.get(f"{API}/tasks/{rid}")).json()
        assert mine[0]["user_id"] and mine[0]["created_at"] >= me["created_at"]


async def test_edits_that_break_the_roadmap_are_refused_and_change_nothing(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=2))
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client)
        before = (await client.get(f"{API}/roadmaps/{rid}")).json()
        cycle = await _edit(
            client,
            rid,
            {"op": "update", "target_id": "c1", "prerequisites": ["c2"]},
            {"op": "update", "target_id": "c2", "prerequisites": ["c1"]},
        )
        body = _problem(cycle, 422, "edit_breaks_roadmap")
        assert [i["code"] for i in body["issues"]] == ["prerequisite_cycle"]
        empty = await _edit(
            client, rid, {"op": "remove", "target_id": "c1"}, {"op": "remove", "target_id": "c2"}
        )
        assert [i["code"] for i in _problem(empty, 422, "edit_breaks_roadmap")["issues"]] == [
            "empty_module"
        ]
        unknown = await _edit(client, rid, {"op": "rename", "target_id": "c99", "name": "x"})
        assert "c99" in _problem(unknown, 422, "invalid_edits")["detail"]
        malformed = await _edit(client, rid, {"op": "explode", "target_id": "c1"})
        _problem(malformed, 422, "validation_error")
        nothing = await client.post(f"{API}/roadmaps/{rid}/edits", json={"operations": []})
        _problem(nothing, 422, "validation_error")
        assert (await client.get(f"{API}/roadmaps/{rid}")).json() == before
        history = (await client.get(f"{API}/roadmaps/{rid}/edits")).json()["edits"]
        assert [h for h in history if h["source"] == "learner"] == []


async def test_edits_and_rename_wait_for_the_running_task(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=2))
    async with app.client(tokens.alice) as client:
        response = await client.post(
            f"{API}/roadmaps/generate", json={"goal": "Learn SQL", "review": True}
        )
        rid = response.json()["task_id"]
        await wait_for_task(client, rid, {"human_review_pending"})
        busy = await _edit(client, rid, {"op": "rename", "target_id": "c1", "name": "x"})
        _problem(busy, 409, "task_busy")
        renamed = await client.patch(f"{API}/roadmaps/{rid}", json={"title": "Mine"})
        _problem(renamed, 409, "task_busy")
        await client.post(f"{API}/tasks/{rid}/cancel")
        canceled = await _edit(client, rid, {"op": "rename", "target_id": "c1", "name": "x"})
        _problem(canceled, 409, "roadmap_not_editable")


async def test_trash_restore_and_rename(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server(team=TinyTeam(concepts=1))
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client)
        keep = await _roadmap(client, goal="Learn Go")
        renamed = await client.patch(f"{API}/roadmaps/{rid}", json={"title": "  My SQL plan "})
        assert renamed.status_code == 200 and renamed.json()["title"] == "My SQL plan"
        assert (await client.get(f"{API}/roadmaps/{rid}")).json()["title"] == "My SQL plan"
        _problem(
            await client.patch(f"{API}/roadmaps/{rid}", json={"title": ""}), 422, "validation_error"
        )
        history = (await client.get(f"{API}/roadmaps/{rid}/edits")).json()["edits"]
        assert history[-1]["operations"] == [{"op": "rename_roadmap", "title": "My SQL plan"}]

        trashed = await client.delete(f"{API}/roadmaps/{rid}")
        assert trashed.status_code == 200 and trashed.json()["deleted_at"]
        listed = [r["roadmap_id"] for r in (await client.get(f"{API}/roadmaps")).json()["items"]]
        assert listed == [keep]
        tasks = [t["task_id"] for t in (await client.get(f"{API}/tasks")).json()["items"]]
        assert rid not in tasks and keep in tasks
        trash = (await client.get(f"{API}/trash")).json()["items"]
        assert [r["roadmap_id"] for r in trash] == [rid]
        for path in ("", "/schedule", "/export", "/map.svg", "/concepts/c1"):
            _problem(await client.get(f"{API}/roadmaps/{rid}{path}"), 409, "roadmap_in_trash")
        assert (await client.delete(f"{API}/roadmaps/{rid}")).status_code == 200  # again: no-op

        restored = await client.post(f"{API}/roadmaps/{rid}/restore")
        assert restored.status_code == 200 and restored.json()["deleted_at"] is None
        assert (await client.get(f"{API}/roadmaps/{rid}")).status_code == 200
        assert (await client.get(f"{API}/trash")).json()["items"] == []
        listed = (await client.get(f"{API}/roadmaps")).json()["items"]
        assert {r["roadmap_id"] for r in listed} == {rid, keep}


async def test_my_roadmaps_show_my_own_progress(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server(team=TinyTeam(concepts=2))
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client)
        await client.post(f"{API}/roadmaps/{rid}/concepts/c1/quiz", json={"answers": [1]})
        await client.post(f"{API}/roadmaps/{rid}/concepts/c2/quiz", json={"answers": [0]})
        await client.put(f"{API}/roadmaps/{rid}/concepts/c2/progress", json={"done": True})
        item = (await client.get(f"{API}/roadmaps")).json()["items"][0]
        assert item["learner"]["done"] == 1 and item["learner"]["total"] == 2
        assert item["learner"]["quiz_average"] == 0.5
        assert item["learner"]["pace"]["status"] == "ahead"
        assert item["shared"] is False and item["deleted_at"] is None


async def test_share_links_are_read_only_and_forks_are_private(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=2))
    async with (
        app.client(tokens.alice) as alice,
        app.client(tokens.bob) as bob,
        app.client() as anyone,
    ):
        rid = await _roadmap(alice, background="my secret employer", hours_per_week=3)
        await alice.put(f"{API}/roadmaps/{rid}/concepts/c1/progress", json={"done": True})
        created = await alice.post(f"{API}/roadmaps/{rid}/share")
        assert created.status_code == 201, created.text
        link = created.json()
        token = link["token"]
        assert link["url"] == f"{app.url}/shared/{token}"

        shared = await anyone.get(f"{API}/shared/{token}")
        assert shared.status_code == 200
        document = shared.json()
        assert document["title"] == "Roadmap: Learn SQL"
        assert not {"roadmap_id", "task_id", "created_at", "updated_at"} & set(document)
        concept = document["stages"][0]["modules"][0]["concepts"][0]
        assert concept["content"]["tutorial"]["body"]["markdown"] == "# Concept 1\n"
        assert "secret" not in shared.text and "done" not in shared.text
        assert (await alice.get(f"{API}/roadmaps")).json()["items"][0]["shared"] is True

        # The link opens that roadmap and nothing else.
        as_bearer = httpx.Headers({"Authorization": f"Bearer {token}"})
        _problem(
            await anyone.get(f"{API}/roadmaps/{rid}", headers=as_bearer), 401, "unauthenticated"
        )
        _problem(await anyone.get(f"{API}/tasks/{rid}"), 401, "unauthenticated")
        _problem(await anyone.post(f"{API}/shared/{token}/fork"), 401, "unauthenticated")
        _problem(await anyone.get(f"{API}/shared/{token}x"), 404, "not_found")
        _problem(await bob.get(f"{API}/roadmaps/{rid}"), 404, "not_found")
        assert (await anyone.post(f"{API}/shared/{token}")).status_code == 405

        fork = await bob.post(f"{API}/shared/{token}/fork", json={"hours_per_week": 5})
        assert fork.status_code == 201, fork.text
        copy = fork.json()
        assert copy["roadmap_id"] != rid and copy["status"] == "completed"
        mine = (await bob.get(f"{API}/roadmaps/{copy['roadmap_id']}")).json()
        original = (await alice.get(f"{API}/roadmaps/{rid}")).json()
        assert mine["stages"] == original["stages"]
        assert (await bob.get(f"{API}/roadmaps/{copy['roadmap_id']}/progress")).json()["done"] == 0
        task = (await bob.get(f"{API}/tasks/{copy['task_id']}")).json()
        assert task["request"]["hours_per_week"] == 5 and "secret" not in json.dumps(task)
        _problem(await alice.get(f"{API}/roadmaps/{copy['roadmap_id']}"), 404, "not_found")
        # The fork is bob's own: he can change it; alice's roadmap stays as it was.
        changed = await _edit(
            bob, copy["roadmap_id"], {"op": "rename", "target_id": "c1", "name": "Mine"}
        )
        assert changed.status_code == 200, changed.text
        assert (await alice.get(f"{API}/roadmaps/{rid}")).json() == original
        again = await bob.post(f"{API}/shared/{token}/fork", headers={"Idempotency-Key": "k1"})
        repeat = await bob.post(f"{API}/shared/{token}/fork", headers={"Idempotency-Key": "k1"})
        assert (again.status_code, repeat.status_code) == (201, 200)
        assert again.json()["roadmap_id"] == repeat.json()["roadmap_id"]

        # A new link revokes the old one; revoking ends the new one; trash hides it.
        newer = (await alice.post(f"{API}/roadmaps/{rid}/share")).json()["token"]
        _problem(await anyone.get(f"{API}/shared/{token}"), 404, "not_found")
        assert (await anyone.get(f"{API}/shared/{newer}")).status_code == 200
        await alice.delete(f"{API}/roadmaps/{rid}")
        _problem(await anyone.get(f"{API}/shared/{newer}"), 404, "not_found")
        await alice.post(f"{API}/roadmaps/{rid}/restore")
        assert (await anyone.get(f"{API}/shared/{newer}")).status_code == 200
        assert (await alice.delete(f"{API}/roadmaps/{rid}/share")).status_code == 204
        _problem(await anyone.get(f"{API}/shared/{newer}"), 404, "not_found")
        _problem(await bob.post(f"{API}/shared/{newer}/fork"), 404, "not_found")


async def test_map_is_escaped_svg_with_links_arrows_and_done_marks(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=3))
    hostile = '<b>"x" & </text><script>'
    async with app.client(tokens.alice) as client:
        rid = await _roadmap(client)
        edited = await _edit(
            client,
            rid,
            {"op": "rename", "target_id": "c2", "name": hostile},
            {"op": "update", "target_id": "c3", "prerequisites": ["c1", "c2"]},
        )
        assert edited.status_code == 200, edited.text
        await client.put(f"{API}/roadmaps/{rid}/concepts/c1/progress", json={"done": True})
        response = await client.get(f"{API}/roadmaps/{rid}/map.svg")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert "<script" not in response.text
        root = ElementTree.fromstring(response.text)
        assert root.tag == f"{SVG}svg"
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        assert any(hostile in text for text in texts)
        links = [a.get("href") for a in root.iter(f"{SVG}a")]
        assert links == [f"/roadmaps/{rid}?concept=c{n}#concept-c{n}" for n in (1, 2, 3)]
        arrows = [p for p in root.iter(f"{SVG}path") if p.get("class") == "lp-map-arrow"]
        assert len(arrows) == 2
        done = [r for r in root.iter(f"{SVG}rect") if "lp-map-done" in (r.get("class") or "")]
        assert len(done) == 1
        assert any(text.startswith("✓ Concept 1") for text in texts)


async def test_new_concepts_are_written_by_a_real_model_over_http(
    live_server: StartServer, tokens: Tokens, make_settings: Any
) -> None:
    """With a model configured (a loopback OpenAI-compatible server), an edit's new concept
    gets its content from that model, through the same job as any content."""
    from learnpath.agents import build_team
    from learnpath.testing import FakeLLMServer

    with FakeLLMServer() as model:
        settings = make_settings(model=model.model_setting, model_timeout_seconds=10.0)
        app = live_server(team=build_team(settings), model=model.model_setting)
        async with app.client(tokens.alice) as client:
            rid = await _roadmap(client, goal="Become a backend engineer", weeks=26)
            roadmap = (await client.get(f"{API}/roadmaps/{rid}")).json()
            assert roadmap["generated_by"] != "offline" and roadmap["offline"] is None
            module_id = roadmap["stages"][0]["modules"][0]["module_id"]
            before = model.requests_by_agent.get("tutorial", 0)
            response = await _edit(
                client,
                rid,
                {"op": "add_concept", "module_id": module_id, "concept": {"name": "gRPC"}},
            )
            assert response.status_code == 202, response.text
            added = response.json()["added"][0]
            task = await wait_for_task(client, rid, {"completed", "partial_failure", "failed"})
            assert task["status"] == "completed", task
            assert model.requests_by_agent["tutorial"] == before + 1
            concept = (await client.get(f"{API}/roadmaps/{rid}/concepts/{added}")).json()
            tutorial = concept["content"]["tutorial"]
            assert tutorial["status"] == "completed" and tutorial["generated_by"] != "offline"
            md = (await client.get(f"{API}/roadmaps/{rid}/export?format=md")).text
            assert "Offline sample content" not in md and "#### gRPC" in md
