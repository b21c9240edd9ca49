"""Runs one task's job: each step reads the committed outputs, calls its agent, commits.

A step's output, its step run, the task's next step and the event that reports it are
committed together (see ``store.runs``), so a resumed job starts exactly where the
last one stopped and never calls the model again for a completed step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

from pydantic import BaseModel

from learnpath.agents import AgentTeam, ConceptBrief
from learnpath.domain.content import ContentKind
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    EditError,
    EditOp,
    Framework,
    IntentAnalysis,
    Issue,
    apply_edits,
)
from learnpath.domain.task import Step
from learnpath.llm.errors import ModelCallError
from learnpath.llm.usage import track_usage
from learnpath.store import Lease, LeaseLost, RunState, Store
from learnpath.store.progress import ContentOutcome, ContentTally
from learnpath.store.records import ContentItem
from learnpath.store.runs import Usage
from learnpath.workflow.review import blocking_issues

log = logging.getLogger(__name__)

StepHandler = Callable[[Lease, RunState], Awaitable[bool]]


class Workflow:
    """The job handler: ``await workflow.run(lease)`` advances the leased task."""

    def __init__(
        self,
        store: Store,
        team: AgentTeam,
        *,
        max_edit_rounds: int = 2,
        content_concurrency: int = 4,
    ) -> None:
        self.store = store
        self.team = team
        self.max_edit_rounds = max_edit_rounds
        self.content_concurrency = content_concurrency
        self._steps: dict[Step, StepHandler] = {
            Step.QUEUED: self._intent,
            Step.INTENT_ANALYSIS: self._intent,
            Step.CURRICULUM_DESIGN: self._curriculum,
            Step.STRUCTURE_VALIDATION: self._validation,
            Step.ROADMAP_EDIT: self._edit,
            Step.HUMAN_REVIEW: self._park,
            Step.CONTENT_GENERATION: self._content,
            Step.DONE: self._content,
        }

    async def run(self, lease: Lease) -> None:
        while True:
            state = await self.store.load_run_state(lease.task_id)
            if state.task.cancel_requested:
                await self.store.cancel_run(lease)
                return
            finished = await self._steps[state.task.current_step](lease, state)
            if finished:
                return

    # --- steps: each returns True when the job is over (parked, finished or failed) ---

    async def _intent(self, lease: Lease, state: RunState) -> bool:
        request = _request(state)
        run_id = await self.store.start_step(lease, Step.INTENT_ANALYSIS)
        with track_usage() as usage:
            try:
                intent = await self.team.analyse_intent(request)
            except ModelCallError as exc:
                return await self._fail(lease, run_id, usage, Step.INTENT_ANALYSIS, exc)
        await self.store.save_intent(lease, run_id, usage, _json(intent), Step.CURRICULUM_DESIGN)
        return False

    async def _curriculum(self, lease: Lease, state: RunState) -> bool:
        request, intent = _request(state), _intent_of(state)
        run_id = await self.store.start_step(lease, Step.CURRICULUM_DESIGN)
        journal = StoredJournal(self.store, lease, await self.store.design_parts(lease.task_id))
        with track_usage() as usage:
            try:
                framework = await self.team.design_curriculum(request, intent, journal)
            except ModelCallError as exc:
                return await self._fail(lease, run_id, usage, Step.CURRICULUM_DESIGN, exc)
        await self.store.save_framework(
            lease,
            run_id,
            usage,
            _json(framework),
            generated_by=self.team.generated_by,
            next_step=Step.STRUCTURE_VALIDATION,
        )
        return False

    async def _validation(self, lease: Lease, state: RunState) -> bool:
        request, intent, framework = _request(state), _intent_of(state), _framework(state)
        run_id = await self.store.start_step(lease, Step.STRUCTURE_VALIDATION)
        with track_usage() as usage:
            try:
                result = await self.team.validate_structure(request, intent, framework)
            except ModelCallError as exc:
                return await self._fail(lease, run_id, usage, Step.STRUCTURE_VALIDATION, exc)
        if result.valid:
            next_step = Step.HUMAN_REVIEW if state.task.review else Step.CONTENT_GENERATION
        elif state.task.edit_rounds < self.max_edit_rounds:
            next_step = Step.ROADMAP_EDIT
        elif state.task.review:
            # Not silently passed: the reviewer sees the open issues with the roadmap.
            next_step = Step.HUMAN_REVIEW
        elif not (blocking := blocking_issues(framework)):
            # Only the model's own opinions are left: they stay on record with the
            # validation, but a roadmap whose structure holds is not failed over them.
            next_step = Step.CONTENT_GENERATION
        else:
            # The edit rounds are spent: the validation and the task's failure are one
            # commit, so a crash cannot leave a recorded verdict to be validated again.
            problems = "; ".join(issue.message for issue in blocking[:5])
            await self.store.fail_validation(
                lease,
                run_id,
                usage,
                _json(result),
                code="invalid_roadmap",
                message=(
                    f"The roadmap still had problems after {self.max_edit_rounds} edit rounds: "
                    f"{problems}. Retry, or submit with review enabled to fix it by hand."
                ),
            )
            return True
        await self.store.save_validation(lease, run_id, usage, _json(result), next_step=next_step)
        return False

    async def _edit(self, lease: Lease, state: RunState) -> bool:
        request, framework = _request(state), _framework(state)
        issues: list[Issue] = []
        if state.last_validation and not state.last_validation["valid"]:
            issues = [Issue.model_validate(i) for i in state.last_validation["issues"]]
        run_id = await self.store.start_step(lease, Step.ROADMAP_EDIT)
        with track_usage() as usage:
            try:
                plan = await self.team.edit_roadmap(request, framework, issues, state.feedback)
            except ModelCallError as exc:
                return await self._fail(lease, run_id, usage, Step.ROADMAP_EDIT, exc)
        edited, applied, skipped = apply_what_fits(framework, plan.operations)
        rationale = plan.rationale
        if skipped:
            rationale += f" (skipped {len(skipped)} operation(s) naming unknown ids: {'; '.join(skipped[:5])})"
        await self.store.save_edit(
            lease,
            run_id,
            usage,
            operations=[op.model_dump(mode="json") for op in applied],
            rationale=rationale.strip(),
            framework=_json(edited),
            source="feedback" if state.feedback else "validator",
            next_step=Step.STRUCTURE_VALIDATION,
        )
        return False

    async def _park(self, lease: Lease, state: RunState) -> bool:
        run_id = await self.store.start_step(lease, Step.HUMAN_REVIEW)
        issues = []
        if state.last_validation and not state.last_validation["valid"]:
            issues = state.last_validation["issues"]
        with track_usage() as usage:
            await self.store.park_for_review(lease, run_id, usage, issues)
        return True

    async def _content(self, lease: Lease, state: RunState) -> bool:
        request, intent, framework = _request(state), _intent_of(state), _framework(state)
        assert state.roadmap is not None
        roadmap_id = state.roadmap.id
        run_id = await self.store.start_step(lease, Step.CONTENT_GENERATION)
        await self.store.prepare_content(lease, roadmap_id, framework.concept_ids())
        items = await self.store.pending_content(roadmap_id)
        tally = await self.store.content_tally(roadmap_id)
        gate = asyncio.Semaphore(self.content_concurrency)
        cancel_seen = canceled = False

        async def produce(item: ContentItem) -> None:
            # The run state said no cancel when this step began; every saved item says
            # whether one has been asked for since, and no item starts after that.
            nonlocal cancel_seen, canceled
            async with gate:
                if cancel_seen:
                    canceled = True  # an item left unwritten: the run ends canceled
                    return
                outcome = await self._content_item(lease, request, intent, framework, item, tally)
                cancel_seen = cancel_seen or outcome.cancel_requested

        with track_usage() as usage:
            await _gather_all(produce(item) for item in items)
        if canceled:
            await self.store.cancel_run(lease, run_id)
        else:
            await self.store.finish_task(lease, run_id, usage, roadmap_id)
        return True

    async def _content_item(
        self,
        lease: Lease,
        request: LearningRequest,
        intent: IntentAnalysis,
        framework: Framework,
        item: ContentItem,
        tally: ContentTally,
    ) -> ContentOutcome:
        body, error = await self._write_content(request, intent, framework, item)
        return await self.store.save_content(
            lease,
            item,
            body=body,
            generated_by=self.team.generated_by,
            tally=tally,
            error=error,
        )

    async def _write_content(
        self,
        request: LearningRequest,
        intent: IntentAnalysis,
        framework: Framework,
        item: ContentItem,
    ) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
        """The item's body as the team wrote it, or the error (code, message) it failed with."""
        located = next(
            ((s, m, c) for s, m, c in framework.concepts() if c.id == item.concept_id), None
        )
        if located is None:
            return None, (
                "unknown_concept",
                f"Concept {item.concept_id} is no longer in the roadmap.",
            )
        concept = located[2]
        brief = ConceptBrief.of(request, intent, framework, located, item.instructions)
        writers: dict[str, Callable[[ConceptBrief], Awaitable[BaseModel]]] = {
            ContentKind.TUTORIAL: self.team.write_tutorial,
            ContentKind.RESOURCES: self.team.recommend_resources,
            ContentKind.QUIZ: self.team.write_quiz,
        }
        try:
            body = await writers[item.kind](brief)
        except (LeaseLost, asyncio.CancelledError):
            raise
        except ModelCallError as exc:
            return None, (exc.code, f"{item.kind} for {concept.name!r}: {exc.message}")
        except Exception as exc:
            log.exception("content item %s failed", item.id)
            return None, (
                "internal_error",
                f"{item.kind} for {concept.name!r}: unexpected {type(exc).__name__}",
            )
        return _json(body), None

    async def _fail(
        self, lease: Lease, run_id: int, usage: Usage, step: Step, exc: ModelCallError
    ) -> bool:
        await self.store.fail_run(
            lease, run_id, usage, step=step, code=exc.code, message=exc.message
        )
        return True


