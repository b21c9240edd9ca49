"""The agent team over real HTTP against the fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from pydantic_ai.models.openai import OpenAIChatModel

from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import structural_issues
from learnpath.llm.errors import ModelCallError
from learnpath.llm.usage import track_usage
from learnpath.runtime import open_runtime
from learnpath.testing import FakeLLMServer, Reply
from learnpath.testing.teams import TinyTeam
from tests.unit.conftest_llm import TODAY, RecordingSleep, briefs, settings

REQUEST = LearningRequest(goal="Become a backend engineer", hours_per_week=8, weeks=12)
SECRET = "sk-live-DO-NOT-LEAK-123"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


TeamFor = Callable[..., LLMTeam]


@pytest.fixture
async def team_for() -> AsyncIterator[TeamFor]:
    """``team_for(server, sleep=None, **settings)``: a team on ``server``, closed after the test."""
    built: list[LLMTeam] = []

    def make(
        server: FakeLLMServer, sleep: RecordingSleep | None = None, **overrides: object
    ) -> LLMTeam:
        config = settings(model=server.model_setting, model_api_key=SECRET, **overrides)
        built.append(LLMTeam(config, today=lambda: TODAY, sleep=sleep or RecordingSleep()))
        return built[-1]

    yield make
    for team in built:
        await team.aclose()


async def test_full_roadmap_over_http(server: FakeLLMServer, team_for: TeamFor) -> None:
    team = team_for(server)
    with track_usage() as tally:
        intent = await team.analyse_intent(REQUEST)
        framework = await team.design_curriculum(REQUEST, intent)
        result = await team.validate_structure(REQUEST, intent, framework)
        brief = briefs(REQUEST, intent, framework)[0]
        tutorial = await team.write_tutorial(brief)
        quiz = await team.write_quiz(brief)
        resources = await team.recommend_resources(brief)
    assert team.generated_by == f"fake-model@{server.base_url}"
    assert result.valid
    assert structural_issues(framework, REQUEST.hour_budget(TODAY)) == []
    assert tutorial.markdown.startswith(f"# {brief.concept.name}")
    assert len(quiz.questions) >= 3
    assert resources.resources and not any(r.verified for r in resources.resources)
    assert server.requests_by_agent == {
        "intent": 1,
        "curriculum": 1 + len(framework.stages),
        "validator": 1,
        "tutorial": 1,
        "quiz": 1,
        "resources": 1,
    }
    assert tally.requests == server.requests_total
    assert tally.input_tokens > 0
    assert tally.output_tokens > 0


@pytest.mark.parametrize("bad", [Reply.invalid(), Reply.garbage(), Reply.truncated()])
async def test_bad_output_is_repaired_by_an_output_retry(
    server: FakeLLMServer, team_for: TeamFor, bad: Reply
) -> None:
    team = team_for(server)
    intent = await team.analyse_intent(REQUEST)
    framework = await team.design_curriculum(REQUEST, intent)
    target = briefs(REQUEST, intent, framework)[2]
    server.reset()
    server.add_rule(bad, agent="tutorial", contains=target.concept.name)
    tutorial = await team.write_tutorial(target)
    assert target.concept.name in tutorial.markdown
    assert server.replies == [("tutorial", bad.kind), ("tutorial", "valid")]


async def test_429_with_retry_after_is_retried_after_that_wait(
    server: FakeLLMServer, team_for: TeamFor
) -> None:
    sleep = RecordingSleep()
    server.add_rule(Reply.error(429, retry_after=2), agent="intent")
    intent = await team_for(server, sleep).analyse_intent(REQUEST)
    assert intent.weekly_hours == 8
    assert server.requests_by_agent == {"intent": 2}
    assert sleep.delays == [2.0]


async def test_500s_are_retried_with_backoff(server: FakeLLMServer, team_for: TeamFor) -> None:
    sleep = RecordingSleep()
    server.add_rule(Reply.error(500), agent="intent", times=2)
    with track_usage() as tally:
        await team_for(server, sleep).analyse_intent(REQUEST)
    assert server.requests_by_agent == {"intent": 3}
    assert sleep.delays == [0.5, 1.0]
    assert (tally.requests, tally.retries) == (1, 2)


async def test_permanent_failure_raises_a_clear_model_call_error(
    server: FakeLLMServer, team_for: TeamFor
) -> None:
    server.add_rule(Reply.error(503), agent="intent", times=None)
    with pytest.raises(ModelCallError) as caught:
        await team_for(server, model_retries=2).analyse_intent(REQUEST)
    error = caught.value
    assert error.code == "model_unavailable"
    assert "3 attempts" in error.message
    assert "Retry the task" in error.message
    for leak in (SECRET, "Traceback", "scripted failure"):
        assert leak not in error.message
        assert leak not in repr(error)
    assert server.requests_by_agent == {"intent": 3}


async def test_rejected_api_key_is_not_retried(server: FakeLLMServer, team_for: TeamFor) -> None:
    server.add_rule(Reply.error(401), times=None)
    with pytest.raises(ModelCallError) as caught:
        await team_for(server).analyse_intent(REQUEST)
    assert caught.value.code == "model_auth_failed"
    assert SECRET not in caught.value.message
    assert server.requests_total == 1


async def test_output_that_stays_invalid_is_model_output_invalid(
    server: FakeLLMServer, team_for: TeamFor
) -> None:
    server.add_rule(Reply.invalid(), agent="intent", times=None)
    with pytest.raises(ModelCallError) as caught:
        await team_for(server, output_retries=3).analyse_intent(REQUEST)
    assert caught.value.code == "model_output_invalid"
    assert server.requests_by_agent == {"intent": 4}


async def test_a_slow_model_times_out(server: FakeLLMServer, team_for: TeamFor) -> None:
    server.add_rule(Reply.slow(3.0), agent="intent", times=None)
    started = time.monotonic()
    with pytest.raises(ModelCallError) as caught:
        await team_for(server, model_timeout_seconds=0.3, model_retries=0).analyse_intent(REQUEST)
    assert caught.value.code == "model_timeout"
    assert time.monotonic() - started < 2.9  # the answer would take 3 s: the call was cut
    assert server.requests_by_agent == {"intent": 1}


async def test_a_slow_answer_is_retried_after_a_timeout(
    server: FakeLLMServer, team_for: TeamFor
) -> None:
    server.add_rule(Reply.slow(3.0), agent="intent", times=1)
    intent = await team_for(server, model_timeout_seconds=0.5, model_retries=1).analyse_intent(
        REQUEST
    )
    assert intent.total_weeks == 12
    assert server.requests_by_agent == {"intent": 2}


async def test_concurrency_limit_holds_over_http(server: FakeLLMServer, team_for: TeamFor) -> None:
    server.latency = 0.05
    team = team_for(server, model_concurrency=3)
    intent = await team.analyse_intent(REQUEST)
    framework = await team.design_curriculum(REQUEST, intent)
    server.reset()
    await asyncio.gather(*(team.write_quiz(b) for b in briefs(REQUEST, intent, framework)[:9]))
    assert server.requests_by_agent == {"quiz": 9}
    assert server.max_concurrent == 3


async def test_a_team_closes_the_http_session_it_opened(
    server: FakeLLMServer, team_for: TeamFor
) -> None:
    team = team_for(server)
    await team.analyse_intent(REQUEST)
    model = team._intent.model.wrapped
    assert isinstance(model, OpenAIChatModel)
    session = model.client._client._transport.client
    assert isinstance(session, aiohttp.ClientSession) and not session.closed
    await team.aclose()
    assert session.closed


async def test_the_runtime_closes_the_team_it_runs(tmp_path: Path) -> None:
    closed: list[bool] = []

    class ClosingTeam(TinyTeam):
        async def aclose(self) -> None:
            closed.append(True)

    config = settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'closing.db'}")
    async with open_runtime(config, background=False, team=ClosingTeam()):
        assert closed == []
    assert closed == [True]
