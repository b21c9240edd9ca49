"""The resources agent with search: failures degrade with a note; dead links lose ``verified``."""

from __future__ import annotations

import pydantic_ai.models
import pytest

from learnpath.agents import resources
from learnpath.llm.retry import outcome_of
from learnpath.llm.usage import track_usage
from learnpath.search import LinkChecker, SearchError
from learnpath.search.hits import SearchHit
from tests.unit.conftest_llm import briefs, guarded, tool_answer
from tests.unit.test_agents_parts import INTENT, REQUEST, framework

ANSWER = {
    "resources": [
        {"title": "Found", "url": "https://found.test/a", "description": "From search"},
        {"title": "Guess", "url": "https://guess.test/b"},
    ]
}


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


class Search:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    async def search(self, query: str, *, language: str, limit: int) -> list[SearchHit]:
        if self.error is not None:
            raise self.error
        return [SearchHit(title="Found", url="https://found.test/a")]


class Links(LinkChecker):
    def __init__(self, alive: bool) -> None:
        super().__init__()
        self.answer = alive

    async def _check(self, url: str) -> bool:
        return self.answer


@pytest.mark.parametrize("error", [SearchError("search is down"), RuntimeError("boom")])
async def test_a_failed_search_gives_unverified_resources_with_a_note(error: Exception) -> None:
    agent = resources.build(guarded(tool_answer(ANSWER)), 2)
    brief = briefs(REQUEST, INTENT, framework())[0]
    found = await resources.recommend(agent, brief, Search(error), Links(True))
    assert [r.verified for r in found.resources] == [False, False]
    assert all(resources.SEARCH_FAILED_NOTE in r.description for r in found.resources)
    assert found.resources[0].description.startswith("From search")


@pytest.mark.parametrize("alive", [True, False])
async def test_verified_needs_search_and_a_live_link(alive: bool) -> None:
    agent = resources.build(guarded(tool_answer(ANSWER)), 2)
    brief = briefs(REQUEST, INTENT, framework())[0]
    found = await resources.recommend(agent, brief, Search(), Links(alive))
    assert [r.verified for r in found.resources] == [alive, False]
    assert (resources.DEAD_LINK_NOTE in found.resources[0].description) is not alive


async def test_final_invalid_output_is_counted_against_the_agent() -> None:
    agent = resources.build(guarded(tool_answer({"resources": "none"})), 2)
    agent.model.agent = "resources"
    brief = briefs(REQUEST, INTENT, framework())[0]
    with track_usage() as tally, pytest.raises(Exception, match="valid structured output"):
        await resources.recommend(agent, brief, None)
    assert tally.attempts() == [("resources", "invalid_output", 3)]


def test_outcomes_name_the_failure() -> None:
    assert outcome_of(TimeoutError(), retried=True) == "retried_timeout"
    assert outcome_of(TimeoutError(), retried=False) == "timed_out"
    assert outcome_of(ValueError(), retried=False) == "failed_error"
