"""The one error the LLM layer raises for a call that cannot succeed, and how we map to it.

``ModelCallError.code`` is stable and machine-readable (it becomes a task's ``error_code``);
``message`` is written for the user: it says what went wrong and what to do, and never
contains a secret, an API key, a response body or a traceback.
"""

from __future__ import annotations

from pydantic_ai.exceptions import (
    ContentFilterError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelRequestTimeout,
    ModelTimeoutError,
    UnexpectedModelBehavior,
    UserError,
)

from learnpath.llm.usage import record_invalid_output

MODEL_OUTPUT_INVALID = "model_output_invalid"
MODEL_UNAVAILABLE = "model_unavailable"
MODEL_TIMEOUT = "model_timeout"
MODEL_RATE_LIMITED = "model_rate_limited"
MODEL_REFUSED = "model_refused"
MODEL_AUTH_FAILED = "model_auth_failed"
MODEL_NOT_FOUND = "model_not_found"
MODEL_MISCONFIGURED = "model_misconfigured"


class ModelCallError(Exception):
    """A model call failed for good (after any retries); ``code`` says why, ``message`` what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ModelCallError(code={self.code!r}, message={self.message!r})"


def rate_limit_exhausted(
    *, model: str, attempts: int, waited: float, patience: float
) -> ModelCallError:
    """The error of a call the provider kept answering 429 for longer than the patience."""
    return ModelCallError(
        MODEL_RATE_LIMITED,
        f"The model provider for {model} kept rate-limiting requests for {waited:.0f} s "
        f"({attempts} attempts), beyond the patience of {patience:g} s. Retry the task later, "
        "check the account's rate limits, or raise LEARNPATH_MODEL_RATE_LIMIT_PATIENCE_SECONDS.",
    )


def error_for(
    exc: BaseException, *, model: str, attempts: int = 1, agent: str | None = None
) -> ModelCallError:
    """Translate a pydantic-ai (or asyncio) failure into a ``ModelCallError``.

    ``model`` is the safe display name of the model (never a URL with credentials); an
    invalid final answer is counted against ``agent``'s usage.
    """
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts > 1 else ""
    if isinstance(exc, ModelCallError):
        return exc
    if isinstance(exc, ContentFilterError):
        return ModelCallError(
            MODEL_REFUSED,
            f"The model {model} refused to answer (content filter). Rephrase the goal or "
            "instructions, or configure another model with LEARNPATH_MODEL.",
        )
    if isinstance(exc, UnexpectedModelBehavior):
        if agent is not None:
            record_invalid_output(agent)
        return ModelCallError(
            MODEL_OUTPUT_INVALID,
            f"The model {model} did not return valid structured output even after being asked "
            "to correct it. Retry the task; if it keeps failing, raise LEARNPATH_OUTPUT_RETRIES "
            "or configure a more capable model with LEARNPATH_MODEL.",
        )
    if isinstance(exc, TimeoutError | ModelTimeoutError | ModelRequestTimeout):
        return ModelCallError(
            MODEL_TIMEOUT,
            f"The model {model} did not answer in time{tries}. Retry the task later, or raise "
            "LEARNPATH_MODEL_TIMEOUT_SECONDS for a slow model.",
        )
    if isinstance(exc, ModelQuotaExceededError):
        return ModelCallError(
            MODEL_RATE_LIMITED,
            f"The model provider for {model} reports the account's quota or credits are "
            "exhausted. Top up the account or configure another model, then retry the task.",
        )
    if isinstance(exc, ModelRateLimitError):
        return ModelCallError(
            MODEL_RATE_LIMITED,
            f"The model provider for {model} kept rate-limiting requests{tries}. Retry the task "
            "later, or raise LEARNPATH_MODEL_RATE_LIMIT_PATIENCE_SECONDS.",
        )
    if isinstance(exc, ModelAuthenticationError):
        return ModelCallError(
            MODEL_AUTH_FAILED,
            f"The model provider for {model} rejected the credentials. Check "
            "LEARNPATH_MODEL_API_KEY (or the provider's own API key variable), then retry.",
        )
    if isinstance(exc, ModelNotFoundError):
        return ModelCallError(
            MODEL_NOT_FOUND,
            f"The model provider does not know the model {model}. Check the model name in "
            "LEARNPATH_MODEL (or LEARNPATH_AGENT_MODELS) and the base URL, then retry.",
        )
    if isinstance(exc, ModelRequestRejectedError):
        return ModelCallError(
            MODEL_REFUSED,
            f"The model {model} rejected the request. Try a shorter goal or another model; "
            "retrying unchanged will not help.",
        )
    if isinstance(exc, ModelConnectionError):
        return ModelCallError(
            MODEL_UNAVAILABLE,
            f"Could not reach the model {model}{tries}. Check the network and the base URL in "
            "LEARNPATH_MODEL, then retry the task.",
        )
    if isinstance(exc, ModelAPIError):
        return ModelCallError(
            MODEL_UNAVAILABLE,
            f"The model service for {model} kept failing{tries}. Retry the task later or "
            "configure another model with LEARNPATH_MODEL.",
        )
    if isinstance(exc, UserError):  # the request cannot be made as configured
        return ModelCallError(
            MODEL_MISCONFIGURED,
            f"The model {model} cannot be asked as configured: {exc} Check LEARNPATH_MODEL, "
            "and LEARNPATH_OUTPUT_MODE (tool or native) for the structured output it supports.",
        )
    return ModelCallError(
        MODEL_UNAVAILABLE,
        f"The call to the model {model} failed unexpectedly ({type(exc).__name__}). Retry the "
        "task; if it keeps failing, run `learnpath doctor`.",
    )
