"""One model request per attempt for a structured answer, without pydantic-ai's agent run.

``Agent.run`` builds a run graph, capabilities, run contexts and task groups for every call:
4–6 ms of the worker's CPU per model call (bench/README.md, ``percall.py``) for what a
structured agent needs, which is one request, one validation of the answer and, when the
answer is invalid, the re-ask pydantic-ai would send. This module does only that, on
pydantic-ai's models and providers, so the provider receives the same request as through
``Agent.run`` (``tests/unit/test_asking.py`` compares the bytes sent):

* the output tool (or, in ``native`` style, the response format) comes from pydantic-ai's own
  output schema, built once per agent; the request parameters are built once per
  instructions text. They are passed to the model as ``Agent.run`` passes them: the model
  adapts them to its provider inside ``request``, as it does for an agent run;
* an invalid answer is re-asked with the parts pydantic-ai sends: the failed tool call is
  answered with its validation errors (a retried tool return), text instead of the tool call
  gets the "include your response in a tool call" feedback, an invalid ``native`` answer its
  validation errors as retry feedback; after ``retries`` re-asks the call fails with pydantic-ai's
  ``UnexpectedModelBehavior``, which ``learnpath.llm.errors`` maps to ``model_output_invalid``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

from pydantic import ValidationError
from pydantic_ai import NativeOutput, ToolOutput
from pydantic_ai._output import (
    NativeOutputSchema,
    ObjectOutputProcessor,
    OutputSchema,
    ToolOutputSchema,
    build_retried_tool_return,
    is_incomplete_json,
)
from pydantic_ai.exceptions import (
    ContentFilterError,
    ModelRetry,
    OutputTokenLimitExceeded,
    UnexpectedModelBehavior,
)
from pydantic_ai.messages import (
    InstructionPart,
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    RetryFeedbackPart,
    RetryInfo,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models import Model, ModelRequestParameters

T = TypeVar("T")

Check = Callable[[Any, T, bool], T]
"""An output check: ``(deps, output, last_attempt) -> output``; raises ``ModelRetry`` to re-ask.

``last_attempt`` is true when no re-ask is left (a check may then accept what it would
otherwise send back)."""

NO_TOOL_CALL = "Please include your response in a tool call."
"""pydantic-ai's feedback for an answer without the output tool call (tool style)."""
NO_TEXT = "Please return text."
"""pydantic-ai's feedback for an empty answer (native style)."""


class _Retry(Exception):
    """An answer that must be re-asked with ``parts``."""

    def __init__(self, parts: list[ModelRequestPart]) -> None:
        super().__init__("re-ask")
        self.parts = parts


@dataclass
class AnswerFormat(Generic[T]):
    """How the answer is asked for and read: built once per agent."""

    tool: str
    native: bool
    processor: ObjectOutputProcessor[T]
    base: ModelRequestParameters
    _by_instructions: dict[str, ModelRequestParameters] = field(default_factory=dict)

    def parameters(self, instructions: str) -> ModelRequestParameters:
        """The request parameters with ``instructions`` (one object per instructions text)."""
        params = self._by_instructions.get(instructions)
        if params is None:
            params = replace(self.base, instruction_parts=[InstructionPart(content=instructions)])
            self._by_instructions[instructions] = params
        return params

    def read(self, data: str | dict[str, Any] | None) -> T:
        """The answer validated with the output type (JSON text or the tool call's arguments)."""
        value: T = self.processor.validate(data)  # type: ignore[assignment]
        return value


def answer_format(
    output_type: type[T], tool: str, mode: Literal["tool", "native"], strict: bool
) -> AnswerFormat[T]:
    """The output tool (or response format) named ``tool`` for ``output_type``.

    Built with pydantic-ai's output schema, as ``Agent(output_type=ToolOutput(...))`` or
    ``NativeOutput(...)`` builds it, so the definition sent is the one an agent run sends.
    """
    flag = True if strict else None
    if mode == "native":
        native = OutputSchema.build(NativeOutput(output_type, name=tool, strict=flag))
        assert isinstance(native, NativeOutputSchema)
        processor = native.processor
        base = ModelRequestParameters(
            output_mode="native", output_object=native.object_def, allow_text_output=True
        )
    else:
        schema = OutputSchema.build(ToolOutput(output_type, name=tool, strict=flag))
        assert isinstance(schema, ToolOutputSchema)
        assert schema.toolset is not None
        processor = schema.toolset.processors[tool]
        base = ModelRequestParameters(
            output_mode="tool",
            output_tools=[
                replace(t, toolset_id=schema.toolset.id) for t in schema.toolset._tool_defs
            ],
            allow_text_output=False,
        )
    assert isinstance(processor, ObjectOutputProcessor)
    assert processor.hook_unwrap_key is None  # a model's fields, not one wrapped value
    return AnswerFormat(
        tool=tool,
        native=mode == "native",
        processor=processor,
        base=base,
    )


