"""The edit form of a finished roadmap: its choices, the operation a submitted form asks
for, and the history of changes as the page shows it."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from learnpath.domain.roadmap import Framework
from learnpath.store import Store
from learnpath.store.workspace import EditRecord
from learnpath.web.forms import whole_number
from learnpath.web.i18n import label, translate
from learnpath.web.views import names_of


def operation_from_form(form: FormData) -> dict[str, Any]:
    """The edit operation a form posts (validated by the caller against ``EditOp``)."""
    op = str(form.get("op") or "")

    def text(name: str) -> str:
        return " ".join(str(form.get(name) or "").split())

    def number(name: str) -> float | str | None:
        """A decimal in ASCII digits; other text is kept for the strict model to refuse."""
        raw = text(name)
        digits = raw.replace(".", "", 1)
        if digits.isascii() and digits.isdigit() and len(digits) <= 10:
            return float(raw)
        return raw or None

    def concept(prefix: str = "") -> dict[str, Any]:
        draft: dict[str, Any] = {"name": text(prefix + "name")}
        if text(prefix + "description"):
            draft["description"] = text(prefix + "description")
        if number(prefix + "hours") is not None:
            draft["estimated_hours"] = number(prefix + "hours")
        if text(prefix + "difficulty"):
            draft["difficulty"] = text(prefix + "difficulty")
        prerequisites = [str(p) for p in form.getlist(prefix + "prerequisites") if str(p)]
        if prerequisites:
            draft["prerequisites"] = prerequisites
        return draft

    if op == "add_stage":
        module = {"name": text("module_name"), "concepts": [concept("concept_")]}
        return {"op": op, "stage": {"name": text("name"), "modules": [module]}}
    if op == "add_module":
        module = {"name": text("name"), "concepts": [concept("concept_")]}
        return {"op": op, "stage_id": text("stage_id"), "module": module}
    if op == "add_concept":
        return {"op": op, "module_id": text("module_id"), "concept": concept()}
    if op in ("remove", "rename", "move"):
        result: dict[str, Any] = {"op": op, "target_id": text("target_id")}
        if op == "rename":
            result["name"] = text("name")
        if op == "move":
            result["new_parent_id"] = text("new_parent_id")
            position = whole_number(text("position"))
            if isinstance(position, int):
                result["position"] = max(position - 1, 0)
        return result
    if op == "update":
        update: dict[str, Any] = {"op": op, "target_id": text("target_id")}
        if number("hours") is not None:
            update["estimated_hours"] = number("hours")
        if text("difficulty"):
            update["difficulty"] = text("difficulty")
        if form.get("set_prerequisites") == "1":
            update["prerequisites"] = [str(p) for p in form.getlist("prerequisites") if str(p)]
        return update
    return {"op": op}


def history_view(
    records: list[EditRecord], names: dict[str, str], language: str, user_id: str
) -> list[dict[str, Any]]:
    """Each change, newest first: when, by whom, and its operations in words."""
    views = []
    for record in reversed(records):
        if record.source == "learner" and record.user_id == user_id:
            who = translate(language, "history.by_you")
        else:
            who = label(language, "history.source", record.source)
        views.append(
            {
                "when": record.created_at,
                "who": who,
                "source": record.source,
                "note": record.rationale,
                "operations": [_describe(op, names, language) for op in record.operations],
            }
        )
    return views


def _describe(op: dict[str, Any], names: dict[str, str], language: str) -> str:
    kind = str(op.get("op") or "")
    target = str(op.get("target_id") or "")
    values = {
        "target": names.get(target, target),
        "id": target,
        "name": str(op.get("name") or ""),
        "title": str(op.get("title") or ""),
        "parent": names.get(str(op.get("new_parent_id") or ""), str(op.get("new_parent_id") or "")),
    }
    for draft in ("stage", "module", "concept"):
        if isinstance(op.get(draft), dict):
            values["name"] = str(op[draft].get("name") or "")
    key = f"history.op.{kind}"
    try:
        return translate(language, key, **values)
    except KeyError:
        return kind.replace("_", " ")


async def edit_context(
    store: Store, roadmap_id: str, user_id: str, language: str
) -> dict[str, Any]:
    roadmap = await store.get_roadmap(roadmap_id, user_id)
    task = await store.get_task(roadmap.task_id, user_id)
    framework = Framework.model_validate(roadmap.framework)
    names = names_of(roadmap.framework)
    records = await store.edit_history(roadmap_id, user_id)
    return {
        "roadmap": roadmap,
        "task": task,
        "framework": framework,
        "stages": [(s.id, s.name) for s in framework.stages],
        "modules": [(m.id, m.name) for s in framework.stages for m in s.modules],
        "concepts": [(c.id, c.name) for _, _, c in framework.concepts()],
        "history": history_view(records, names, language, user_id),
        "error": "",
        "content_lang": str(task.request.get("language") or "en"),
    }
