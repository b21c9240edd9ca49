"""Intent analysis and the Stage -> Module -> Concept framework, with its rules and edits.

Ids are stable: the editor refers to stages, modules and concepts by id, code applies
its operations deterministically, and everything it does not touch stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from learnpath.domain.content import Difficulty
from learnpath.domain.request import Level


class IntentAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal_summary: str = Field(min_length=1, max_length=1000)
    target_role: str = Field(min_length=1, max_length=200)
    domain: str = Field(min_length=1, max_length=100, description="Topic area, e.g. backend")
    current_level: Level = Level.BEGINNER
    key_skills: list[str] = Field(min_length=1, max_length=30)
    known_skills: list[str] = Field(default_factory=list, max_length=30)
    focus_areas: list[str] = Field(default_factory=list, max_length=20)
    weekly_hours: int = Field(ge=1, le=168)
    total_weeks: int = Field(ge=1, le=520)
    notes: str = Field(default="", max_length=2000)


class Concept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    estimated_hours: float = Field(default=2.0, gt=0, le=200)
    difficulty: Difficulty = Difficulty.MEDIUM
    prerequisites: list[str] = Field(default_factory=list, max_length=20)


class Module(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    concepts: list[Concept] = Field(default_factory=list, max_length=50)


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    modules: list[Module] = Field(default_factory=list, max_length=30)


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=4000)
    stages: list[Stage] = Field(default_factory=list, max_length=20)

    def concepts(self) -> Iterator[tuple[Stage, Module, Concept]]:
        for stage in self.stages:
            for module in stage.modules:
                for concept in module.concepts:
                    yield stage, module, concept

    def concept(self, concept_id: str) -> Concept | None:
        return next((c for _, _, c in self.concepts() if c.id == concept_id), None)

    def concept_ids(self) -> list[str]:
        return [c.id for _, _, c in self.concepts()]

    def total_hours(self) -> float:
        return sum(c.estimated_hours for _, _, c in self.concepts())

    def all_ids(self) -> list[str]:
        ids: list[str] = []
        for stage in self.stages:
            ids.append(stage.id)
            for module in stage.modules:
                ids.append(module.id)
                ids.extend(c.id for c in module.concepts)
        return ids


# --- structural rules -------------------------------------------------------------


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Issue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=1000)
    severity: Severity = Severity.ERROR
    target_id: str | None = None


class ValidationResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid: bool
    score: float = Field(ge=0, le=1)
    issues: list[Issue] = Field(default_factory=list)

    @classmethod
    def from_issues(cls, issues: list[Issue]) -> ValidationResult:
        errors = sum(1 for i in issues if i.severity is Severity.ERROR)
        warnings = len(issues) - errors
        score = max(0.0, 1.0 - 0.2 * errors - 0.05 * warnings)
        return cls(valid=errors == 0, score=round(score, 3), issues=issues)


def structural_issues(framework: Framework, hour_budget: float) -> list[Issue]:
    """The deterministic checks every framework must pass before content is written."""
    issues: list[Issue] = []
    if not framework.stages:
        issues.append(Issue(code="empty_framework", message="The roadmap has no stages."))
    seen: set[str] = set()
    for item_id in framework.all_ids():
        if item_id in seen:
            issues.append(
                Issue(
                    code="duplicate_id",
                    message=f"The id {item_id!r} is used more than once.",
                    target_id=item_id,
                )
            )
        seen.add(item_id)
    for stage in framework.stages:
        if not stage.modules:
            issues.append(
                Issue(
                    code="empty_stage",
                    message=f"Stage {stage.name!r} has no modules.",
                    target_id=stage.id,
                )
            )
        for module in stage.modules:
            if not module.concepts:
                issues.append(
                    Issue(
                        code="empty_module",
                        message=f"Module {module.name!r} has no concepts.",
                        target_id=module.id,
                    )
                )
    issues.extend(_prerequisite_issues(framework))
    issues.extend(_budget_issues(framework, hour_budget))
    return issues


def _prerequisite_issues(framework: Framework) -> list[Issue]:
    issues: list[Issue] = []
    order = {cid: index for index, cid in enumerate(framework.concept_ids())}
    graph: dict[str, list[str]] = {}
    for _, _, concept in framework.concepts():
        graph[concept.id] = []
        for prereq in concept.prerequisites:
            if prereq not in order:
                issues.append(
                    Issue(
                        code="unknown_prerequisite",
                        message=f"Concept {concept.name!r} requires {prereq!r}, which is not in the roadmap.",
                        target_id=concept.id,
                    )
                )
            elif prereq == concept.id:
                issues.append(
                    Issue(
                        code="self_prerequisite",
                        message=f"Concept {concept.name!r} requires itself.",
                        target_id=concept.id,
                    )
                )
            else:
                graph[concept.id].append(prereq)
                if order[prereq] > order[concept.id]:
                    issues.append(
                        Issue(
                            code="prerequisite_after_concept",
                            message=f"Concept {concept.name!r} comes before its prerequisite {prereq!r}.",
                            severity=Severity.WARNING,
                            target_id=concept.id,
                        )
                    )
    cycle = find_cycle(graph)
    if cycle:
        issues.append(
            Issue(
                code="prerequisite_cycle",
                message="Prerequisites form a cycle: " + " -> ".join(cycle),
                target_id=cycle[0],
            )
        )
    return issues


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """Return one cycle of ``graph`` (as a closed path of ids), or None when it is acyclic.

    Depth-first search with an explicit stack, so a long prerequisite chain cannot
    exhaust the interpreter's recursion limit.
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    for root in graph:
        if colour[root] != white:
            continue
        colour[root] = grey
        path = [root]
        branches = [iter(graph[root])]
        while branches:
            for nxt in branches[-1]:
                state = colour.get(nxt, black)
                if state == grey:
                    return [*path[path.index(nxt) :], nxt]
                if state == white:
                    colour[nxt] = grey
                    path.append(nxt)
                    branches.append(iter(graph[nxt]))
                    break
            else:
                colour[path.pop()] = black
                branches.pop()
    return None


