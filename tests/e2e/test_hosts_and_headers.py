"""Only allowed Host names are answered (loopback only without sign-in), and every page
carries the browser protections, on a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import API, StartServer
from tests.e2e.test_web_browser import browser, database_url, page  # noqa: F401 (fixtures)


def _get(url: str, path: str, host: str) -> httpx.Response:
    return httpx.get(url + path, headers={"Host": host}, timeout=10)


def test_a_foreign_host_is_refused_before_any_route_with_auth_off(
    live_server: StartServer,
) -> None:
    app = live_server(auth="none", allowed_hosts="attacker.example,*")
    for host in ("attacker.example", "attacker.example:8000", "127.0.0.2", "[::2]", ""):
        api = _get(app.url, f"{API}/tasks", host)
        assert api.status_code == 400, (host, api.text)
        assert api.headers["content-type"].startswith("application/problem+json")
        assert api.json()["code"] == "host_not_allowed"
        assert "LEARNPATH_ALLOWED_HOSTS" in api.json()["detail"]
        web = _get(app.url, "/tasks", host)
        assert web.status_code == 400 and web.headers["content-type"].startswith("text/html")
        assert "LEARNPATH_ALLOWED_HOSTS" in web.text
        submit = httpx.post(
            f"{app.url}{API}/roadmaps/generate",
            json={"goal": "Learn SQL"},
            headers={"Host": host or "x"},
        )
        assert submit.status_code == 400
    listed = httpx.get(f"{app.url}{API}/tasks").json()
    assert listed["items"] == [], "a refused submit must not have created a task"
    for host in ("localhost", "LOCALHOST:8000", "127.0.0.1", "[::1]:8000"):
        assert _get(app.url, f"{API}/tasks", host).status_code == 200, host


def test_token_mode_answers_the_configured_names(live_server: StartServer) -> None:
    app = live_server(allowed_hosts="learn.example.org, 127.0.0.1")
    assert _get(app.url, "/healthz", "learn.example.org:443").status_code == 200
    assert _get(app.url, "/healthz", "127.0.0.1").status_code == 200
    assert _get(app.url, "/healthz", "localhost").status_code == 400
    assert _get(app.url, "/login", "evil.example.org").status_code == 400
    anyone = live_server(allowed_hosts="*")
    assert _get(anyone.url, "/healthz", "whatever.example").status_code == 200


def test_pages_carry_the_security_headers_and_api_answers_nosniff(
    live_server: StartServer,
) -> None:
    app = live_server(auth="none")
    for path in ("/", "/tasks", "/roadmaps", "/docs", "/tasks/nope"):
        response = httpx.get(app.url + path)
        assert response.headers["content-type"].startswith("text/html"), path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert httpx.get(app.url + "/redoc").status_code == 404, "no page that needs a CDN"
    for path in (f"{API}/tasks", "/healthz", "/openapi.json", "/static/app.js", f"{API}/nope"):
        response = httpx.get(app.url + path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" not in response.headers, path


@pytest.mark.browser
def test_the_policy_blocks_an_injected_inline_script(
    live_server: StartServer,
    browser: Any,  # noqa: F811
) -> None:
    app = live_server(auth="none")
    context = browser.new_context()
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(app.url + "/tasks")
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
        )
        assert page.evaluate("() => window.injected === undefined")
        assert violations, "the browser did not enforce the page's policy"
    finally:
        context.close()


@pytest.mark.browser
def test_docs_render_under_the_servers_own_policy(
    live_server: StartServer,
    page: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none")
    response = page.goto(app.url + "/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
