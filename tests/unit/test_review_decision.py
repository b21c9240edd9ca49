"""ReviewDecision: what a reviewer may send back for a parked roadmap."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from learnpath.domain.roadmap import AddConcept, Remove, Rename, UpdateConcept
from learnpath.workflow.review import ReviewDecision


def decide(**fields: Any) -> ReviewDecision:
    return ReviewDecision.model_validate(fields)


def test_plain_approve() -> None:
    decision = decide(decision="approve")
    assert decision.feedback is None
    assert decision.edits == []


def test_approve_may_carry_feedback() -> None:
    assert decide(decision="approve", feedback="looks good").feedback == "looks good"


def test_reject_with_feedback() -> None:
    assert decide(decision="reject", feedback="Add a testing stage").decision == "reject"


@pytest.mark.parametrize("feedback", [None, "", "   ", "\n\t"])
def test_reject_requires_feedback(feedback: str | None) -> None:
    with pytest.raises(ValidationError, match="a rejection needs feedback"):
        decide(decision="reject", feedback=feedback)


@pytest.mark.parametrize("decision", ["", "Approve", "REJECT", "approved", "maybe", " approve"])
def test_unknown_decision_is_refused(decision: str) -> None:
    with pytest.raises(ValidationError) as info:
        decide(decision=decision, feedback="x")
    assert info.value.errors()[0]["loc"] == ("decision",)


def test_approve_with_edits_parses_ops() -> None:
    decision = decide(
        decision="approve",
        edits=[
            {"op": "rename", "target_id": "c1", "name": "Basics"},
            {"op": "remove", "target_id": "m2"},
            {"op": "add_concept", "module_id": "m1", "concept": {"name": "Testing"}},
            {"op": "update", "target_id": "c2", "estimated_hours": 3},
        ],
    )
    assert [type(op) for op in decision.edits] == [Rename, Remove, AddConcept, UpdateConcept]
    assert decision.model_dump(mode="json")["edits"][0] == {
        "op": "rename",
        "target_id": "c1",
        "name": "Basics",
    }


def test_reject_with_edits_is_allowed() -> None:
    decision = decide(
        decision="reject", feedback="shorter", edits=[{"op": "remove", "target_id": "s3"}]
    )
    assert isinstance(decision.edits[0], Remove)


@pytest.mark.parametrize(
    "edit",
    [
        {"op": "delete", "target_id": "c1"},
        {"op": "rename", "target_id": "c1"},
        {"target_id": "c1"},
        {"op": "remove", "target_id": "c1", "why": "x"},
    ],
)
def test_unknown_or_malformed_op_is_refused(edit: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        decide(decision="approve", edits=[edit])
    assert info.value.errors()[0]["loc"][0] == "edits"


def test_limits() -> None:
    with pytest.raises(ValidationError):
        decide(decision="reject", feedback="x" * 4001)
    with pytest.raises(ValidationError):
        decide(decision="approve", edits=[{"op": "remove", "target_id": "c1"}] * 101)
    assert (
        len(decide(decision="approve", edits=[{"op": "remove", "target_id": "c1"}] * 100).edits)
        == 100
    )


def test_extra_fields_are_forbidden() -> None:
    with pytest.raises(ValidationError):
        decide(decision="approve", comment="x")


def test_json_round_trip() -> None:
    decision = decide(
        decision="reject",
        feedback="fix it",
        edits=[{"op": "move", "target_id": "m1", "new_parent_id": "s2"}],
    )
    assert ReviewDecision.model_validate_json(decision.model_dump_json()) == decision