def _budget_issues(framework: Framework, hour_budget: float) -> list[Issue]:
    total = framework.total_hours()
    if total > hour_budget * 1.15:
        return [
            Issue(
                code="over_budget",
                message=f"The roadmap needs {total:.0f} h but the learner has {hour_budget:.0f} h.",
            )
        ]
    if framework.stages and total < hour_budget * 0.3:
        return [
            Issue(
                code="under_budget",
                message=f"The roadmap needs only {total:.0f} h of the learner's {hour_budget:.0f} h.",
                severity=Severity.WARNING,
            )
        ]
    return []


def fit_to_budget(framework: Framework, hour_budget: float, share: float = 0.9) -> Framework:
    """Scale concept hours down to ``share`` of the budget when the total would be over it.

    A model's hour estimates are guesses; the learner's budget is a fact. Relative sizes
    are kept, and a framework within budget is returned unchanged.
    """
    total = framework.total_hours()
    if total <= hour_budget * 1.15 or total <= 0:
        return framework
    factor = share * hour_budget / total
    fitted = framework.model_copy(deep=True)
    for _, _, concept in fitted.concepts():
        concept.estimated_hours = max(0.1, round(concept.estimated_hours * factor, 1))
    return fitted


# --- edit operations ------------------------------------------------------------------


class EditError(ValueError):
    """An edit operation that cannot be applied to the framework it names."""


class ConceptDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    estimated_hours: StrictFloat = Field(default=2.0, gt=0, le=200)
    difficulty: Difficulty = Difficulty.MEDIUM
    prerequisites: list[str] = Field(default_factory=list, max_length=20)


class ModuleDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    # At least one: the published schema says so, so a model that answers from the schema
    # alone never designs an empty module (which validation would reject).
    concepts: list[ConceptDraft] = Field(min_length=1, max_length=50)


class StageDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    modules: list[ModuleDraft] = Field(min_length=1, max_length=30)


