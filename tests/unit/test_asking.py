"""One model request per attempt (``learnpath.agents.asking``) sends what ``Agent.run`` sent.

The reference is a pydantic-ai ``Agent`` built as the structured agents were built before
(``ToolOutput`` or ``NativeOutput`` named after the output tool, ``retries={"output": n}``,
the editor's check as an output validator), on pydantic-ai's OpenAI chat model over the
SDK's own client. The agent asks on the model a team builds (``ModelCache``: the
``LeanOpenAI`` client, parameters customized once). Both models' HTTP transport records each
request body and answers from a script; the bodies must be equal,
request by request, including the re-asks, and so must the answers and the errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI
from pydantic_ai import Agent, ModelRetry, NativeOutput, RunContext, ToolOutput
from pydantic_ai.exceptions import (
    ContentFilterError,
    OutputTokenLimitExceeded,
    UnexpectedModelBehavior,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

from learnpath.agents import editor, intent
from learnpath.agents.prompting import (
    TOOL_OUTPUT,
    OutputStyle,
    StructuredAgent,
    instructions,
    user_prompt,
)
from learnpath.domain.roadmap import EditError, EditPlan, Framework, apply_edits
from learnpath.llm.errors import MODEL_OUTPUT_INVALID, MODEL_REFUSED, ModelCallError
from learnpath.llm.guard import GuardedModel
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.models import ModelCache, parse_model_spec
from learnpath.llm.retry import RetryPolicy
from learnpath.llm.usage import track_usage
from tests.schema_contract import AGENTS, FRAMEWORK

STYLES = [
    TOOL_OUTPUT,
    OutputStyle(strict=True),
    OutputStyle(mode="native"),
    OutputStyle(mode="native", strict=True),
]
STYLE_IDS = ["tool", "tool-strict", "native", "native-strict"]
CONTEXT = {"language": "en", "goal": "Become a data engineer"}
INTENT = {
    "goal_summary": "g",
    "target_role": "r",
    "domain": "data",
    "key_skills": ["SQL"],
    "weekly_hours": 8,
    "total_weeks": 12,
}
BAD_PLAN = {"operations": [{"op": "remove", "target_id": "nowhere"}]}
GOOD_PLAN = {"operations": [{"op": "rename", "target_id": "s1", "name": "First"}]}

Answer = dict[str, Any]


def completion(message: dict[str, Any], finish: str = "stop") -> Answer:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }


def call(name: str, args: Any, call_id: str) -> Answer:
    arguments = args if isinstance(args, str) else json.dumps(args)
    return completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ],
        },
        finish="tool_calls",
    )


def text(content: str) -> Answer:
    return completion({"role": "assistant", "content": content})


class Scripted:
    """An OpenAI chat model over a transport that records bodies and answers from ``script``."""

    def __init__(self, script: list[Answer]) -> None:
        self.script = list(script)
        self.bodies: list[Any] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, json=self.script.pop(0))

    def _http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._handle))

    def model(self, *, as_a_team_builds_it: bool = False) -> GuardedModel:
        """The SDK's own client and pydantic-ai's model, or (``as_a_team_builds_it``) the
        model a team's ``ModelCache`` builds: a ``LeanOpenAI`` client, parameters
        customized once."""
        chat: Model
        if as_a_team_builds_it:
            cache = ModelCache(own_clients=True, http_client_factory=self._http_client)
            chat = cache.model(parse_model_spec("http://model.invalid/v1#m"), "k")
        else:
            client = AsyncOpenAI(
                base_url="http://model.invalid/v1", api_key="k", http_client=self._http_client()
            )
            chat = OpenAIChatModel("m", provider=OpenAIProvider(openai_client=client))
        return GuardedModel(
            chat,
            display_name="m",
            limiter=ModelLimiter(4),
            timeout=5.0,
            policy=RetryPolicy(retries=0),
            agent="test",
        )


def _applies(ctx: RunContext[Framework], plan: EditPlan) -> EditPlan:
    """The editor's check as the pydantic-ai output validator it was."""
    if ctx.retry >= ctx.max_retries:
        return plan
    try:
        apply_edits(ctx.deps, plan.operations)
    except EditError as exc:
        raise ModelRetry(f"The plan cannot be applied: {exc}. Use only existing ids.") from exc
    return plan


