"""`/docs` renders from the package's own assets with no network and a 'self'-only policy."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import StartServer
from tests.e2e.test_web_browser import browser, database_url, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

SELF_ONLY = "default-src 'self'; img-src 'self' data:"


def test_docs_load_without_network_under_a_self_only_policy(
    live_server: StartServer,
    page: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none")
    blocked: list[str] = []
    violations: list[str] = []

    def only_loopback(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            response = route.fetch()
            headers = {**response.headers, "content-security-policy": SELF_ONLY}
            route.fulfill(response=response, headers=headers)
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(app.url + "/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/tasks").first).to_be_attached()
    assert blocked == [] and violations == []


def test_docs_assets_come_from_the_package(live_server: StartServer) -> None:
    import httpx

    app = live_server(auth="none")
    html = httpx.get(app.url + "/docs").text
    assert "cdn" not in html.lower() and "<script>" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "docs-init.js"):
        response = httpx.get(f"{app.url}/api-static/{asset}")
        assert response.status_code == 200 and len(response.content) > 100
