"""The offline model, used when no ``LEARNPATH_MODEL`` is configured.

``model`` answers every agent's output tool deterministically from the prompt's input block;
``content`` writes the texts (descriptions, tutorials, quizzes, resources, edit plans);
``topics`` finds the catalog domain of a goal or names a generic curriculum after it;
``catalog`` holds the domains, their keywords and sample curricula.
"""

from learnpath.llm.offline.model import (
    OFFLINE_MODEL_NAME,
    OUTPUT_TOOLS,
    Answer,
    Context,
    offline_answer,
    offline_model,
    plan_size,
    prompt_context,
    seed,
)

__all__ = [
    "OFFLINE_MODEL_NAME",
    "OUTPUT_TOOLS",
    "Answer",
    "Context",
    "offline_answer",
    "offline_model",
    "plan_size",
    "prompt_context",
    "seed",
]
