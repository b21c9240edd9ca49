"""The tutor, notes, reviews and the calendar feed over HTTP, on a real server and both databases.

The tutor runs on the offline model, and on a real OpenAI-compatible HTTP server on loopback
(``FakeLLMServer``) that streams its answer a few words at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar

from learnpath.testing import FakeLLMServer, Reply
from learnpath.testing.teams import StudyTeam
from tests.e2e.conftest import API, LiveApp, StartServer, Tokens, wait_for_task


@pytest.fixture
def fake_model() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


async def roadmap_of(app: LiveApp, client: httpx.AsyncClient) -> str:
    submitted = await client.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"})
    task = await wait_for_task(client, submitted.json()["task_id"], {"completed"})
    return str(task["roadmap_id"])


async def read_sse(
    response: httpx.Response, *, stop_after_deltas: int | None = None
) -> list[tuple[str, dict[str, Any], str | None, float]]:
    """``(event, data, id, seconds since the start)`` for each event of a stream."""
    events: list[tuple[str, dict[str, Any], str | None, float]] = []
    fields: dict[str, str] = {}
    started = time.monotonic()
    async for line in response.aiter_lines():
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
            continue
        if "data" in fields:
            events.append(
                (
                    fields["event"],
                    json.loads(fields["data"]),
                    fields.get("id"),
                    time.monotonic() - started,
                )
            )
            deltas = sum(1 for e in events if e[0] == "delta")
            if stop_after_deltas is not None and deltas >= stop_after_deltas:
                break
        fields = {}
    return events


async def ask(
    client: httpx.AsyncClient, roadmap: str, question: str, concept: str = "c1", **kwargs: Any
) -> list[tuple[str, dict[str, Any], str | None, float]]:
    async with client.stream(
        "POST", f"{API}/roadmaps/{roadmap}/concepts/{concept}/chat", json={"question": question}
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        return await read_sse(response, **kwargs)


async def wait_for_answer(
    client: httpx.AsyncClient, roadmap: str, concept: str = "c1"
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        messages = (await client.get(f"{API}/roadmaps/{roadmap}/concepts/{concept}/chat")).json()[
            "messages"
        ]
        if messages[-1]["status"] != "streaming" or time.monotonic() > deadline:
            return dict(messages[-1])
        await asyncio.sleep(0.05)


async def test_offline_tutor_streams_a_grounded_labelled_answer_and_keeps_the_conversation(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2))
    async with app.client(tokens.alice) as alice:
        roadmap = await roadmap_of(app, alice)
        events = await ask(alice, roadmap, "Why does Concept 1 matter?")
        kinds = [e[0] for e in events]
        assert kinds[:2] == ["question", "answer"] and kinds[-1] == "done"
        deltas = [e for e in events if e[0] == "delta"]
        assert len(deltas) >= 1
        text = "".join(d[1]["text"] for d in deltas)
        assert int(deltas[-1][2] or 0) == len(text)  # the event id is the length so far
        done = events[-1][1]
        assert done["status"] == "completed" and done["text"] == text
        assert done["offline"] is True and done["generated_by"] == "offline"
        assert text.startswith("**Offline tutor (sample answer)**")
        assert "“Why it matters” covers this [3]" in text  # the best matching section
        cited = {c["number"]: c for c in done["citations"]}
        assert cited[3]["kind"] == "tutorial" and cited[3]["title"] == "Why it matters"
        assert (
            cited[1]["kind"] == "roadmap" and cited[1]["title"] == "Stage 1 › Module 1 › Concept 1"
        )
        resource = next(c for c in done["citations"] if c["kind"] == "resource")
        assert resource["url"] == "https://example.org/c1"

        again = await ask(alice, roadmap, "Give me a worked example")
        assert "Worked example" in again[-1][1]["text"]  # deterministic, chosen by the question
        conversation = (await alice.get(f"{API}/roadmaps/{roadmap}/concepts/c1/chat")).json()
        assert [(m["role"], m["status"]) for m in conversation["messages"]] == [
            ("question", "completed"),
            ("answer", "completed"),
            ("question", "completed"),
            ("answer", "completed"),
        ]
        assert conversation["messages"][1]["text"] == text

        # A finished answer replays from any offset.
        answer_id = done["message_id"]
        async with alice.stream(
            "GET",
            f"{API}/roadmaps/{roadmap}/concepts/c1/chat/{answer_id}/events",
            headers={"Last-Event-ID": "10"},
        ) as response:
            replay = await read_sse(response)
        assert "".join(e[1]["text"] for e in replay if e[0] == "delta") == text[10:]

        # 202 with the stored messages instead of a stream.
        accepted = await alice.post(
            f"{API}/roadmaps/{roadmap}/concepts/c2/chat?stream=false",
            json={"question": "What next?"},
        )
        assert accepted.status_code == 202
        body = accepted.json()
        assert body["answer"]["status"] == "streaming" and body["events_url"].endswith("/events")
        assert (await wait_for_answer(alice, roadmap, "c2"))["status"] == "completed"

        bad = await alice.post(f"{API}/roadmaps/{roadmap}/concepts/c1/chat", json={"question": ""})
        assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
        unknown = await alice.post(
            f"{API}/roadmaps/{roadmap}/concepts/nope/chat", json={"question": "hi"}
        )
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


async def test_a_real_model_answer_streams_and_survives_the_client_leaving(
    live_server: StartServer, tokens: Tokens, fake_model: FakeLLMServer
) -> None:
    fake_model.chunk_delay = 0.05
    app = live_server(team=StudyTeam(concepts=1), model=fake_model.model_setting)
    async with app.client(tokens.alice) as alice:
        roadmap = await roadmap_of(app, alice)
        # Read a few pieces, then hang up: the answer goes on and is stored in full.
        events = await ask(alice, roadmap, "How do I practise this?", stop_after_deltas=3)
        deltas = [e for e in events if e[0] == "delta"]
        assert len(deltas) == 3 and deltas[2][3] > deltas[0][3]  # pieces arrive over time
        partial = "".join(d[1]["text"] for d in deltas)
        # While it is still being written, another question waits its turn.
        busy = await alice.post(
            f"{API}/roadmaps/{roadmap}/concepts/c1/chat", json={"question": "and?"}
        )
        assert busy.status_code == 409 and busy.json()["code"] == "reply_in_progress"

        final = await wait_for_answer(alice, roadmap)
        assert final["status"] == "completed" and final["text"].startswith(partial)
        assert len(final["text"]) > len(partial) + 50
        assert final["generated_by"].startswith("fake-model@") and final["offline"] is False
        assert {c["kind"] for c in final["citations"]} >= {"tutorial", "roadmap", "resource"}
        assert fake_model.requests_by_agent == {"tutor": 1}
        # Re-attaching after the last piece read gets exactly the rest.
        async with alice.stream(
            "GET",
            f"{API}/roadmaps/{roadmap}/concepts/c1/chat/{final['message_id']}/events",
            headers={"Last-Event-ID": str(len(partial))},
        ) as response:
            rest = await read_sse(response)
        assert partial + "".join(e[1]["text"] for e in rest if e[0] == "delta") == final["text"]


async def test_model_failures_are_stored_with_a_clear_message(
    live_server: StartServer, tokens: Tokens, fake_model: FakeLLMServer
) -> None:
    app = live_server(team=StudyTeam(concepts=1), model=fake_model.model_setting, model_retries=1)
    fake_model.add_rule(Reply.error(401), agent="tutor")
    async with app.client(tokens.alice) as alice:
        roadmap = await roadmap_of(app, alice)
        events = await ask(alice, roadmap, "Why?")
        done = events[-1]
        assert done[0] == "done" and done[1]["status"] == "failed"
        assert done[1]["error"]["code"] == "model_auth_failed"
        assert "LEARNPATH_MODEL_API_KEY" in done[1]["error"]["message"]
        assert "Traceback" not in json.dumps(done[1])

        # A transient failure before the first piece is retried; a failure mid-answer keeps
        # what was written and says what happened.
        fake_model.add_rule(Reply.error(503), agent="tutor")
        retried = await ask(alice, roadmap, "Try again?")
        assert retried[-1][1]["status"] == "completed"
        fake_model.add_rule(Reply.cut(), agent="tutor")
        cut = await ask(alice, roadmap, "And now?")
        final = cut[-1][1]
        assert final["status"] == "failed" and final["error"]["code"] == "model_unavailable"
        assert final["text"] and final["text"] == "".join(
            e[1]["text"] for e in cut if e[0] == "delta"
        )
        stored = (await alice.get(f"{API}/roadmaps/{roadmap}/concepts/c1/chat")).json()["messages"]
        assert [m["status"] for m in stored if m["role"] == "answer"] == [
            "failed",
            "completed",
            "failed",
        ]
        assert stored[1]["error"]["code"] == "model_auth_failed"


async def test_questions_per_minute_are_limited_per_user(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2), user_chat_per_minute=2)
    async with app.client(tokens.alice) as alice, app.client(tokens.bob) as bob:
        roadmap = await roadmap_of(app, alice)
        await ask(alice, roadmap, "one")
        await ask(alice, roadmap, "two", concept="c2")
        refused = await alice.post(
            f"{API}/roadmaps/{roadmap}/concepts/c1/chat", json={"question": "three"}
        )
        assert refused.status_code == 429
        assert refused.json()["code"] == "chat_rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Nothing was stored for the refused question; bob has his own allowance.
        messages = (await alice.get(f"{API}/roadmaps/{roadmap}/concepts/c1/chat")).json()
        assert len(messages["messages"]) == 2
        bobs = await roadmap_of(app, bob)
        assert (await ask(bob, bobs, "mine"))[-1][1]["status"] == "completed"


async def test_notes_and_saving_an_answer_as_a_note(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2))
    async with app.client(tokens.alice) as alice:
        roadmap = await roadmap_of(app, alice)
        base = f"{API}/roadmaps/{roadmap}/concepts/c1/notes"
        created = await alice.post(base, json={"markdown": "# Joins\n\nLEFT keeps all rows"})
        assert created.status_code == 201 and created.headers["location"].startswith(
            "/api/v1/notes/"
        )
        note = created.json()
        events = await ask(alice, roadmap, "Why does it matter?")
        answer = events[-1][1]
        saved = await alice.post(base, json={"from_message_id": answer["message_id"]})
        assert saved.status_code == 201
        kept = saved.json()
        assert kept["source_message_id"] == answer["message_id"]
        assert kept["markdown"].startswith(answer["text"].strip())
        assert "References:" in kept["markdown"] and "(https://example.org/c1)" in kept["markdown"]
        question_id = events[0][1]["message_id"]
        not_answer = await alice.post(base, json={"from_message_id": question_id})
        assert not_answer.status_code == 404
        both = await alice.post(base, json={"markdown": "x", "from_message_id": question_id})
        assert both.status_code == 422

        edited = await alice.put(f"{API}/notes/{note['note_id']}", json={"markdown": "INNER too"})
        assert edited.status_code == 200 and edited.json()["markdown"] == "INNER too"
        listed = (await alice.get(base)).json()["items"]
        assert [n["markdown"] for n in listed] == ["INNER too", kept["markdown"]]
        assert len((await alice.get(f"{API}/roadmaps/{roadmap}/notes")).json()["items"]) == 2
        assert (await alice.delete(f"{API}/notes/{note['note_id']}")).status_code == 204
        assert (await alice.delete(f"{API}/notes/{note['note_id']}")).status_code == 404
        assert len((await alice.get(base)).json()["items"]) == 1


def _concept_section(markdown: str, concept: str, following: str) -> str:
    """The lines of the Markdown plan between one concept's anchor and the next one's."""
    start = markdown.index(f'<a id="concept-{concept}"></a>')
    return markdown[start : markdown.index(following, start)]


async def test_notes_are_in_the_owners_exports_and_nowhere_else(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2))
    async with (
        app.client(tokens.alice) as alice,
        app.client(tokens.bob) as bob,
        app.client() as anyone,
    ):
        roadmap = await roadmap_of(app, alice)
        notes = f"{API}/roadmaps/{roadmap}/concepts"
        mine = "# Joins\n\nLEFT keeps every row of the left table"
        assert (await alice.post(f"{notes}/c1/notes", json={"markdown": mine})).status_code == 201
        answer = (await ask(alice, roadmap, "Why?"))[-1][1]
        saved = await alice.post(
            f"{notes}/c1/notes", json={"from_message_id": answer["message_id"]}
        )
        assert saved.status_code == 201
        on_c2 = {"markdown": "Only about the second concept"}
        assert (await alice.post(f"{notes}/c2/notes", json=on_c2)).status_code == 201

        md = (await alice.get(f"{API}/roadmaps/{roadmap}/export", params={"format": "md"})).text
        c1 = _concept_section(md, "c1", '<a id="concept-c2"></a>')
        assert "**My notes** *(the learner's own notes, not generated content)*" in c1
        # After the concept's generated content, quoted, headings below the concept's.
        assert c1.index("**Quiz**") < c1.index("**My notes**")
        assert "> ##### Joins" in c1 and "> LEFT keeps every row of the left table" in c1
        first, second = c1.index("> *Note 1 · updated "), c1.index("> *Note 2 · updated ")
        assert first < c1.index("LEFT keeps") < second
        assert "saved from a tutor answer*" in c1[second:]
        assert "> " + answer["text"].strip().splitlines()[0] in c1[second:]
        assert "second concept" not in c1
        c2 = md[md.index('<a id="concept-c2"></a>') :]
        assert "> Only about the second concept" in c2 and "LEFT keeps" not in c2

        document = (await alice.get(f"{API}/roadmaps/{roadmap}/export?format=json")).json()
        first_c, second_c = document["stages"][0]["modules"][0]["concepts"]
        assert [n["markdown"] for n in first_c["learner_notes"]] == [mine, saved.json()["markdown"]]
        assert first_c["learner_notes"][1]["source_message_id"] == answer["message_id"]
        assert [n["markdown"] for n in second_c["learner_notes"]] == [on_c2["markdown"]]
        assert document["learner_notes_on_removed_concepts"] == []

        # A shared link and a forked copy carry the roadmap, never the owner's notes.
        token = (await alice.post(f"{API}/roadmaps/{roadmap}/share")).json()["token"]
        for shared in (
            await anyone.get(f"{API}/shared/{token}"),
            await anyone.get(f"/shared/{token}"),
        ):
            assert shared.status_code == 200
            assert "LEFT keeps" not in shared.text and "second concept" not in shared.text
            assert "learner_notes" not in shared.text and "My notes" not in shared.text
        fork = (await bob.post(f"{API}/shared/{token}/fork")).json()["roadmap_id"]
        copied = await bob.get(f"{API}/roadmaps/{fork}/export", params={"format": "md"})
        assert copied.status_code == 200 and "Concept 1" in copied.text
        assert "My notes" not in copied.text and "LEFT keeps" not in copied.text
        copied_json = (await bob.get(f"{API}/roadmaps/{fork}/export?format=json")).json()
        assert all(
            c["learner_notes"] == []
            for s in copied_json["stages"]
            for m in s["modules"]
            for c in m["concepts"]
        )
        assert (await bob.get(f"{API}/roadmaps/{fork}/notes")).json()["items"] == []
        refused = await bob.get(f"{API}/roadmaps/{roadmap}/export", params={"format": "md"})
        assert refused.status_code == 404

        # An edit that removes a concept keeps its notes: the export lists them at the end.
        removed = await alice.post(
            f"{API}/roadmaps/{roadmap}/edits",
            json={"operations": [{"op": "remove", "target_id": "c2"}]},
        )
        assert removed.status_code == 200, removed.text
        md = (await alice.get(f"{API}/roadmaps/{roadmap}/export", params={"format": "md"})).text
        assert '<a id="concept-c2"></a>' not in md
        tail = md[md.index("## My notes on removed concepts") :]
        assert "#### c2" in tail and "> Only about the second concept" in tail
        assert "- [My notes on removed concepts](#notes-on-removed-concepts)" in md
        document = (await alice.get(f"{API}/roadmaps/{roadmap}/export?format=json")).json()
        assert [
            (n["concept_id"], n["markdown"]) for n in document["learner_notes_on_removed_concepts"]
        ] == [("c2", on_c2["markdown"])]


async def test_reviews_follow_the_learner_and_fsrs(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2))
    async with app.client(tokens.alice) as alice:
        roadmap = await roadmap_of(app, alice)
        empty = (await alice.get(f"{API}/reviews/due")).json()
        assert (empty["due_count"], empty["new_count"], empty["cards"]) == (0, 6, [])
        assert empty["timezone"] == "UTC"

        await alice.put(f"{API}/roadmaps/{roadmap}/concepts/c2/progress", json={"done": True})
        due = (await alice.get(f"{API}/reviews/due", params={"timezone": "Asia/Tokyo"})).json()
        assert due["timezone"] == "Asia/Tokyo" and due["due_count"] == 3
        card = due["cards"][0]
        assert card["question"] == {
            "question": "What is Concept 2?",
            "options": ["a start", "an end"],
        }
        assert "answer" not in card["question"]

        right = await alice.post(f"{API}/reviews/{card['card_id']}/answer", json={"option": 0})
        assert right.status_code == 200, right.text
        result = right.json()
        assert (result["rating"], result["correct"], result["right_option"]) == ("good", True, 0)
        moved = dt.datetime.fromisoformat(result["due_after"]) - dt.datetime.fromisoformat(
            result["due_before"]
        )
        assert dt.timedelta(days=2) <= moved < dt.timedelta(days=3)
        twice = await alice.post(f"{API}/reviews/{card['card_id']}/answer", json={"option": 0})
        assert twice.status_code == 409 and twice.json()["code"] == "card_not_due"

        second = due["cards"][1]["card_id"]
        wrong = (await alice.post(f"{API}/reviews/{second}/answer", json={"option": 0})).json()
        assert (wrong["rating"], wrong["correct"]) == ("again", False)
        rated = await alice.post(
            f"{API}/reviews/{due['cards'][2]['card_id']}/answer", json={"rating": "easy"}
        )
        assert rated.json()["rating"] == "easy" and rated.json()["correct"] is None
        left = (await alice.get(f"{API}/reviews/due", params={"roadmap_id": roadmap})).json()
        assert left["due_count"] == 0 and left["next_due"] is not None

        for body in ({}, {"rating": "good", "option": 1}, {"rating": "meh"}, {"option": 7}):
            refused = await alice.post(f"{API}/reviews/{second}/answer", json=body)
            assert refused.status_code == 422, body
            assert refused.json()["code"] == "validation_error"
        bad_zone = await alice.get(f"{API}/reviews/due", params={"timezone": "Mars/Base"})
        assert bad_zone.status_code == 422 and "time zone" in bad_zone.json()["detail"]


async def test_calendar_feed_lists_each_days_reviews_at_a_revocable_secret_url(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2))
    async with app.client(tokens.alice) as alice, app.client() as anyone:
        roadmap = await roadmap_of(app, alice)
        await alice.put(f"{API}/roadmaps/{roadmap}/concepts/c2/progress", json={"done": True})
        await alice.post(f"{API}/roadmaps/{roadmap}/concepts/c1/quiz", json={"answers": [0, 0, 1]})
        assert (await alice.put(f"{API}/calendar", json={"timezone": "Europe/Paris"})).json()[
            "timezone"
        ] == "Europe/Paris"
        assert (await alice.put(f"{API}/calendar", json={"timezone": "Nowhere"})).status_code == 422
        made = await alice.post(f"{API}/calendar/feed")
        assert made.status_code == 201
        url = made.json()["url"]
        assert url.startswith(app.url + "/calendar/cal_") and url.endswith(".ics")
        status = (await alice.get(f"{API}/calendar")).json()
        assert status["feed_active"] is True and "token" not in status

        feed = await anyone.get(url)
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(feed.content)
        events = [c for c in calendar.walk("VEVENT")]
        today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo("Europe/Paris")).date()
        reviews = [e for e in events if str(e["uid"]).startswith("reviews-")]
        planned = [e for e in events if str(e["uid"]).startswith("plan-")]
        assert len(reviews) + len(planned) == len(events)
        by_day = {e.decoded("dtstart"): e for e in reviews}
        # c2 (done): 3 due today; c1's quiz: one right answer (in 2 days), two wrong (in 1 day).
        assert sorted(by_day) == [today, today + dt.timedelta(days=1), today + dt.timedelta(days=2)]
        assert str(by_day[today]["summary"]) == "learnpath: 3 reviews due"
        assert str(by_day[today + dt.timedelta(days=1)]["summary"]) == "learnpath: 2 reviews due"
        assert str(by_day[today + dt.timedelta(days=2)]["summary"]) == "learnpath: 1 review due"
        assert "3 × Concept 2" in str(by_day[today]["description"])
        assert all(str(e["url"]) == app.url + "/reviews" for e in reviews)
        assert len({str(e["uid"]) for e in reviews}) == 3

        # The study plan: one all-day event spanning each week that still has a concept to
        # study, naming the concepts not done yet, as the roadmap's schedule places them.
        plan = (await alice.get(f"{API}/roadmaps/{roadmap}/schedule")).json()
        names = {c["concept_id"]: c for c in plan["concepts"]}
        expected = []
        for week in plan["weeks"]:
            first, last = (dt.date.fromisoformat(week[k]) for k in ("start_date", "end_date"))
            inside = [c for c in plan["concepts"] if c["week"] <= week["week"] <= c["end_week"]]
            if last >= today and not all(c["done"] for c in inside):
                expected.append((week, first, last, inside))
        assert expected and names["c2"]["done"] and not names["c1"]["done"]
        assert len(planned) == len(expected)
        for event, (week, first, last, inside) in zip(planned, expected, strict=True):
            assert (event.decoded("dtstart"), event.decoded("dtend")) == (
                first,
                last + dt.timedelta(days=1),
            )
            todo = ", ".join(c["name"] for c in inside if not c["done"])
            assert str(event["summary"]) == (
                f"{todo} — week {week['week']}/{plan['weeks_needed']} of Roadmap: Learn SQL"
            )
            description = str(event["description"])
            for concept in inside:
                line = f"- {concept['name']}: {concept['hours']:g} h, due {concept['due_date']}"
                assert line in description
            assert str(event["url"]) == f"{app.url}/roadmaps/{roadmap}"
            assert str(event["transp"]) == "TRANSPARENT"
        assert "Concept 1" in str(planned[0]["summary"])
        assert len({str(e["uid"]) for e in planned}) == len(planned)
        again = (await anyone.get(url)).content
        assert again.count(b"BEGIN:VEVENT") == len(events)  # stable, no doubles
        assert {str(e["uid"]) for e in Calendar.from_ical(again).walk("VEVENT")} == {
            str(e["uid"]) for e in events
        }

        rotated = (await alice.post(f"{API}/calendar/feed")).json()["url"]
        assert (await anyone.get(url)).status_code == 404
        assert (await anyone.get(rotated)).status_code == 200
        assert (await alice.delete(f"{API}/calendar/feed")).status_code == 204
        gone = await anyone.get(rotated)
        assert gone.status_code == 404 and gone.json()["code"] == "not_found"


async def test_the_trash_and_removed_concepts_take_their_reviews_and_plan_away(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=StudyTeam(concepts=2))
    async with app.client(tokens.alice) as alice, app.client() as anyone:
        roadmap = await roadmap_of(app, alice)
        concepts = f"{API}/roadmaps/{roadmap}/concepts"
        await alice.put(f"{concepts}/c2/progress", json={"done": True})  # 3 cards due today
        await alice.post(f"{concepts}/c1/quiz", json={"answers": [0, 0, 1]})  # due in 1-2 days
        due = (await alice.get(f"{API}/reviews/due")).json()
        assert (due["due_count"], {c["concept_id"] for c in due["cards"]}) == (3, {"c2"})
        c2_card = due["cards"][0]["card_id"]
        url = (await alice.post(f"{API}/calendar/feed")).json()["url"]

        def kinds(feed: bytes) -> list[str]:
            events = Calendar.from_ical(feed).walk("VEVENT")
            return sorted(str(e["uid"]).split("-")[0] for e in events)

        assert kinds((await anyone.get(url)).content).count("reviews") == 3

        removed = await alice.post(
            f"{API}/roadmaps/{roadmap}/edits",
            json={"operations": [{"op": "remove", "target_id": "c2"}]},
        )
        assert removed.status_code == 200, removed.text
        due = (await alice.get(f"{API}/reviews/due")).json()
        assert (due["due_count"], due["new_count"], due["cards"]) == (0, 0, [])
        assert due["next_due"] is not None  # c1's cards stay scheduled
        gone = await alice.post(f"{API}/reviews/{c2_card}/answer", json={"rating": "good"})
        assert gone.status_code == 409 and gone.json()["code"] == "card_retired"
        before = kinds((await anyone.get(url)).content)
        assert before.count("reviews") == 2 and "plan" in before  # c1's two days, c1's weeks

        assert (await alice.delete(f"{API}/roadmaps/{roadmap}")).status_code == 200
        due = (await alice.get(f"{API}/reviews/due")).json()
        assert (due["due_count"], due["new_count"], due["next_due"]) == (0, 0, None)
        trashed = await alice.post(f"{API}/reviews/{c2_card}/answer", json={"rating": "good"})
        assert trashed.status_code == 409 and trashed.json()["code"] == "roadmap_in_trash"
        feed = await anyone.get(url)
        assert feed.status_code == 200 and kinds(feed.content) == []

        assert (await alice.post(f"{API}/roadmaps/{roadmap}/restore")).status_code == 200
        assert kinds((await anyone.get(url)).content) == before
        assert (await alice.get(f"{API}/reviews/due")).json()["next_due"] is not None
