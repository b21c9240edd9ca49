"""Page basics: the UI language on the page, the content's language on the content."""

from __future__ import annotations

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_pages import browser_client, submit, wait_status


def test_page_language_follows_ui_and_content_language(live_server: StartServer) -> None:
    app = live_server(auth="none", team=TinyTeam(concepts=1))
    with browser_client(app) as client:
        task_url = submit(client, goal="学习 SQL", weeks="4", language="zh").headers["location"]
        wait_status(client, task_url.rsplit("/", 1)[1], "completed")
        page = client.get(task_url).text
        assert '<html lang="en">' in page
        assert '<h1 lang="zh">学习 SQL</h1>' in page
        chinese_ui = client.get(task_url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
        assert '<html lang="zh">' in chinese_ui
        assert "我的任务" in chinese_ui
        english = submit(client, goal="Learn SQL", weeks="4").headers["location"]
        assert '<h1 lang="en">Learn SQL</h1>' in client.get(english).text
        assert '<html lang="en">' in client.get("/").text


def test_markdown_headings_are_demoted() -> None:
    from learnpath.web.markdown import render_markdown

    html = str(render_markdown("# Title\n\n## Part\n\n### Detail"))
    assert "<h1>" not in html
    assert "<h4>Title</h4>" in html
    assert "<h5>Part</h5>" in html
    assert "<h6>Detail</h6>" in html
