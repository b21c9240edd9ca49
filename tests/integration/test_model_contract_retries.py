"""The output-retry setting is honoured exactly: 0 means an invalid answer is never re-asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.request import LearningRequest
from learnpath.llm.errors import ModelCallError
from learnpath.testing import FakeLLMServer, Reply
from tests.unit.conftest_llm import TODAY, RecordingSleep, settings

REQUEST = LearningRequest(goal="Become a backend engineer", hours_per_week=8, weeks=12)


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.mark.parametrize("retries", [0, 1])
async def test_output_retries_setting_is_the_number_of_re_asks(
    server: FakeLLMServer, retries: int
) -> None:
    server.add_rule(Reply.invalid(), agent="intent", times=None)
    config = settings(model=server.model_setting, output_retries=retries)
    team = LLMTeam(config, today=lambda: TODAY, sleep=RecordingSleep())
    try:
        with pytest.raises(ModelCallError) as caught:
            await team.analyse_intent(REQUEST)
    finally:
        await team.aclose()
    assert caught.value.code == "model_output_invalid"
    assert server.requests_by_agent == {"intent": 1 + retries}