def reference_agent(
    agent: StructuredAgent[Any], model: Model, style: OutputStyle
) -> Agent[Any, Any]:
    """The pydantic-ai agent ``agent`` was built as before it asked directly."""
    answer = agent.answer
    output_type = answer.processor.output_type
    strict = True if style.strict else None
    output: Any = (
        NativeOutput(output_type, name=answer.tool, strict=strict)
        if style.mode == "native"
        else ToolOutput(output_type, name=answer.tool, strict=strict)
    )
    reference: Agent[Any, Any] = Agent(
        model, output_type=output, retries={"output": agent.output_retries}
    )
    reference.instrument = False
    if agent.check is not None:
        reference.output_validator(_applies)
    return reference


Build = Callable[[GuardedModel, int, OutputStyle], StructuredAgent[Any]]


async def both(
    build: Build, style: OutputStyle, script: list[Answer], retries: int, deps: Any = None
) -> tuple[Scripted, Scripted, Any, Any]:
    """Ask through ``build``'s agent and through the reference; the transports and outcomes."""
    direct, through_run = Scripted(script), Scripted(script)
    agent = build(direct.model(as_a_team_builds_it=True), retries, style)
    reference = reference_agent(
        build(through_run.model(), retries, style), through_run.model(), style
    )
    prompt = "Answer the task."
    outcome: Any
    try:
        outcome = await agent.ask(prompt, CONTEXT, "en", deps=deps)
    except ModelCallError as exc:
        outcome = exc
    expected: Any
    try:
        result = await reference.run(
            user_prompt(prompt, CONTEXT), instructions=instructions(agent.prompt, "en"), deps=deps
        )
        expected = result.output
    except UnexpectedModelBehavior as exc:
        expected = exc
    return direct, through_run, outcome, expected


@pytest.mark.parametrize("style", STYLES, ids=STYLE_IDS)
@pytest.mark.parametrize("name", sorted(AGENTS))
async def test_every_agent_sends_the_first_request_agent_run_sent(
    name: str, style: OutputStyle
) -> None:
    direct, through_run, outcome, expected = await both(
        AGENTS[name], style, [text("no"), text("no")], retries=0, deps=FRAMEWORK
    )
    assert len(direct.bodies) == 1
    assert direct.bodies == through_run.bodies
    assert isinstance(outcome, ModelCallError) and outcome.code == MODEL_OUTPUT_INVALID
    assert isinstance(expected, UnexpectedModelBehavior)


async def test_tool_re_asks_are_the_ones_agent_run_sent() -> None:
    script = [
        call("intent_analysis", {"goal_summary": "g"}, "call_1"),
        text("Here is my analysis."),
        call("somewhere_else", INTENT, "call_3"),
        call("intent_analysis", "{not json", "call_4"),
        call("intent_analysis", INTENT, "call_5"),
    ]
    direct, through_run, outcome, expected = await both(intent.build, TOOL_OUTPUT, script, 4)
    assert len(direct.bodies) == 5
    assert direct.bodies == through_run.bodies
    assert outcome == expected and outcome.key_skills == ["SQL"]


@pytest.mark.parametrize("strict", [False, True])
async def test_native_re_asks_are_the_ones_agent_run_sent(strict: bool) -> None:
    script = [
        text(json.dumps({"goal_summary": "g"})),
        text(""),
        text("```json\n" + json.dumps(INTENT) + "\n```"),
    ]
    style = OutputStyle(mode="native", strict=strict)
    direct, through_run, outcome, expected = await both(intent.build, style, script, 2)
    assert len(direct.bodies) == 3
    assert direct.bodies == through_run.bodies
    assert outcome == expected and outcome.domain == "data"


@pytest.mark.parametrize("style", [TOOL_OUTPUT, OutputStyle(mode="native")], ids=["tool", "native"])
async def test_a_check_re_asks_with_its_message_as_an_output_validator_did(
    style: OutputStyle,
) -> None:
    def answer(plan: Answer, call_id: str) -> Answer:
        return (
            text(json.dumps(plan)) if style.mode == "native" else call("edit_plan", plan, call_id)
        )

    script = [answer(BAD_PLAN, "call_1"), answer(GOOD_PLAN, "call_2")]
    direct, through_run, outcome, expected = await both(
        editor.build, style, script, 2, deps=FRAMEWORK
    )
    assert len(direct.bodies) == 2
    assert direct.bodies == through_run.bodies
    assert "cannot be applied" in json.dumps(direct.bodies[1]["messages"][-1])
    assert outcome == expected and outcome.operations[0].name == "First"


async def test_the_check_accepts_the_last_answer_as_the_validator_did() -> None:
    script = [call("edit_plan", BAD_PLAN, "call_1"), call("edit_plan", BAD_PLAN, "call_2")]
    direct, through_run, outcome, expected = await both(
        editor.build, TOOL_OUTPUT, script, 1, deps=FRAMEWORK
    )
    assert direct.bodies == through_run.bodies
    assert outcome == expected and outcome.operations[0].target_id == "nowhere"


