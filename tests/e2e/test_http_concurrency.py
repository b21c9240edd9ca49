"""Many clients submitting at once, some repeating the same Idempotency-Key."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import httpx

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, StartServer, Tokens

SUBMISSIONS = 200
KEYS = 25
PER_KEY = 4


async def test_200_concurrent_submissions_each_key_accepted_once(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=1))
    limits = httpx.Limits(max_connections=SUBMISSIONS, max_keepalive_connections=SUBMISSIONS)
    async with app.client(tokens.alice, limits=limits) as client:

        async def submit(n: int) -> tuple[str | None, httpx.Response]:
            key = f"key-{n % KEYS}" if n < KEYS * PER_KEY else None
            goal = f"Learn topic {n % KEYS}" if key else f"Learn topic {n}"
            headers = {"Idempotency-Key": key} if key else {}
            response = await client.post(
                f"{API}/roadmaps/generate", json={"goal": goal}, headers=headers
            )
            return key, response

        results = await asyncio.gather(*(submit(n) for n in range(SUBMISSIONS)))

        by_key: dict[str, list[httpx.Response]] = defaultdict(list)
        unkeyed: list[str] = []
        for key, response in results:
            assert response.status_code in (200, 202), response.text
            if key is None:
                assert response.status_code == 202
                unkeyed.append(response.json()["task_id"])
            else:
                by_key[key].append(response)
        assert len(by_key) == KEYS
        for key, responses in by_key.items():
            assert len({r.json()["task_id"] for r in responses}) == 1, key
            assert sorted(r.status_code for r in responses) == [200] * (PER_KEY - 1) + [202], key
        expected = set(unkeyed) | {r[0].json()["task_id"] for r in by_key.values()}
        assert len(expected) == SUBMISSIONS - KEYS * (PER_KEY - 1)

        deadline = time.monotonic() + 120
        while True:
            statuses: dict[str, str] = {}
            cursor = None
            while True:
                params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                page = (await client.get(f"{API}/tasks", params=params)).json()
                statuses |= {t["task_id"]: t["status"] for t in page["items"]}
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert set(statuses) == expected
            if all(s == "completed" for s in statuses.values()):
                break
            assert time.monotonic() < deadline, sorted(set(statuses.values()))
            await asyncio.sleep(0.5)