class StoredJournal:
    """The ``DesignJournal`` of a running task: each finished part is committed at once.

    ``parts`` are the ones an earlier run of the task already committed (``design_parts``).
    """

    def __init__(self, store: Store, lease: Lease, parts: dict[str, dict[str, Any]]) -> None:
        self._store = store
        self._lease = lease
        self._parts = dict(parts)

    def recorded(self, part: str) -> dict[str, Any] | None:
        return self._parts.get(part)

    async def record(self, part: str, data: dict[str, Any], *, event: str, **summary: Any) -> None:
        await self._store.save_design_part(self._lease, part, data, event=event, **summary)
        self._parts[part] = data


def apply_what_fits(
    framework: Framework, operations: list[EditOp]
) -> tuple[Framework, list[EditOp], list[str]]:
    """Apply each operation that fits; a model's op naming an unknown id is skipped, not fatal."""
    applied: list[EditOp] = []
    skipped: list[str] = []
    result = framework
    for operation in operations:
        # Re-apply the whole accepted prefix so fresh ids are never reused within one plan.
        try:
            result = apply_edits(framework, [*applied, operation])
        except EditError as exc:
            skipped.append(str(exc))
        else:
            applied.append(operation)
    return result, applied, skipped


async def _gather_all(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run all; if one raises (a lost lease), cancel the rest and re-raise that exception."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _request(state: RunState) -> LearningRequest:
    return LearningRequest.model_validate(state.task.request)


def _intent_of(state: RunState) -> IntentAnalysis:
    assert state.intent is not None, "intent analysis must be committed before later steps"
    return IntentAnalysis.model_validate(state.intent)


def _framework(state: RunState) -> Framework:
    assert state.roadmap is not None, "the curriculum must be committed before later steps"
    return Framework.model_validate(state.roadmap.framework)
