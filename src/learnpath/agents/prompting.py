"""Prompt templates and the structured-output agent wrapper every agent module uses.

Templates live in ``agents/prompts/<name>.md`` (a ``<name>.<language>.md`` file, when
present, wins for that language) and use ``$language_name`` / ``$language`` placeholders, so
the model writes in the learner's language. The user prompt is a one-line task plus the
input as JSON (``learnpath.llm.context``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from pydantic_ai.exceptions import AgentRunError

from learnpath.agents import asking
from learnpath.agents.asking import AnswerFormat, Check
from learnpath.agents.team import ConceptBrief
from learnpath.llm.context import render_context
from learnpath.llm.errors import ModelCallError, error_for
from learnpath.llm.guard import GuardedModel

T = TypeVar("T")

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese (简体中文)",
    "es": "Spanish (español)",
    "fr": "French (français)",
    "de": "German (Deutsch)",
    "ja": "Japanese (日本語)",
    "pt": "Portuguese (português)",
}


@cache
def _template(name: str, language: str) -> Template:
    folder = files("learnpath.agents").joinpath("prompts")
    localized = folder.joinpath(f"{name}.{language}.md")
    source = localized if localized.is_file() else folder.joinpath(f"{name}.md")
    return Template(source.read_text(encoding="utf-8"))


@cache
def instructions(name: str, language: str) -> str:
    """The system instructions of prompt ``name`` for output in ``language`` (built once)."""
    return _template(name, language).substitute(
        language=language, language_name=LANGUAGE_NAMES.get(language, language)
    )


def user_prompt(task: str, context: dict[str, Any]) -> str:
    return f"{task}\n\n{render_context(context)}"


def brief_context(brief: ConceptBrief) -> dict[str, Any]:
    """What a content agent is told about its concept."""
    request = brief.request
    return {
        "language": request.language,
        "request": {
            "goal": request.goal,
            "level": request.level.value,
            "background": request.background,
            "preferences": [p.value for p in request.preferences],
            "language": request.language,
        },
        "intent": {"target_role": brief.intent.target_role, "domain": brief.intent.domain},
        "roadmap_title": brief.roadmap_title,
        "stage": {"id": brief.stage.id, "name": brief.stage.name},
        "module": {"id": brief.module.id, "name": brief.module.name},
        "concept": brief.concept.model_dump(mode="json", exclude={"prerequisites"}),
        # Names and summaries, not bare ids: the writer can refer back to what was learned.
        "prerequisites": [{"name": p.name, "summary": p.description} for p in brief.prerequisites],
        "instructions": brief.instructions,
    }


NUL = "\x00"
REPLACEMENT = "\ufffd"
_ESCAPED_NUL = "\\u0000"  # how JSON writes a NUL character


def without_nul(output: T) -> T:
    """``output`` with every NUL character of its text replaced by U+FFFD.

    Any JSON string may hold ``\u0000`` and a schema cannot forbid it, but PostgreSQL text
    cannot store it: a model that writes one must not crash the step that saves its answer.
    The replacement keeps every string as long as it was, so the answer still validates.
    """
    if not isinstance(output, BaseModel):
        return output
    # One serialisation in pydantic-core finds the (rare) NUL; only then is the answer walked
    # and validated again. An escaped backslash before "u0000" also matches: that costs a
    # walk that changes nothing, never a wrong answer.
    if _ESCAPED_NUL not in output.model_dump_json():
        return output
    dumped = output.model_dump(mode="json")
    cleaned = _replace_nul(dumped)
    if cleaned == dumped:
        return output
    return type(output).model_validate(cleaned)


def _replace_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, list):
        return [_replace_nul(item) for item in value]
    if isinstance(value, dict):
        return {_replace_nul(k): _replace_nul(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class OutputStyle:
    """How an agent asks the model for its structured answer.

    ``tool``: the answer is the arguments of an output tool the model must call (what most
    providers support best). ``native``: the answer is the message itself, held to a JSON
    schema through the provider's structured-output feature (OpenAI's ``response_format``
    ``json_schema``), for OpenAI-compatible servers that have no tool calling. ``strict`` asks
    the provider to hold the answer to the schema exactly where it supports that (OpenAI's
    ``strict: true``); providers without it ignore the flag.
    """

    mode: Literal["tool", "native"] = "tool"
    strict: bool = False


TOOL_OUTPUT = OutputStyle()


@dataclass
class StructuredAgent(Generic[T]):
    """An agent with a typed output, its prompt template, its model and its output check.

    Each ``ask`` is one model request per attempt (``learnpath.agents.asking``), not an
    ``Agent.run``: the output tool is built once, and an invalid answer is re-asked up to
    ``output_retries`` times as pydantic-ai would re-ask it.
    """

    prompt: str
    model: GuardedModel
    answer: AnswerFormat[T]
    output_retries: int
    check: Check[T] | None = None

    def output_check(self, check: Check[T]) -> Check[T]:
        """Register ``check`` (a decorator): it sees every valid answer and may re-ask it."""
        self.check = check
        return check

    async def ask(
        self, task: str, context: dict[str, Any], language: str, *, deps: Any = None
    ) -> T:
        """Ask the model; any failure that survives the retries is a ``ModelCallError``."""
        try:
            output = await asking.ask(
                self.model,
                self.answer,
                user_prompt(task, context),
                instructions(self.prompt, language),
                retries=self.output_retries,
                deps=deps,
                check=self.check,
            )
        except ModelCallError:
            raise
        except (AgentRunError, TimeoutError) as exc:
            raise error_for(exc, model=self.model.display_name, agent=self.model.agent) from exc
        return without_nul(output)


def structured_agent(
    prompt: str,
    model: GuardedModel,
    output_type: type[T],
    output_retries: int,
    *,
    tool: str,
    style: OutputStyle = TOOL_OUTPUT,
) -> StructuredAgent[T]:
    """Build a ``StructuredAgent`` whose output is validated (and re-asked) ``output_retries`` times.

    The output is returned through a tool named ``tool`` (one of
    ``learnpath.llm.offline.OUTPUT_TOOLS``), which tells the offline model and the fake
    server which answer is wanted; in ``native`` style ``tool`` names the JSON schema of the
    response format instead.
    """
    answer = asking.answer_format(output_type, tool, style.mode, style.strict)
    return StructuredAgent(prompt=prompt, model=model, answer=answer, output_retries=output_retries)
