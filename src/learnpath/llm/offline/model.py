"""The offline model: deterministic, topic-aware sample output for every agent.

``offline_answer(output_tool, context)`` returns the JSON an agent expects, chosen by the
name of its output tool and built only from the prompt's input block (see
``learnpath.llm.context``), so the same request always gives the same roadmap. ``offline_model()``
wraps it as a pydantic-ai ``FunctionModel`` so the agents run their normal code path; the fake
OpenAI-compatible server reuses ``offline_answer`` for its default replies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.llm.context import extract_context
from learnpath.llm.offline import content
from learnpath.llm.offline.catalog import Curriculum, pick
from learnpath.llm.offline.topics import (
    detect_domain,
    display_name,
    domain_by_key,
    generic_concepts,
    generic_curriculum,
    topic_of,
)

OFFLINE_MODEL_NAME = "offline"
Context = dict[str, Any]
Answer = dict[str, Any]


def offline_answer(output_tool: str, context: Context) -> Answer:
    """The offline output (the output tool's arguments) for the output tool ``output_tool``."""
    try:
        generator = _GENERATORS[output_tool]
    except KeyError:
        raise ValueError(f"the offline model has no answer for {output_tool!r}") from None
    return generator(context)


def plan_size(hour_budget: float) -> tuple[int, int]:
    """(stages, concepts per module) for a budget: small budgets get a smaller roadmap."""
    return (4 if hour_budget >= 80 else 3), (3 if hour_budget >= 40 else 2)


def seed(*parts: object) -> int:
    """A stable integer from ``parts`` (``hash()`` is salted per process, this is not)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _language(context: Context) -> str:
    return str(context.get("language") or context.get("request", {}).get("language") or "en")


def _goal(context: Context) -> str:
    return str(context.get("request", {}).get("goal", "")).strip() or "learning"


def _curriculum(context: Context) -> tuple[str, Curriculum, str]:
    """(display name, curriculum, role) for the request: a catalog domain or the goal's topic."""
    language = _language(context)
    request = context.get("request", {})
    domain = domain_by_key(str(context.get("intent", {}).get("domain", ""))) or detect_domain(
        " ".join(
            [_goal(context), str(request.get("background", "")), *request.get("tech_stack", [])]
        )
    )
    if domain is not None:
        return pick(domain.name, language), domain.stages, pick(domain.role, language)
    topic = topic_of(_goal(context))
    role = f"{topic}学习者" if language == "zh" else f"{topic} learner"
    return display_name(topic), generic_curriculum(topic), display_name(role)


def _intent(context: Context) -> Answer:
    language = _language(context)
    request = context.get("request", {})
    name, curriculum, role = _curriculum(context)
    domain = detect_domain(_goal(context) + " " + str(request.get("background", "")))
    modules = [pick(m[0], language) for _, stage_modules in curriculum for m in stage_modules]
    goal = _goal(context)
    return {
        "goal_summary": (
            f"通过系统学习{name}实现目标：{goal}"
            if language == "zh"
            else f"Learn {name} step by step to reach the goal: {goal}"
        )[:1000],
        "target_role": role[:200],
        "domain": domain.key if domain else "general",
        "current_level": request.get("level", "beginner"),
        "key_skills": modules[:8],
        "known_skills": list(request.get("tech_stack", []))[:30],
        "focus_areas": modules[:3],
        "weekly_hours": int(request.get("hours_per_week", 8)),
        "total_weeks": max(1, min(520, int(context.get("available_weeks", 12)))),
        "notes": content.offline_note(language),
    }


def _skeleton(context: Context) -> Answer:
    language = _language(context)
    name, curriculum, _ = _curriculum(context)
    stages, _ = plan_size(float(context.get("hour_budget", 96)))
    chosen = curriculum[:stages]
    return {
        "title": (f"{name}学习路线" if language == "zh" else f"{name} roadmap")[:300],
        "summary": content.roadmap_summary(name, len(chosen), language),
        "stages": [
            {
                "name": pick(stage_name, language),
                "description": content.stage_description(
                    pick(stage_name, language), index + 1, len(chosen), language
                ),
                "module_names": [pick(module_name, language) for module_name, _ in modules],
            }
            for index, (stage_name, modules) in enumerate(chosen)
        ],
    }


def _stage_detail(context: Context) -> Answer:
    language = _language(context)
    _, curriculum, _ = _curriculum(context)
    _, per_module = plan_size(float(context.get("hour_budget", 96)))
    stage = context.get("stage", {})
    module_names = [str(n) for n in stage.get("module_names", [])] or [
        str(stage.get("name", "Core"))
    ]
    known = {pick(m, language): concepts for _, modules in curriculum for m, concepts in modules}
    hours = float(context.get("stage_hours", 24)) / (len(module_names) * per_module)
    hours = max(0.05, min(200.0, round(hours, 2)))
    levels = ("easy", "medium", "hard")
    stage_index = int(context.get("stage_index", 1))
    modules: list[Answer] = []
    for module_name in module_names:
        concepts = known.get(module_name) or generic_concepts(module_name)
        names = [pick(c, language) for c in concepts[:per_module]]
        modules.append(
            {
                "name": module_name,
                "description": content.module_description(module_name, language),
                "concepts": [
                    {
                        "name": concept,
                        "description": content.concept_description(concept, module_name, language),
                        "estimated_hours": hours,
                        "difficulty": levels[min(2, (stage_index - 1 + position) // 2)],
                        "prerequisites": [names[position - 1]] if position else [],
                    }
                    for position, concept in enumerate(names)
                ],
            }
        )
    return {"modules": modules}


def _review(context: Context) -> Answer:
    return {"issues": [], "comments": content.review_comment(_language(context))}


_GENERATORS: dict[str, Callable[[Context], Answer]] = {
    "intent_analysis": _intent,
    "curriculum_skeleton": _skeleton,
    "stage_detail": _stage_detail,
    "structure_review": _review,
    "edit_plan": content.edit_plan,
    "tutorial": content.tutorial,
    "resource_list": content.resources,
    "quiz": content.quiz,
}


def prompt_context(messages: list[ModelMessage]) -> Context:
    """The input block of the first user prompt that has one (empty when none)."""
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    found = extract_context(part.content)
                    if found is not None:
                        return found
    return {}


async def _respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    context = prompt_context(messages)
    if not info.output_tools:
        return ModelResponse(parts=[TextPart(content.offline_note(_language(context)))])
    tool = info.output_tools[0]
    return ModelResponse(parts=[ToolCallPart(tool.name, offline_answer(tool.name, context))])


def offline_model() -> FunctionModel:
    """The offline model as a pydantic-ai ``FunctionModel`` named ``offline``."""
    return FunctionModel(_respond, model_name=OFFLINE_MODEL_NAME)


OUTPUT_TOOLS: dict[str, str] = {
    "intent_analysis": "intent",
    "curriculum_skeleton": "curriculum",
    "stage_detail": "curriculum",
    "structure_review": "validator",
    "edit_plan": "editor",
    "tutorial": "tutorial",
    "resource_list": "resources",
    "quiz": "quiz",
}
"""The output tool each agent answers through, and the agent it belongs to."""
