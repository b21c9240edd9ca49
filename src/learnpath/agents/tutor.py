"""Tutor agent: answers a learner's question about one concept, streaming Markdown that cites
the concept's numbered sources as ``[n]`` (``learnpath.domain.tutor``).

It runs on ``LEARNPATH_MODEL`` (or ``LEARNPATH_AGENT_MODELS["tutor"]``) through the same
``GuardedModel`` as the other agents: the process-wide concurrency limit, usage accounting and
error translation. A streamed answer cannot be retried once text has gone out, so transient
failures (429, 5xx, a dropped connection) are retried only before the first token, with the
usual ``RetryPolicy``. The offline model streams ``domain.tutor.offline_answer`` for the
prompt's input block, so the offline tutor runs this same code path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCalls, FunctionModel

from learnpath.agents.prompting import NUL, REPLACEMENT, instructions, user_prompt
from learnpath.domain.tutor import HISTORY_TURNS, Source, offline_answer
from learnpath.llm.errors import ModelCallError, error_for
from learnpath.llm.guard import Sleep
from learnpath.llm.models import build_remote_model, guarded, spec_for_agent
from learnpath.llm.offline import prompt_context
from learnpath.llm.retry import RetryPolicy, is_retryable, next_delay, retry_after_of
from learnpath.settings import Settings

TUTOR_AGENT = "tutor"
OFFLINE_CHUNK_WORDS = 3


@dataclass(frozen=True)
class TutorQuestion:
    """A question with everything its answer may use."""

    question: str
    language: str
    concept_name: str
    concept_description: str
    sources: list[Source]
    history: list[tuple[str, str]] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        """The prompt's input block (also what the offline model and the fake server read)."""
        return {
            "language": self.language,
            "question": self.question,
            "concept": {"name": self.concept_name, "description": self.concept_description},
            "sources": [s.model_dump(mode="json") for s in self.sources],
            "history": [
                {"role": role, "text": text} for role, text in self.history[-HISTORY_TURNS:]
            ],
        }


def answer_for_context(context: dict[str, Any]) -> str:
    """The offline answer for a prompt's input block (the fake server answers with it too)."""
    sources = [Source.model_validate(s) for s in context.get("sources") or []]
    return offline_answer(
        str(context.get("question", "")), sources, str(context.get("language") or "en")
    )


def _chunks(text: str) -> list[str]:
    words = text.split(" ")
    return [
        " ".join(words[i : i + OFFLINE_CHUNK_WORDS])
        + (" " if i + OFFLINE_CHUNK_WORDS < len(words) else "")
        for i in range(0, len(words), OFFLINE_CHUNK_WORDS)
    ]


async def _offline_stream(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls]:
    for chunk in _chunks(answer_for_context(prompt_context(messages))):
        yield chunk


async def _offline_whole(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[TextPart(answer_for_context(prompt_context(messages)))])


def offline_tutor_model() -> FunctionModel:
    """The offline tutor: deterministic, grounded, streamed a few words at a time."""
    return FunctionModel(_offline_whole, stream_function=_offline_stream, model_name="offline")


class Tutor:
    """The tutor agent on its guarded model; ``stream`` yields an answer as it is written."""

    def __init__(self, settings: Settings, *, sleep: Sleep = asyncio.sleep) -> None:
        spec = spec_for_agent(settings, TUTOR_AGENT)
        inner = (
            offline_tutor_model()
            if spec.kind == "offline"
            else build_remote_model(spec, settings.model_api_key)
        )
        self.model = guarded(settings, inner, spec.label, sleep=sleep, agent=TUTOR_AGENT)
        self.policy: RetryPolicy = self.model.policy
        self.timeout = settings.model_timeout_seconds
        self._sleep = sleep
        self._agent: Agent[None, str] = Agent(self.model, output_type=str, name=TUTOR_AGENT)

    @property
    def generated_by(self) -> str:
        """``offline`` for the offline model, else the model's safe display name."""
        return self.model.display_name

    async def stream(self, ask: TutorQuestion) -> AsyncIterator[str]:
        """Yield the answer's text in pieces; raises ``ModelCallError`` when it fails.

        No piece arrives more than ``LEARNPATH_MODEL_TIMEOUT_SECONDS`` after the previous one
        (or after the start), else the answer fails with ``model_timeout``.
        """
        attempt = 0
        while True:
            attempt += 1
            written = False
            try:
                async for piece in self._attempt(ask):
                    written = True
                    yield piece
                return
            except ModelCallError:
                raise
            except Exception as exc:
                delay = next_delay(self.policy, attempt, retry_after_of(exc))
                if written or not is_retryable(exc) or delay is None:
                    raise error_for(
                        exc, model=self.generated_by, attempts=attempt, agent=TUTOR_AGENT
                    ) from exc
                await self._sleep(delay)

    async def _attempt(self, ask: TutorQuestion) -> AsyncIterator[str]:
        prompt = user_prompt(
            f"Answer the learner's question about {ask.concept_name!r}.", ask.context()
        )
        async with asyncio.timeout(self.timeout) as deadline:
            async with self._agent.run_stream(
                prompt, instructions=instructions("tutor", ask.language)
            ) as result:
                async for piece in result.stream_text(delta=True, debounce_by=None):
                    deadline.reschedule(asyncio.get_running_loop().time() + self.timeout)
                    if piece:
                        yield piece.replace(NUL, REPLACEMENT)  # PostgreSQL text holds no NUL
