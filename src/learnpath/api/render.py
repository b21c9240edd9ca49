"""Store records rendered as API bodies."""

from __future__ import annotations

from typing import Any

from learnpath.api.schemas import (
    AgentUsageOut,
    ConceptContents,
    ConceptDetail,
    ConceptProgressOut,
    ContentErrorOut,
    ContentOut,
    ProgressOut,
    StepErrorOut,
    StepRunOut,
    TaskErrorOut,
    TaskOut,
    error_out,
)
from learnpath.document import NOT_STARTED, RoadmapView
from learnpath.domain.content import ContentKind
from learnpath.domain.roadmap import Framework
from learnpath.store.records import ContentItem, RoadmapRecord, StepRunRecord, TaskRecord


def task_out(task: TaskRecord) -> TaskOut:
    return TaskOut(
        task_id=task.id,
        status=task.status,
        current_step=task.current_step,
        roadmap_id=task.roadmap_id,
        error=(
            TaskErrorOut(step=task.error.step, code=task.error.code, message=task.error.message)
            if task.error
            else None
        ),
        progress=ProgressOut(done=task.progress_done, total=task.progress_total),
        goal=task.goal,
        review=task.review,
        cancel_requested=task.cancel_requested,
        request=task.request,
        created_at=task.created_at,
        updated_at=task.updated_at,
        finished_at=task.finished_at,
    )


def agent_usage_out(rows: list[dict[str, Any]]) -> dict[str, AgentUsageOut]:
    """Per-agent attempts by outcome and tokens, from ``model_usage`` rows."""
    agents: dict[str, AgentUsageOut] = {}
    for row in rows:
        usage = agents.setdefault(row["agent"], AgentUsageOut())
        usage.outcomes[row["outcome"]] = usage.outcomes.get(row["outcome"], 0) + row["attempts"]
        usage.input_tokens += row["input_tokens"]
        usage.output_tokens += row["output_tokens"]
    return agents


def step_run_out(run: StepRunRecord, usage: list[dict[str, Any]] | None = None) -> StepRunOut:
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return StepRunOut(
        step=run.step,
        attempt=run.attempt,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=duration,
        model_requests=run.model_requests,
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        error=error_out(StepErrorOut, run.error_code, run.error_message),
        agents=agent_usage_out(usage or []),
    )


def framework_of(roadmap: RoadmapRecord) -> Framework:
    return Framework.model_validate(roadmap.framework)


def _content_out(item: ContentItem | None) -> ContentOut:
    if item is None:
        return ContentOut(
            status=NOT_STARTED,
            version=0,
            body=None,
            error=None,
            generated_by=None,
            instructions=None,
            updated_at=None,
        )
    return ContentOut(
        status=item.status,
        version=item.version,
        body=item.body,
        error=error_out(ContentErrorOut, item.error_code, item.error_message),
        generated_by=item.generated_by,
        instructions=item.instructions,
        updated_at=item.updated_at,
    )


def concept_detail(view: RoadmapView, concept_id: str) -> ConceptDetail | None:
    """The concept with its newest content, or None when the roadmap has no such concept."""
    concept = view.concept(concept_id)
    if concept is None:
        return None
    return ConceptDetail(
        roadmap_id=view.id,
        concept_id=concept.id,
        stage_id=concept.stage.id,
        module_id=concept.module.id,
        name=concept.name,
        description=concept.description,
        estimated_hours=concept.estimated_hours,
        difficulty=concept.concept.difficulty,
        prerequisites=concept.prerequisites,
        offline=view.offline,
        content=ConceptContents(
            tutorial=_content_out(concept.items.get(ContentKind.TUTORIAL)),
            resources=_content_out(concept.items.get(ContentKind.RESOURCES)),
            quiz=_content_out(concept.items.get(ContentKind.QUIZ)),
        ),
    )


def progress_out(row: dict[str, Any]) -> ConceptProgressOut:
    return ConceptProgressOut.model_validate(row)
