"""The LLM layer: model resolution from settings, the offline model, limits, retries,
usage accounting and the errors a model call can end with.

The workflow engine uses ``track_usage`` (around a step) and catches ``ModelCallError``;
agents get their models from ``model_for(settings, agent_name)``.
"""

from learnpath.llm.errors import ModelCallError
from learnpath.llm.models import ModelSpec, model_for, parse_model_spec
from learnpath.llm.retry import RetryPolicy, next_delay
from learnpath.llm.usage import UsageTally, track_usage

__all__ = [
    "ModelCallError",
    "ModelSpec",
    "RetryPolicy",
    "UsageTally",
    "model_for",
    "next_delay",
    "parse_model_spec",
    "track_usage",
]
