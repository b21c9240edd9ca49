"""Accounts over real HTTP on both backends: tokens an administrator creates, lists and
revokes; expiry; last use; who may do what; web sessions that never hold the token; and
the submit quotas (429 with Retry-After, per-user overrides, /metrics, the web form)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import httpx
from sqlalchemy import update

from learnpath.store import Store
from learnpath.store.tables import api_tokens
from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, StartServer, Tokens
from tests.e2e.test_web_pages import browser_client, csrf_of, submit


async def test_an_administrator_creates_lists_and_revokes_tokens(
    live_server: StartServer, tokens: Tokens, store: Store
) -> None:
    app = live_server()
    async with app.client(tokens.admin) as admin, app.client(tokens.alice) as alice:
        users = (await admin.get(f"{API}/admin/users")).json()
        assert [u["name"] for u in users] == ["alice", "bob", "root"]

        made = await admin.post(
            f"{API}/admin/users/alice/tokens", json={"name": "laptop", "expires_days": 30}
        )
        assert made.status_code == 201, made.text
        created = made.json()
        secret = created["token"]
        assert (created["user"], created["name"], created["state"]) == ("alice", "laptop", "active")
        assert created["expires_at"] is not None

        async with app.client(secret) as laptop:
            assert (await laptop.get(f"{API}/tasks")).status_code == 200

        listing = await admin.get(f"{API}/admin/tokens", params={"user": "alice"})
        assert listing.status_code == 200
        assert secret not in listing.text and tokens.alice not in listing.text
        rows = {row["name"]: row for row in listing.json()}
        assert set(rows) == {"default", "laptop"}
        assert "token" not in rows["laptop"]
        # Both were used just now; a use is written at most once a minute.
        assert rows["laptop"]["last_used_at"] is not None
        first_use = rows["default"]["last_used_at"]
        assert first_use is None  # the fixture's token has not called the API yet
        assert (await alice.get(f"{API}/tasks")).status_code == 200
        used = {r["name"]: r for r in (await alice.get(f"{API}/tokens")).json()}
        assert used["default"]["last_used_at"] is not None
        assert (await alice.get(f"{API}/tasks")).status_code == 200
        again = {r["name"]: r for r in (await alice.get(f"{API}/tokens")).json()}
        assert again["default"]["last_used_at"] == used["default"]["last_used_at"]

        revoked = await admin.post(f"{API}/admin/tokens/{created['id']}/revoke")
        assert revoked.status_code == 200
        assert revoked.json()["state"] == "revoked"
        async with app.client(secret) as laptop:
            refused = await laptop.get(f"{API}/tasks")
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "token_revoked"
        assert "revoked" in refused.json()["detail"]
        # The user's other token is untouched.
        assert (await alice.get(f"{API}/tasks")).status_code == 200

        unknown = await admin.post(f"{API}/admin/users/nobody/tokens", json={})
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "not_found"

    # An expired token: the same 401, with its own code.
    expiring, soon = await store.create_token("bob", name="short", expires_days=1)
    async with store.write() as tx:
        await tx.conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == expiring.id)
            .values(expires_at=tx.now - dt.timedelta(seconds=1))
        )
    async with app.client(soon) as bob:
        expired = await bob.get(f"{API}/tasks")
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"


async def test_only_administrators_manage_tokens_and_users_only_revoke_their_own(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server()
    async with app.client(tokens.alice) as alice, app.client(tokens.bob) as bob:
        for method, path, body in (
            ("GET", "/admin/users", None),
            ("GET", "/admin/tokens", None),
            ("POST", "/admin/users/alice/tokens", {}),
            ("PUT", "/admin/users/alice/quota", {"max_active_tasks": 1, "submits_per_minute": 1}),
        ):
            response = await alice.request(method, API + path, json=body)
            assert response.status_code == 403, (method, path)
            assert response.json()["code"] == "forbidden"
        [bobs] = (await bob.get(f"{API}/tokens")).json()
        refused = await alice.post(f"{API}/admin/tokens/{bobs['id']}/revoke")
        assert refused.status_code == 403
        stolen = await alice.post(f"{API}/tokens/{bobs['id']}/revoke")
        assert stolen.status_code == 404
        assert (await bob.get(f"{API}/tasks")).status_code == 200

        [mine] = (await alice.get(f"{API}/tokens")).json()
        assert (await alice.post(f"{API}/tokens/{mine['id']}/revoke")).status_code == 200
        assert (await alice.get(f"{API}/tasks")).json()["code"] == "token_revoked"


async def test_submits_past_a_quota_get_429_with_retry_after_and_are_counted(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=1), user_max_active_tasks=2, user_submits_per_minute=3)
    review = {"goal": "Learn SQL", "review": True}  # parks for review: stays active
    async with app.client(tokens.alice) as alice, app.client(tokens.admin) as admin:
        keyed = {"Idempotency-Key": "first"}
        first = await alice.post(f"{API}/roadmaps/generate", json=review, headers=keyed)
        assert first.status_code == 202
        assert (await alice.post(f"{API}/roadmaps/generate", json=review)).status_code == 202
        refused = await alice.post(f"{API}/roadmaps/generate", json=review)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert (problem["code"], problem["limit"]) == ("quota_exceeded", "active_tasks")
        assert "LEARNPATH_USER_MAX_ACTIVE_TASKS" in problem["detail"]
        assert int(refused.headers["Retry-After"]) > 0
        # Repeating an accepted submit is never refused: it returns the same task.
        again = await alice.post(f"{API}/roadmaps/generate", json=review, headers=keyed)
        assert (again.status_code, again.json()["task_id"]) == (200, first.json()["task_id"])

        # Bob has his own budget.
        async with app.client(tokens.bob) as bob:
            assert (await bob.post(f"{API}/roadmaps/generate", json=review)).status_code == 202

        # A per-user override lifts the active limit; the per-minute default still holds.
        raised = await admin.put(
            f"{API}/admin/users/alice/quota",
            json={"max_active_tasks": 50, "submits_per_minute": None},
        )
        assert raised.status_code == 200
        assert raised.json()["max_active_tasks"] == 50
        assert (await alice.post(f"{API}/roadmaps/generate", json=review)).status_code == 202
        fast = await alice.post(f"{API}/roadmaps/generate", json=review)
        assert fast.status_code == 429
        assert fast.json()["limit"] == "submits_per_minute"
        assert "LEARNPATH_USER_SUBMITS_PER_MINUTE" in fast.json()["detail"]
        assert 0 < int(fast.headers["Retry-After"]) <= 60

        metrics = (await alice.get("/metrics")).text
        assert 'learnpath_quota_refusals_total{limit="active_tasks"} 1.0' in metrics
        assert 'learnpath_quota_refusals_total{limit="submits_per_minute"} 1.0' in metrics


async def test_concurrent_submits_do_not_pass_the_active_limit(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=1), user_max_active_tasks=4)
    async with app.client(tokens.alice) as alice:
        responses = await asyncio.gather(
            *(
                alice.post(f"{API}/roadmaps/generate", json={"goal": f"Topic {n}", "review": True})
                for n in range(16)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202] * 4 + [429] * 12


def _sign_in(client: httpx.Client, token: str) -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_of(page.text), "token": token})


def test_web_sessions_hold_no_token_and_end_on_logout_and_revocation(
    live_server: StartServer, tokens: Tokens, store: Store
) -> None:
    app = live_server(auth="token")
    with browser_client(app) as browser:
        signed_in = _sign_in(browser, tokens.alice)
        assert signed_in.status_code == 303
        session = browser.cookies["lp_session"]
        assert tokens.alice not in signed_in.headers["set-cookie"]
        assert all(tokens.alice not in value for value in browser.cookies.values())
        assert "max-age=1209600" in signed_in.headers["set-cookie"].lower()  # 14 days
        assert browser.get("/tasks").status_code == 200

        csrf = csrf_of(browser.get("/tasks").text)
        assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303
        # Replaying the old cookie after sign-out: the server forgot the session.
        with browser_client(app) as replay:
            replay.cookies.set("lp_session", session)
            assert replay.get("/tasks").status_code == 303

    # Revoking the token ends the sessions made from it.
    with browser_client(app) as browser:
        _sign_in(browser, tokens.bob)
        assert browser.get("/tasks").status_code == 200
        [bobs] = asyncio.run(_tokens_of(app.settings, "bob"))
        asyncio.run(_revoke(app.settings, bobs))
        gone = browser.get("/tasks")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        refused = _sign_in(browser, tokens.bob)
        assert refused.status_code == 401
        assert "revoked" in refused.text


def test_the_web_form_says_the_quota_in_the_pages_language(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(auth="token", team=TinyTeam(concepts=1), user_max_active_tasks=1)
    with browser_client(app) as browser:
        _sign_in(browser, tokens.alice)
        assert submit(browser, goal="Learn SQL", review="on").status_code == 303
        refused = submit(browser, goal="Learn Go", review="on")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert "Not submitted: you have 1 unfinished roadmaps and the limit is 1" in refused.text
        assert "Learn Go" in refused.text  # what was typed is kept
        browser.cookies.set("lp_lang", "zh")
        chinese = submit(browser, goal="学习 Go", review="on")
        assert chinese.status_code == 429
        assert re.search(r"你有 1 个未完成的路线图,上限为 1 个", chinese.text)


async def _tokens_of(settings: Any, user: str) -> list[str]:
    from learnpath.store import open_store

    store = open_store(settings)
    try:
        return [t.id for t in await store.list_tokens(user_name=user)]
    finally:
        await store.close()


async def _revoke(settings: Any, token_id: str) -> None:
    from learnpath.store import open_store

    store = open_store(settings)
    try:
        await store.revoke_token(token_id)
    finally:
        await store.close()
