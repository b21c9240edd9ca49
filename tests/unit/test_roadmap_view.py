"""The roadmap view: one walk of the roadmap with its newest content and the learner's
progress, from which the API's roadmap and the exported document are both rendered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from learnpath.document import NOT_STARTED, roadmap_view
from learnpath.store.records import ContentItem, RoadmapRecord

NOW = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
QUIZ = {"questions": [{"question": "2+2?", "options": ["3", "4"], "answer": 1}]}


def roadmap(generated_by: str = "model") -> RoadmapRecord:
    concept = {"estimated_hours": 2.0, "difficulty": "easy", "description": ""}
    framework = {
        "title": "SQL",
        "summary": "Tables first.",
        "stages": [
            {
                "id": "s1",
                "name": "Basics",
                "description": "",
                "modules": [
                    {
                        "id": "m1",
                        "name": "Queries",
                        "description": "",
                        "concepts": [
                            {"id": "c1", "name": "Select", "prerequisites": [], **concept},
                            {"id": "c2", "name": "Joins", "prerequisites": ["c1"], **concept},
                        ],
                    }
                ],
            }
        ],
    }
    return RoadmapRecord(
        id="r1",
        task_id="t1",
        user_id="u1",
        title="SQL",
        framework=framework,
        generated_by=generated_by,
        created_at=NOW,
        updated_at=NOW,
    )


def item(concept_id: str, kind: str, status: str, body: Any = None, **fields: Any) -> ContentItem:
    values: dict[str, Any] = {
        "id": 1,
        "roadmap_id": "r1",
        "concept_id": concept_id,
        "kind": kind,
        "version": 1,
        "status": status,
        "body": body,
        "error_code": None,
        "error_message": None,
        "instructions": None,
        "generated_by": "model",
        "updated_at": NOW,
    }
    return ContentItem(**(values | fields))


def test_the_api_shape_and_the_document_come_from_one_walk() -> None:
    content = [
        item("c1", "quiz", "completed", QUIZ),
        item("c1", "tutorial", "failed", error_code="model_unavailable", error_message="retry"),
        item("c2", "resources", "pending", version=2),
    ]
    view = roadmap_view(roadmap(), content)
    out = view.out()
    c1, c2 = out.stages[0].modules[0].concepts
    assert (c1.content.quiz.status, c1.content.quiz.version) == ("completed", 1)
    assert c1.content.resources.status == NOT_STARTED and c1.content.resources.version == 0
    assert (c2.content.resources.status, c2.content.resources.version) == ("pending", 2)

    document = view.document()
    assert {k: v for k, v in document.items() if k != "stages"} == {
        k: v for k, v in out.model_dump(mode="json").items() if k != "stages"
    }
    d1, d2 = document["stages"][0]["modules"][0]["concepts"]
    assert d1["content"]["quiz"] == {
        "status": "completed",
        "version": 1,
        "body": QUIZ,
        "error": None,
    }
    assert d1["content"]["tutorial"] == {
        "status": "failed",
        "version": 1,
        "body": None,
        "error": {"code": "model_unavailable", "message": "retry"},
    }
    assert d2["content"]["resources"]["body"] is None  # pending: no body yet
    assert d2["prerequisites"] == ["c1"]


def test_progress_and_the_learners_quiz_results() -> None:
    progress = [
        {"concept_id": "c1", "done": True, "quiz_answers": [0], "quiz_score": 0.0},
        {"concept_id": "gone", "done": True, "quiz_answers": None, "quiz_score": None},
    ]
    view = roadmap_view(roadmap(), [item("c1", "quiz", "completed", QUIZ)], progress)
    c1, c2 = view.concepts()
    assert (c1.done, c1.quiz_score, c2.done, c2.quiz_answers) == (True, 0.0, False, None)
    assert view.done == {"c1", "gone"}
    assert c1.quiz_results == [
        {"question": "2+2?", "picked": "3", "right": "4", "correct": False, "explanation": ""}
    ]
    # Answers recorded before the quiz was written again with fewer options or questions.
    stale = [{"concept_id": "c1", "done": False, "quiz_answers": [5, 1], "quiz_score": 0.5}]
    again = roadmap_view(roadmap(), [item("c1", "quiz", "completed", QUIZ)], stale)
    results = next(again.concepts()).quiz_results
    assert results is not None and results[0]["picked"] is None and not results[0]["correct"]


def test_offline_banner_and_sample_content() -> None:
    assert roadmap_view(roadmap("offline"), []).offline is not None
    model = roadmap_view(roadmap(), [])
    assert model.offline is None and not model.sample_content
    offline_item = item("c2", "tutorial", "completed", {"x": 1}, generated_by="offline")
    assert roadmap_view(roadmap(), [offline_item]).sample_content
    assert roadmap_view(roadmap(), []).concept("zz") is None
