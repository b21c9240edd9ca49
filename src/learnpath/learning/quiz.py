"""Answering a concept's quiz: the one path the API and the web form take.

The answers are scored by ``Quiz.check`` against the concept's newest completed quiz and
recorded as the learner's progress; answers the quiz cannot take (more than its
questions, an index that is not an option) raise ``InvalidAnswers`` and record nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnpath.domain.content import ContentKind, ContentStatus, Quiz, QuizResult
from learnpath.store import Store


class QuizNotReady(LookupError):
    """The concept has no completed quiz yet."""


@dataclass(frozen=True)
class RecordedQuiz:
    result: QuizResult
    progress: dict[str, Any]


async def current_quiz(store: Store, roadmap_id: str, concept_id: str) -> Quiz:
    """The concept's newest completed quiz; ``QuizNotReady`` when there is none."""
    for item in await store.latest_content(roadmap_id, concept_id):
        if item.kind == ContentKind.QUIZ and item.status == ContentStatus.COMPLETED and item.body:
            return Quiz.model_validate(item.body)
    raise QuizNotReady("this concept's quiz has not been generated yet")


async def answer_quiz(
    store: Store,
    user_id: str,
    roadmap_id: str,
    concept_id: str,
    answers: Sequence[int | None],
) -> RecordedQuiz:
    """Score ``answers`` and record them with their score (the caller checked ownership)."""
    result = (await current_quiz(store, roadmap_id, concept_id)).check(answers)
    row = await store.record_progress(
        user_id, roadmap_id, concept_id, quiz_answers=result.answers, quiz_score=result.score
    )
    return RecordedQuiz(result, row)