class AddStage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["add_stage"]
    stage: StageDraft
    position: StrictInt | None = Field(default=None, ge=0)


class AddModule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["add_module"]
    stage_id: str
    module: ModuleDraft
    position: StrictInt | None = Field(default=None, ge=0)


class AddConcept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["add_concept"]
    module_id: str
    concept: ConceptDraft
    position: StrictInt | None = Field(default=None, ge=0)


class Remove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["remove"]
    target_id: str


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["rename"]
    target_id: str
    name: str = Field(min_length=1, max_length=200)


class Move(BaseModel):
    """Move a module to another stage, or a concept to another module."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["move"]
    target_id: str
    new_parent_id: str
    position: StrictInt | None = Field(default=None, ge=0)


class UpdateConcept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["update"]
    target_id: str
    description: str | None = Field(default=None, max_length=2000)
    estimated_hours: StrictFloat | None = Field(default=None, gt=0, le=200)
    difficulty: Difficulty | None = None
    prerequisites: list[str] | None = Field(default=None, max_length=20)


EditOp = Annotated[
    AddStage | AddModule | AddConcept | Remove | Rename | Move | UpdateConcept,
    Field(discriminator="op"),
]


class EditPlan(BaseModel):
    """What the editor returns: operations plus a short rationale."""

    model_config = ConfigDict(extra="forbid")

    operations: list[EditOp] = Field(default_factory=list, max_length=100)
    rationale: str = Field(default="", max_length=2000)


def apply_edits(framework: Framework, operations: list[EditOp]) -> Framework:
    """Apply ``operations`` in order to a copy of ``framework``; raise EditError on a bad id."""
    result = framework.model_copy(deep=True)
    ids = _Ids(result)  # one counter per plan: an id freed by a remove is never handed out again
    for operation in operations:
        _apply(result, operation, ids)
    return result


def _apply(fw: Framework, op: EditOp, ids: _Ids) -> None:
    match op:
        case AddStage(stage=draft, position=pos):
            _insert(fw.stages, _stage_from(ids, draft), pos)
        case AddModule(stage_id=sid, module=draft, position=pos):
            _insert(_find_stage(fw, sid).modules, _module_from(ids, draft), pos)
        case AddConcept(module_id=mid, concept=draft, position=pos):
            _insert(_find_module(fw, mid)[1].concepts, _concept_from(ids, draft), pos)
        case Remove(target_id=tid):
            _remove(fw, tid)
        case Rename(target_id=tid, name=name):
            _find_any(fw, tid).name = name
        case Move(target_id=tid, new_parent_id=parent, position=pos):
            _move(fw, tid, parent, pos)
        case UpdateConcept(target_id=tid):
            concept = _find_concept(fw, tid)
            for field in ("description", "estimated_hours", "difficulty", "prerequisites"):
                value = getattr(op, field)
                if value is not None:
                    setattr(concept, field, list(value) if isinstance(value, list) else value)


def _insert(items: list[Any], item: Any, position: int | None) -> None:
    items.insert(len(items) if position is None else min(position, len(items)), item)


def _find_stage(fw: Framework, stage_id: str) -> Stage:
    for stage in fw.stages:
        if stage.id == stage_id:
            return stage
    raise EditError(f"no stage with id {stage_id!r}")


def _find_module(fw: Framework, module_id: str) -> tuple[Stage, Module]:
    for stage in fw.stages:
        for module in stage.modules:
            if module.id == module_id:
                return stage, module
    raise EditError(f"no module with id {module_id!r}")


def _find_concept(fw: Framework, concept_id: str) -> Concept:
    concept = fw.concept(concept_id)
    if concept is None:
        raise EditError(f"no concept with id {concept_id!r}")
    return concept


def _find_any(fw: Framework, item_id: str) -> Stage | Module | Concept:
    for stage in fw.stages:
        if stage.id == item_id:
            return stage
        for module in stage.modules:
            if module.id == item_id:
                return module
            for concept in module.concepts:
                if concept.id == item_id:
                    return concept
    raise EditError(f"no stage, module or concept with id {item_id!r}")


def _remove(fw: Framework, item_id: str) -> None:
    item = _find_any(fw, item_id)
    removed: set[str] = set()
    if isinstance(item, Stage):
        fw.stages.remove(item)
        removed = {c.id for m in item.modules for c in m.concepts}
    elif isinstance(item, Module):
        for stage in fw.stages:
            if item in stage.modules:
                stage.modules.remove(item)
        removed = {c.id for c in item.concepts}
    else:
        for _, module, concept in list(fw.concepts()):
            if concept.id == item_id:
                module.concepts.remove(concept)
        removed = {item_id}
    for _, _, concept in fw.concepts():
        concept.prerequisites = [p for p in concept.prerequisites if p not in removed]


def _move(fw: Framework, item_id: str, parent_id: str, position: int | None) -> None:
    item = _find_any(fw, item_id)
    if isinstance(item, Module):
        target_stage = _find_stage(fw, parent_id)
        for stage in fw.stages:
            if item in stage.modules:
                stage.modules.remove(item)
        _insert(target_stage.modules, item, position)
    elif isinstance(item, Concept):
        _, target_module = _find_module(fw, parent_id)
        for _, module, concept in list(fw.concepts()):
            if concept.id == item_id:
                module.concepts.remove(concept)
        _insert(target_module.concepts, item, position)
    else:
        raise EditError(
            f"stage {item_id!r} cannot be moved into {parent_id!r}; reorder with position instead"
        )


_ID_PATTERN = re.compile(r"^([smc])(\d+)$")


class _Ids:
    """Hands out fresh ``s<n>``/``m<n>``/``c<n>`` ids that no item of the framework uses."""

    def __init__(self, fw: Framework) -> None:
        self._last = {"s": 0, "m": 0, "c": 0}
        for item_id in fw.all_ids():
            if match := _ID_PATTERN.match(item_id):
                prefix, number = match.group(1), int(match.group(2))
                self._last[prefix] = max(self._last[prefix], number)

    def next(self, prefix: str) -> str:
        self._last[prefix] += 1
        return f"{prefix}{self._last[prefix]}"


def _concept_from(ids: _Ids, draft: ConceptDraft) -> Concept:
    return Concept(id=ids.next("c"), **draft.model_dump())


def _module_from(ids: _Ids, draft: ModuleDraft) -> Module:
    module = Module(id=ids.next("m"), name=draft.name, description=draft.description)
    module.concepts = [_concept_from(ids, c) for c in draft.concepts]
    return module


def _stage_from(ids: _Ids, draft: StageDraft) -> Stage:
    stage = Stage(id=ids.next("s"), name=draft.name, description=draft.description)
    stage.modules = [_module_from(ids, m) for m in draft.modules]
    return stage


def assign_ids(framework: Framework) -> Framework:
    """Renumber every stage, module and concept as s1.., m1.., c1.. keeping prerequisites linked.

    A prerequisite names a concept by its old id or, failing that, by its name (any case);
    one that names neither is dropped rather than left to collide with a new id.
    """
    fw = framework.model_copy(deep=True)
    concepts = [concept for _, _, concept in fw.concepts()]
    new_ids = [f"c{number}" for number in range(1, len(concepts) + 1)]
    by_id: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for concept, new_id in zip(concepts, new_ids, strict=True):
        by_id.setdefault(concept.id, new_id)
        by_name.setdefault(concept.name.strip().lower(), new_id)
    module_no = 0
    for stage_no, stage in enumerate(fw.stages, start=1):
        stage.id = f"s{stage_no}"
        for module in stage.modules:
            module_no += 1
            module.id = f"m{module_no}"
    for concept, new_id in zip(concepts, new_ids, strict=True):
        concept.id = new_id
        linked = (by_id.get(p) or by_name.get(p.strip().lower()) for p in concept.prerequisites)
        concept.prerequisites = [p for p in linked if p is not None]
    return fw