async def ask(
    model: Model,
    answer: AnswerFormat[T],
    prompt: str,
    instructions: str,
    *,
    retries: int,
    deps: Any = None,
    check: Check[T] | None = None,
) -> T:
    """Ask ``model`` once, and again with the validation feedback up to ``retries`` times.

    Raises ``UnexpectedModelBehavior`` when no valid answer came; anything the model raises
    passes through.
    """
    instructions = instructions.strip()  # as pydantic-ai sends instructions
    params = answer.parameters(instructions)
    history: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart(prompt)], instructions=instructions)
    ]
    used = 0
    while True:
        response = await model.request(model.prepare_messages(history, params), None, params)
        history.append(response)
        try:
            return _output(answer, response, deps, check, last=used >= retries)
        except _Retry as retry:
            used += 1
            if used > retries:
                raise UnexpectedModelBehavior(
                    f"Exceeded maximum output retries ({retries})"
                ) from retry
            for part in retry.parts:
                if isinstance(part, RetryFeedbackPart):
                    part.retry = replace(part.retry, attempt=used, max_retries=retries)
            history.append(ModelRequest(parts=retry.parts, instructions=instructions))


def _output(
    answer: AnswerFormat[T],
    response: ModelResponse,
    deps: Any,
    check: Check[T] | None,
    *,
    last: bool,
) -> T:
    """The valid answer in ``response``, or ``_Retry`` with what re-asks for it."""
    calls = [part for part in response.parts if isinstance(part, ToolCallPart)]
    if calls:
        return _from_calls(answer, calls, deps, check, last=last)
    text = "".join(part.content for part in response.parts if isinstance(part, TextPart))
    if not text:
        _raise_if_no_answer_can_come(response)
    if not answer.native:
        raise _Retry([_feedback(NO_TOOL_CALL, "no_output")])
    if not text:
        raise _Retry([_feedback(NO_TEXT, "no_output")])
    try:
        return _checked(answer.read(text), deps, check, last=last)
    except ValidationError as exc:
        if response.finish_reason == "length" and is_incomplete_json(exc):
            raise OutputTokenLimitExceeded(
                "The model's token limit cut the structured answer off."
            ) from exc
        errors = exc.errors(include_url=False, include_context=False)
        raise _Retry([_feedback(errors, "validation_error")]) from exc
    except ModelRetry as exc:
        raise _Retry([_feedback(exc.message, "model_retry")]) from exc


def _from_calls(
    answer: AnswerFormat[T],
    calls: list[ToolCallPart],
    deps: Any,
    check: Check[T] | None,
    *,
    last: bool,
) -> T:
    """The first valid output tool call's answer; else every call answered with its error."""
    parts: list[ModelRequestPart] = []
    for call in calls:
        if answer.native or call.tool_name != answer.tool:
            parts.append(_unknown_tool(answer, call))
            continue
        try:
            return _checked(answer.read(call.args), deps, check, last=last)
        except (ValidationError, ModelRetry) as exc:
            parts.append(
                build_retried_tool_return(
                    exc, tool_name=call.tool_name, tool_call_id=call.tool_call_id
                )
            )
    raise _Retry(parts)


def _checked(output: T, deps: Any, check: Check[T] | None, *, last: bool) -> T:
    return check(deps, output, last) if check is not None else output


def _unknown_tool(answer: AnswerFormat[Any], call: ToolCallPart) -> ModelRequestPart:
    available = "No tools available." if answer.native else f"Available tools: {answer.tool!r}"
    message = f"Unknown tool name: {call.tool_name!r}. {available}"
    return build_retried_tool_return(
        ModelRetry(message), tool_name=call.tool_name, tool_call_id=call.tool_call_id
    )


def _feedback(
    content: Any, cause: Literal["no_output", "validation_error", "model_retry"]
) -> RetryFeedbackPart:
    return RetryFeedbackPart(content=content, retry=RetryInfo(cause=cause))


def _raise_if_no_answer_can_come(response: ModelResponse) -> None:
    """An empty answer cut off by the token limit or refused is not re-asked (as pydantic-ai)."""
    if response.finish_reason == "length":
        raise OutputTokenLimitExceeded(
            "The model's token limit was reached before any answer was generated."
        )
    if response.finish_reason == "content_filter":
        raise ContentFilterError("The model's content filter stopped the answer.")