@pytest.mark.parametrize("style", [TOOL_OUTPUT, OutputStyle(mode="native")], ids=["tool", "native"])
async def test_answers_invalid_after_every_re_ask_are_model_output_invalid(
    style: OutputStyle,
) -> None:
    bad = text("{}") if style.mode == "native" else call("intent_analysis", {}, "call_1")
    direct, through_run, outcome, expected = await both(intent.build, style, [bad] * 3, 2)
    assert len(direct.bodies) == len(through_run.bodies) == 3
    assert direct.bodies == through_run.bodies
    assert isinstance(outcome, ModelCallError) and outcome.code == MODEL_OUTPUT_INVALID
    assert "did not return valid structured output" in outcome.message
    assert isinstance(expected, UnexpectedModelBehavior)
    assert expected.message == "Exceeded maximum output retries (2)"


async def test_every_invalid_tool_answer_is_counted_as_invalid_output() -> None:
    scripted = Scripted([call("intent_analysis", {}, f"call_{n}") for n in range(3)])
    agent = intent.build(scripted.model(), 2, TOOL_OUTPUT)
    with track_usage() as usage, pytest.raises(ModelCallError):
        await agent.ask("Answer the task.", CONTEXT, "en")
    # Two re-asks (seen by the guard) and the answer given up on (counted by the error).
    assert usage.attempts() == [("test", "invalid_output", 3)]


async def test_a_native_answer_cut_off_by_the_token_limit_is_not_re_asked() -> None:
    cut = completion({"role": "assistant", "content": '{"goal_summary": "g'}, finish="length")
    style = OutputStyle(mode="native")
    direct, through_run, outcome, expected = await both(intent.build, style, [cut, cut], 2)
    assert len(direct.bodies) == len(through_run.bodies) == 1
    assert isinstance(outcome, ModelCallError) and outcome.code == MODEL_OUTPUT_INVALID
    assert isinstance(expected, OutputTokenLimitExceeded)


async def test_an_empty_answer_stopped_by_the_content_filter_is_a_refusal() -> None:
    empty = completion({"role": "assistant", "content": ""}, finish="content_filter")
    direct, through_run, outcome, expected = await both(intent.build, TOOL_OUTPUT, [empty] * 2, 2)
    assert len(direct.bodies) == len(through_run.bodies) == 1
    assert isinstance(outcome, ModelCallError) and outcome.code == MODEL_REFUSED
    assert isinstance(expected, ContentFilterError)


class Recording(WrapperModel):
    """Records the parameters each request is made with."""

    def __init__(self, wrapped: Model) -> None:
        super().__init__(wrapped)
        self.seen: list[ModelRequestParameters] = []

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        self.seen.append(model_request_parameters)
        return await self.wrapped.request(messages, model_settings, model_request_parameters)


def _stop(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    if info.output_tools:
        return ModelResponse(parts=[ToolCallPart("nothing", {})])
    return ModelResponse(parts=[TextPart("no")])


def _guarded(model: Model) -> GuardedModel:
    return GuardedModel(
        model,
        display_name="f",
        limiter=ModelLimiter(4),
        timeout=5.0,
        policy=RetryPolicy(retries=0),
    )


@pytest.mark.parametrize("style", STYLES, ids=STYLE_IDS)
@pytest.mark.parametrize("name", sorted(AGENTS))
async def test_request_parameters_are_the_ones_agent_run_passes(
    name: str, style: OutputStyle
) -> None:
    direct, through_run = Recording(FunctionModel(_stop)), Recording(FunctionModel(_stop))
    agent = AGENTS[name](_guarded(direct), 0, style)
    reference = reference_agent(
        AGENTS[name](_guarded(through_run), 0, style), _guarded(through_run), style
    )
    with pytest.raises(ModelCallError):
        await agent.ask("Task.", CONTEXT, "en", deps=FRAMEWORK)
    with pytest.raises(UnexpectedModelBehavior):
        await reference.run(
            user_prompt("Task.", CONTEXT),
            instructions=instructions(agent.prompt, "en"),
            deps=FRAMEWORK,
        )
    mine, theirs = direct.seen[0], through_run.seen[0]
    for field in (
        "function_tools",
        "native_tools",
        "output_mode",
        "output_tools",
        "output_object",
        "prompted_output_template",
        "allow_text_output",
        "allow_image_output",
        "instruction_parts",
    ):
        assert getattr(mine, field) == getattr(theirs, field), field
