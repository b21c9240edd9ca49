"""A database 503 is repeated on the server for requests that are safe to repeat, only."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from learnpath.api.retry import ATTEMPTS, RepeatOnDatabaseDrop


def flaky_app(failures: int) -> tuple[Starlette, list[bytes]]:
    """Answers 503 + Retry-After ``failures`` times, then 200 echoing the body."""
    bodies: list[bytes] = []

    async def endpoint(request: Request) -> Response:
        bodies.append(await request.body())
        if len(bodies) <= failures:
            return JSONResponse({"code": "database_unavailable"}, 503, {"Retry-After": "5"})
        return JSONResponse({"body": bodies[-1].decode()})

    routes = [Route(p, endpoint, methods=["GET", "POST"]) for p in ("/thing", "/readyz")]
    return Starlette(routes=routes), bodies


async def call(app: Starlette, method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=RepeatOnDatabaseDrop(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_a_read_that_met_a_dropped_connection_is_answered_by_its_repeat() -> None:
    app, bodies = flaky_app(failures=1)
    response = await call(app, "GET", "/thing")
    assert response.status_code == 200
    assert len(bodies) == 2


async def test_a_submit_with_an_idempotency_key_is_repeated_with_its_body() -> None:
    app, bodies = flaky_app(failures=2)
    response = await call(app, "POST", "/thing", content=b"goal", headers={"Idempotency-Key": "k"})
    assert response.status_code == 200
    assert response.json() == {"body": "goal"}
    assert bodies == [b"goal"] * 3


async def test_a_real_outage_still_reaches_the_client_as_a_503() -> None:
    app, bodies = flaky_app(failures=10)
    response = await call(app, "GET", "/thing")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert len(bodies) == ATTEMPTS


async def test_unsafe_requests_and_readiness_are_never_repeated() -> None:
    app, bodies = flaky_app(failures=1)
    assert (await call(app, "POST", "/thing", content=b"x")).status_code == 503
    assert len(bodies) == 1
    app, bodies = flaky_app(failures=1)
    assert (await call(app, "GET", "/readyz")).status_code == 503  # the outage, as it is
    assert len(bodies) == 1
