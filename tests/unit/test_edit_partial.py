"""A plan naming unknown ids: what fits is applied, the rest is skipped with its reason."""

from __future__ import annotations

from learnpath.domain.roadmap import (
    AddConcept,
    Concept,
    ConceptDraft,
    Framework,
    Module,
    Remove,
    Rename,
    Stage,
)
from learnpath.workflow.engine import apply_what_fits

FRAMEWORK = Framework(
    title="T",
    stages=[
        Stage(
            id="s1",
            name="S1",
            modules=[Module(id="m1", name="M1", concepts=[Concept(id="c1", name="C1")])],
        )
    ],
)


def test_operations_that_fit_are_applied_and_the_others_skipped() -> None:
    plan = [
        Rename(op="rename", target_id="c1", name="Basics"),
        Remove(op="remove", target_id="c404"),
        AddConcept(op="add_concept", module_id="m1", concept=ConceptDraft(name="Joins")),
        AddConcept(op="add_concept", module_id="m404", concept=ConceptDraft(name="Lost")),
    ]
    edited, applied, skipped = apply_what_fits(FRAMEWORK, plan)

    assert [c.name for _, _, c in edited.concepts()] == ["Basics", "Joins"]
    assert applied == [plan[0], plan[2]]
    assert len(skipped) == 2
    assert "c404" in skipped[0] and "m404" in skipped[1]
    assert [c.name for _, _, c in FRAMEWORK.concepts()] == ["C1"]  # the input is untouched
