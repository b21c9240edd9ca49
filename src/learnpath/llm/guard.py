"""``GuardedModel``: the wrapper every agent's model goes through.

Around each request to the real model it applies, in order: transport retries (per
``RetryPolicy``, honouring ``Retry-After``), a place in the provider's adaptive window and
the process-wide concurrency slot (held only while a request is in flight, not while backing
off; see ``learnpath.llm.limits``), the per-call timeout, and usage accounting.

A 429 is not a failure: the call tells the provider's window (which shrinks, and pauses for
the provider's ``Retry-After``), waits, and tries again ahead of the queue, for as long as
``RetryPolicy.rate_limit_patience`` allows. Only real failures use up ``RetryPolicy.retries``.
A request that fails for good raises ``ModelCallError``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, RetryPromptPart
from pydantic_ai.models import Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import RunContext

from learnpath.llm.errors import error_for, rate_limit_exhausted
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.retry import (
    RetryPolicy,
    is_rate_limit,
    is_retryable,
    next_delay,
    outcome_of,
    rate_limit_delay,
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
Clock = Callable[[], float]


def provider_key(model: Model) -> str:
    """Which provider a model talks to, for its adaptive window: its system and base URL."""
    base_url = model.base_url
    return f"{model.system}@{base_url}" if base_url else model.system


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
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(wrapped)
        self.agent = agent
        self.display_name = display_name
        self.limiter = limiter
        self.provider_key = provider_key(self.wrapped)
        self.timeout = timeout
        self.policy = policy
        self._sleep = sleep
        self._clock = clock

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        settings = _without_sdk_retries(model_settings, self.timeout)
        if _is_reask(messages):
            record_invalid_output(self.agent)
        window = self.limiter.provider(self.provider_key)
        attempt = failures = limited = 0
        limited_since: float | None = None
        while True:
            attempt += 1
            try:
                async with self.limiter.slot(self.provider_key, resume=limited > 0) as sent_at:
                    try:
                        async with asyncio.timeout(self.timeout):
                            response = await self.wrapped.request(
                                messages, settings, model_request_parameters
                            )
                    except Exception as exc:
                        if is_rate_limit(exc):
                            window.rate_limited(sent_at, retry_after_of(exc))
                        raise
                    window.succeeded()
            except Exception as exc:
                retry_after = retry_after_of(exc)
                if is_rate_limit(exc):
                    now = self._clock()
                    limited += 1
                    limited_since = now if limited_since is None else limited_since
                    delay = rate_limit_delay(self.policy, limited, now - limited_since, retry_after)
                    if delay is None:
                        record_attempt(self.agent, outcome_of(exc, retried=False))
                        raise rate_limit_exhausted(
                            model=self.display_name,
                            attempts=attempt,
                            waited=now - limited_since,
                            patience=self.policy.rate_limit_patience,
                        ) from exc
                else:
                    failures += 1
                    limited = 0
                    limited_since = None
                    found = next_delay(self.policy, failures, retry_after)
                    if not is_retryable(exc) or found is None:
                        record_attempt(self.agent, outcome_of(exc, retried=False))
                        raise error_for(exc, model=self.display_name, attempts=attempt) from exc
                    delay = found
                record_attempt(self.agent, outcome_of(exc, retried=True))
                log.log(
                    logging.INFO if limited else logging.WARNING,
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
        window = self.limiter.provider(self.provider_key)
        async with self.limiter.slot(self.provider_key) as sent_at:
            try:
                async with self.wrapped.request_stream(
                    messages, model_settings, model_request_parameters, run_context
                ) as stream:
                    yield stream
            except Exception as exc:
                if is_rate_limit(exc):
                    window.rate_limited(sent_at, retry_after_of(exc))
                raise
            window.succeeded()
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
