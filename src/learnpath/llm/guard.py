"""``GuardedModel``: the wrapper every agent's model goes through.

Around each request to the real model it applies, in order: transport retries (per
``RetryPolicy``, honouring ``Retry-After``), the process-wide concurrency slot (held only
while a request is in flight, not while backing off), the per-call timeout, and usage
accounting. A request that fails for good raises ``ModelCallError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, RetryPromptPart
from pydantic_ai.models import Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import RunContext

from learnpath.llm.errors import error_for
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.retry import (
    RetryPolicy,
    is_retryable,
    next_delay,
    outcome_of,
    retry_after_of,
)
from learnpath.llm.usage import (
    ANSWERED,
    UNKNOWN_AGENT,
    record_attempt,
    record_invalid_output,
    record_usage,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class GuardedModel(WrapperModel):
    """A model with retries, a concurrency limit, a per-call timeout and usage accounting."""

    def __init__(
        self,
        wrapped: Model,
        *,
        display_name: str,
        limiter: ModelLimiter,
        timeout: float,
        policy: RetryPolicy,
        sleep: Sleep = asyncio.sleep,
        agent: str = UNKNOWN_AGENT,
    ) -> None:
        super().__init__(wrapped)
        self.agent = agent
        self.display_name = display_name
        self.limiter = limiter
        self.timeout = timeout
        self.policy = policy
        self._sleep = sleep

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        settings = _without_sdk_retries(model_settings, self.timeout)
        if _is_reask(messages):
            record_invalid_output(self.agent)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self.limiter.slot():
                    async with asyncio.timeout(self.timeout):
                        response = await self.wrapped.request(
                            messages, settings, model_request_parameters
                        )
            except Exception as exc:
                delay = next_delay(self.policy, attempt, retry_after_of(exc))
                retry = is_retryable(exc) and delay is not None
                record_attempt(self.agent, outcome_of(exc, retried=retry))
                if not retry or delay is None:
                    raise error_for(exc, model=self.display_name, attempts=attempt) from exc
                log.warning(
                    "model %s call failed (%s), retry %d in %.2fs",
                    self.display_name,
                    type(exc).__name__,
                    attempt,
                    delay,
                )
                record_usage(retries=1)
                await self._sleep(delay)
                continue
            record_usage(
                requests=1,
                input_tokens=response.usage.input_tokens,
                output_tokens=response.usage.output_tokens,
            )
            record_attempt(
                self.agent,
                ANSWERED,
                input_tokens=response.usage.input_tokens,
                output_tokens=response.usage.output_tokens,
            )
            return response

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncIterator[StreamedResponse]:
        """Streamed requests get the concurrency slot and accounting, but no retries."""
        async with self.limiter.slot():
            async with self.wrapped.request_stream(
                messages, model_settings, model_request_parameters, run_context
            ) as stream:
                yield stream
            usage = stream.usage
            record_usage(
                requests=1, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
            )
            record_attempt(
                self.agent,
                ANSWERED,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
            )


def _is_reask(messages: list[ModelMessage]) -> bool:
    """True when the last message asks the model to correct its previous (invalid) answer."""
    last = messages[-1] if messages else None
    return isinstance(last, ModelRequest) and any(
        isinstance(part, RetryPromptPart) or getattr(part, "outcome", None) == "retried"
        for part in last.parts
    )


def _without_sdk_retries(model_settings: ModelSettings | None, timeout: float) -> ModelSettings:
    """Turn off the provider SDK's own retries (ours count and honour ``Retry-After``)."""
    settings: ModelSettings = model_settings.copy() if model_settings else ModelSettings()
    settings["max_retries"] = 0
    settings.setdefault("timeout", timeout)
    return settings
