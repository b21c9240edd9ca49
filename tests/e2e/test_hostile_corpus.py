"""The hostile-input corpus (``tests/e2e/hostile/corpus.json``) against a real server.

One server per backend (SQLite and PostgreSQL), one client, every case in turn: each must
get a 4xx (the case's ``status`` when it names one): problem+json with a ``code`` on the
API, an HTML page under the security policy and without a traceback on the web. No
connection may drop, and the server may log no error. Every route of the
app, read from its OpenAPI document and the web UI's routers, must have a case.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from learnpath.api import create_app
from learnpath.api.middleware import is_api_path
from learnpath.identity import resolve_user
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.testing.teams import StudyTeam
from learnpath.web import page_routes
from tests.e2e.conftest import API, LiveApp, StartServer, Tokens
from tests.e2e.test_web_pages import csrf_of

CORPUS = Path(__file__).parent / "hostile" / "corpus.json"
MAX_BODY = 64 * 1024
BOUNDARY = "hostile-corpus-boundary"
PLACEHOLDERS = {
    "digits5000": "9" * 5000,
    "long8000": "x" * 8000,
    "big_body": "x" * (MAX_BODY + 1),
}


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CORPUS.read_text())["cases"]
    return cases


def app_routes(tmp_path: Path) -> set[str]:
    """Every ``METHOD /path`` the app answers: its OpenAPI paths and the web UI's routes."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    document = create_app(settings).openapi()
    routes = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
    }
    return routes | {f"{method} {path}" for method, path in page_routes()}


