"""Page basics: the document language follows the content's language."""

from __future__ import annotations

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_pages import browser_client, submit, wait_status


def test_page_language_follows_the_roadmap_language(live_server: StartServer) -> None:
    app = live_server(auth="none", team=TinyTeam(concepts=1))
    with browser_client(app) as client:
        task_url = submit(client, goal="学习 SQL", weeks="4", language="zh").headers["location"]
        wait_status(client, task_url.rsplit("/", 1)[1], "completed")
        assert '<html lang="zh">' in client.get(task_url).text
        english = submit(client, goal="Learn SQL", weeks="4").headers["location"]
        assert '<html lang="en">' in client.get(english).text
        assert '<html lang="en">' in client.get("/").text