class ServerLog(logging.Handler):
    """Every record of warning level or above the server logs, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [
            self.format(r)
            for r in self.records
            if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in r.getMessage()
        ]


@pytest.fixture
def server_log() -> Iterator[ServerLog]:
    handler = ServerLog()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


@dataclass
class Known:
    """Ids of real things the cases refer to, so they reach past the lookups."""

    values: dict[str, str]

    def fill(self, text: str) -> str:
        return re.sub(r"<<(\w+)>>", lambda m: self.values[m.group(1)], text)


async def _known(app: LiveApp, tokens: Tokens) -> Known:
    async with app.client(tokens.alice) as alice, app.client(tokens.bob) as bob:
        submitted = await alice.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"})
        task = submitted.json()["task_id"]
        for _ in range(600):
            state = (await alice.get(f"{API}/tasks/{task}")).json()
            if state["status"] == "completed":
                break
            assert state["status"] not in ("failed", "canceled"), state
            await asyncio.sleep(0.05)
        roadmap = state["roadmap_id"]
        chat = await alice.post(
            f"{API}/roadmaps/{roadmap}/concepts/c1/chat?stream=false", json={"question": "Why?"}
        )
        note = await alice.post(
            f"{API}/roadmaps/{roadmap}/concepts/c1/notes", json={"markdown": "mine"}
        )
        await alice.put(f"{API}/roadmaps/{roadmap}/concepts/c2/progress", json={"done": True})
        card = (await alice.get(f"{API}/reviews/due")).json()["cards"][0]["card_id"]
        share = (await alice.post(f"{API}/roadmaps/{roadmap}/share")).json()["url"]
        feed = (await alice.post(f"{API}/calendar/feed")).json()["url"]
        bob_task = (await bob.post(f"{API}/roadmaps/generate", json={"goal": "Learn Go"})).json()
    return Known(
        {
            **PLACEHOLDERS,
            "task": task,
            "roadmap": roadmap,
            "message": chat.json()["answer"]["message_id"],
            "note": note.json()["note_id"],
            "card": card,
            "share": urlsplit(share).path.rsplit("/", 1)[1],
            "feed": urlsplit(feed).path.rsplit("/", 1)[1].removesuffix(".ics"),
            "bob_task": bob_task["task_id"],
        }
    )


def _signed_in(app: LiveApp, token: str) -> httpx.Client:
    client = httpx.Client(base_url=app.url, timeout=30, follow_redirects=False)
    csrf = csrf_of(client.get("/login").text)
    signed = client.post("/login", data={"csrf_token": csrf, "token": token, "next": "/tasks"})
    assert signed.status_code == 303, signed.text
    return client


def _header_value(value: str) -> bytes:
    return value.encode("latin-1") if all(ord(c) < 256 for c in value) else value.encode()


def _request(
    client: httpx.Client, known: Known, case: dict[str, Any], token: str, csrf: str
) -> httpx.Response:
    method = case["route"].split(" ", 1)[0]
    path = known.fill(case["path"])
    headers: dict[str, bytes] = {}
    api = is_api_path(path)
    if api and case.get("auth", True):
        headers["Authorization"] = f"Bearer {token}".encode()
    for name, value in case.get("headers", {}).items():
        headers[name] = _header_value(known.fill(value))
    content: bytes | None = None
    if "json" in case:
        content = known.fill(json.dumps(case["json"])).encode()
        headers["Content-Type"] = b"application/json"
    elif "raw" in case:
        content = known.fill(case["raw"]).encode(case.get("raw_encoding", "utf-8"))
        kind = case.get("content_type", "application/json")
        if kind is not None:  # null: no Content-Type header at all
            headers["Content-Type"] = kind.encode()
    elif "form" in case:
        form = {name: known.fill(value) for name, value in case["form"].items()}
        if case.get("csrf", True):
            form["csrf_token"] = csrf
        content = str(httpx.QueryParams(form)).encode()
        headers["Content-Type"] = b"application/x-www-form-urlencoded"
    elif "multipart" in case:
        fields = {name: known.fill(value) for name, value in case["multipart"].items()}
        fields["csrf_token"] = csrf
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        content = ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}".encode()
    params = {name: known.fill(value) for name, value in case.get("query", {}).items()}
    if not api and "cookie" in case:
        headers["Cookie"] = _header_value(known.fill(case["cookie"]))
    with client.stream(
        method, path, params=params, headers=headers, content=content, timeout=10
    ) as response:
        response.read()
    return response


def _violation(case: dict[str, Any], response: httpx.Response) -> str | None:
    status = response.status_code
    kind = response.headers.get("content-type", "")
    if not 400 <= status < 500:
        return f"answered {status}"
    if "status" in case and status != case["status"]:
        return f"answered {status}, not {case['status']}"
    if is_api_path(urlsplit(str(response.request.url)).path):
        if not kind.startswith("application/problem+json"):
            return f"{status} as {kind or 'no content type'}, not problem+json"
        code = response.json().get("code")
        if not isinstance(code, str) or not code:
            return f"{status} problem without a code"
        return None
    if not kind.startswith("text/html"):
        return f"{status} as {kind or 'no content type'}, not a page"
    if "Traceback" in response.text or 'File "' in response.text:
        return f"{status} page with a traceback"
    if "frame-ancestors 'none'" not in response.headers.get("content-security-policy", ""):
        return f"{status} page without the content security policy"
    return None


def test_every_route_has_a_hostile_case(tmp_path: Path) -> None:
    covered = {case["route"] for case in load_cases()}
    routes = app_routes(tmp_path)
    assert routes - covered == set(), "routes without a case in tests/e2e/hostile/corpus.json"
    assert covered - routes == set(), "cases for routes the app does not have"


async def test_the_hostile_corpus_gets_only_4xx_answers(
    live_server: StartServer, tokens: Tokens, server_log: ServerLog
) -> None:
    app = live_server(team=StudyTeam(concepts=2), max_body_bytes=MAX_BODY, user_chat_per_minute=50)
    known = await _known(app, tokens)
    failures: list[str] = []
    client = _signed_in(app, tokens.alice)
    try:
        csrf = client.cookies["lp_csrf"]
        for case in load_cases():
            label = f"{case['route']} ({case['why']})"
            try:
                response = _request(client, known, case, tokens.alice, csrf)
            except httpx.HTTPError as exc:
                failures.append(f"{label}: {type(exc).__name__}: {exc}")
                continue
            problem = _violation(case, response)
            if problem:
                failures.append(f"{label}: {problem}: {response.text[:200]!r}")
    finally:
        client.close()
    logged = server_log.errors()
    assert failures == [] and logged == [], "\n".join(failures + logged)


async def test_a_stored_answer_that_is_no_longer_an_option_still_renders(
    live_server: StartServer, tokens: Tokens, store: Store
) -> None:
    """Answers recorded before a quiz was written again with fewer options (or by an older
    version that accepted any index) show as unanswered; the roadmap page still renders."""
    app = live_server(team=StudyTeam(concepts=2))
    known = await _known(app, tokens)
    alice = await resolve_user(store, app.settings, tokens.alice)
    assert alice is not None
    await store.record_progress(
        alice.id, known.values["roadmap"], "c1", quiz_answers=[99, None, 7], quiz_score=0.0
    )
    client = _signed_in(app, tokens.alice)
    try:
        page = client.get(f"/roadmaps/{known.values['roadmap']}")
    finally:
        client.close()
    assert page.status_code == 200, page.text[:300]
    assert "quiz-results" in page.text
