"""Edit operations: applied by id, deterministically, touching nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from learnpath.domain.content import Difficulty
from learnpath.domain.roadmap import (
    AddConcept,
    AddModule,
    AddStage,
    Concept,
    ConceptDraft,
    EditError,
    EditOp,
    EditPlan,
    Framework,
    Module,
    ModuleDraft,
    Move,
    Remove,
    Rename,
    Stage,
    StageDraft,
    UpdateConcept,
    apply_edits,
    assign_ids,
)

OPS: TypeAdapter[list[EditOp]] = TypeAdapter(list[EditOp])


def sample() -> Framework:
    """s1[m1[c1,c2], m2[c3]], s2[m3[c4,c5]]; c2<-c1, c3<-c1,c2, c4<-c3, c5<-c4."""

    def c(cid: str, *requires: str) -> Concept:
        return Concept(id=cid, name=f"Concept {cid}", prerequisites=list(requires))

    return Framework(
        title="Backend",
        stages=[
            Stage(
                id="s1",
                name="Basics",
                modules=[
                    Module(id="m1", name="Python", concepts=[c("c1"), c("c2", "c1")]),
                    Module(id="m2", name="HTTP", concepts=[c("c3", "c1", "c2")]),
                ],
            ),
            Stage(
                id="s2",
                name="Services",
                modules=[Module(id="m3", name="APIs", concepts=[c("c4", "c3"), c("c5", "c4")])],
            ),
        ],
    )


def ops(*raw: dict[str, Any]) -> list[EditOp]:
    return OPS.validate_python(list(raw))


def layout(fw: Framework) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    return [(s.id, [(m.id, [c.id for c in m.concepts]) for m in s.modules]) for s in fw.stages]


def dump(item: Any) -> Any:
    return item.model_dump(mode="json")


def prerequisites(fw: Framework) -> dict[str, list[str]]:
    return {c.id: c.prerequisites for _, _, c in fw.concepts()}


def stage_by_id(fw: Framework, sid: str) -> Stage:
    return next(s for s in fw.stages if s.id == sid)


def module_by_id(fw: Framework, mid: str) -> Module:
    return next(m for s in fw.stages for m in s.modules if m.id == mid)


# --- parsing ---------------------------------------------------------------------------


def test_plan_parses_every_op_kind_by_discriminator() -> None:
    plan = EditPlan.model_validate(
        {
            "operations": [
                {
                    "op": "add_stage",
                    "stage": {
                        "name": "S",
                        "modules": [{"name": "M0", "concepts": [{"name": "K"}]}],
                    },
                },
                {
                    "op": "add_module",
                    "stage_id": "s1",
                    "module": {"name": "M", "concepts": [{"name": "K"}]},
                },
                {"op": "add_concept", "module_id": "m1", "concept": {"name": "C"}},
                {"op": "remove", "target_id": "c1"},
                {"op": "rename", "target_id": "c2", "name": "New"},
                {"op": "move", "target_id": "c2", "new_parent_id": "m2"},
                {"op": "update", "target_id": "c2", "estimated_hours": 3},
            ],
            "rationale": "why",
        }
    )
    kinds = [type(op) for op in plan.operations]
    assert kinds == [AddStage, AddModule, AddConcept, Remove, Rename, Move, UpdateConcept]


@pytest.mark.parametrize(
    "raw",
    [
        {"op": "delete", "target_id": "c1"},
        {"target_id": "c1"},
        {"op": "rename", "target_id": "c1", "name": ""},
        {"op": "remove", "target_id": "c1", "cascade": True},
        {
            "op": "add_stage",
            "stage": {"name": "S", "modules": [{"name": "M0", "concepts": [{"name": "K"}]}]},
            "position": -1,
        },
        {"op": "update", "target_id": "c1", "estimated_hours": 0},
    ],
)
def test_bad_ops_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ops(raw)


# --- add -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "order"),
    [
        (None, ["s1", "s2", "s3"]),
        (0, ["s3", "s1", "s2"]),
        (1, ["s1", "s3", "s2"]),
        (99, ["s1", "s2", "s3"]),
    ],
)
def test_add_stage_at_a_position(position: int | None, order: list[str]) -> None:
    draft = {
        "name": "Ops",
        "modules": [{"name": "Deploy", "concepts": [{"name": "Docker"}, {"name": "K8s"}]}],
    }
    result = apply_edits(sample(), ops({"op": "add_stage", "stage": draft, "position": position}))
    assert [s.id for s in result.stages] == order
    new = stage_by_id(result, "s3")
    assert new.name == "Ops"
    assert layout(Framework(title="x", stages=[new])) == [("s3", [("m4", ["c6", "c7"])])]
    assert [c.name for c in new.modules[0].concepts] == ["Docker", "K8s"]


def test_add_module_at_a_position() -> None:
    result = apply_edits(
        sample(),
        ops(
            {
                "op": "add_module",
                "stage_id": "s1",
                "module": {"name": "SQL", "concepts": [{"name": "Joins"}]},
                "position": 1,
            }
        ),
    )
    assert layout(result)[0] == ("s1", [("m1", ["c1", "c2"]), ("m4", ["c6"]), ("m2", ["c3"])])


def test_add_concept_keeps_every_draft_field() -> None:
    draft = {
        "name": "Generics",
        "description": "Type parameters",
        "estimated_hours": 4.5,
        "difficulty": "hard",
        "prerequisites": ["c1"],
    }
    result = apply_edits(
        sample(), ops({"op": "add_concept", "module_id": "m1", "concept": draft, "position": 0})
    )
    assert layout(result)[0][1][0] == ("m1", ["c6", "c1", "c2"])
    added = result.concept("c6")
    assert added is not None
    assert dump(added) == {"id": "c6", **draft}


@pytest.mark.parametrize(
    "raw",
    [
        {
            "op": "add_module",
            "stage_id": "m1",
            "module": {"name": "X", "concepts": [{"name": "K"}]},
        },
        {
            "op": "add_module",
            "stage_id": "nope",
            "module": {"name": "X", "concepts": [{"name": "K"}]},
        },
        {"op": "add_concept", "module_id": "s1", "concept": {"name": "X"}},
        {"op": "add_concept", "module_id": "c1", "concept": {"name": "X"}},
    ],
)
def test_add_into_an_unknown_parent_raises(raw: dict[str, Any]) -> None:
    with pytest.raises(EditError, match=r"no (stage|module) with id"):
        apply_edits(sample(), ops(raw))


def test_new_ids_continue_after_the_highest_of_each_kind() -> None:
    fw = sample()
    fw.stages[0].modules[0].concepts[0].id = "c41"  # ids that are not c<n> are left alone
    fw.stages[1].id = "intro"
    result = apply_edits(
        fw,
        ops(
            {
                "op": "add_stage",
                "stage": {"name": "A", "modules": [{"name": "M0", "concepts": [{"name": "K"}]}]},
            },
            {"op": "add_concept", "module_id": "m2", "concept": {"name": "B"}},
            {"op": "add_concept", "module_id": "m2", "concept": {"name": "C"}},
        ),
    )
    assert [s.id for s in result.stages] == ["s1", "intro", "s2"]
    assert result.stages[2].modules[0].concepts[0].id == "c42"
    assert [c.id for c in module_by_id(result, "m2").concepts] == ["c3", "c43", "c44"]


# --- remove ----------------------------------------------------------------------------


def test_remove_concept_drops_it_from_prerequisites() -> None:
    result = apply_edits(sample(), ops({"op": "remove", "target_id": "c1"}))
    assert layout(result)[0] == ("s1", [("m1", ["c2"]), ("m2", ["c3"])])
    assert prerequisites(result) == {"c2": [], "c3": ["c2"], "c4": ["c3"], "c5": ["c4"]}


def test_remove_module_drops_its_concepts_from_prerequisites() -> None:
    result = apply_edits(sample(), ops({"op": "remove", "target_id": "m2"}))
    assert layout(result) == [("s1", [("m1", ["c1", "c2"])]), ("s2", [("m3", ["c4", "c5"])])]
    assert prerequisites(result)["c4"] == []


def test_remove_stage_drops_its_concepts_from_prerequisites() -> None:
    result = apply_edits(sample(), ops({"op": "remove", "target_id": "s1"}))
    assert layout(result) == [("s2", [("m3", ["c4", "c5"])])]
    assert prerequisites(result) == {"c4": [], "c5": ["c4"]}


def test_remove_unknown_raises() -> None:
    with pytest.raises(EditError, match="'zz'"):
        apply_edits(sample(), ops({"op": "remove", "target_id": "zz"}))


# --- rename, update --------------------------------------------------------------------


@pytest.mark.parametrize("target", ["s2", "m1", "c3"])
def test_rename_any_kind(target: str) -> None:
    before = sample()
    result = apply_edits(before, ops({"op": "rename", "target_id": target, "name": "Renamed"}))
    names = {s.id: s.name for s in result.stages}
    names |= {m.id: m.name for s in result.stages for m in s.modules}
    names |= {c.id: c.name for _, _, c in result.concepts()}
    assert names[target] == "Renamed"
    assert layout(result) == layout(before)


def test_update_changes_only_the_given_fields() -> None:
    result = apply_edits(
        sample(),
        ops({"op": "update", "target_id": "c3", "estimated_hours": 7, "difficulty": "easy"}),
    )
    updated = result.concept("c3")
    assert updated is not None
    assert updated.estimated_hours == 7
    assert updated.difficulty is Difficulty.EASY
    assert updated.description == ""
    assert updated.prerequisites == ["c1", "c2"]
    assert updated.name == "Concept c3"


def test_update_can_clear_description_and_prerequisites() -> None:
    fw = sample()
    fw.stages[0].modules[1].concepts[0].description = "old"
    result = apply_edits(
        fw, ops({"op": "update", "target_id": "c3", "description": "", "prerequisites": []})
    )
    updated = result.concept("c3")
    assert updated is not None
    assert (updated.description, updated.prerequisites) == ("", [])


@pytest.mark.parametrize("target", ["s1", "m1", "c9"])
def test_update_of_a_non_concept_raises(target: str) -> None:
    with pytest.raises(EditError, match="no concept with id"):
        apply_edits(sample(), ops({"op": "update", "target_id": target, "description": "x"}))


def test_rename_unknown_raises() -> None:
    with pytest.raises(EditError):
        apply_edits(sample(), ops({"op": "rename", "target_id": "m9", "name": "x"}))


# --- move ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "modules"),
    [(None, ["m3", "m2"]), (0, ["m2", "m3"]), (5, ["m3", "m2"])],
)
def test_move_module_to_another_stage(position: int | None, modules: list[str]) -> None:
    result = apply_edits(
        sample(),
        ops({"op": "move", "target_id": "m2", "new_parent_id": "s2", "position": position}),
    )
    assert [m.id for m in stage_by_id(result, "s1").modules] == ["m1"]
    assert [m.id for m in stage_by_id(result, "s2").modules] == modules
    assert dump(module_by_id(result, "m2")) == dump(module_by_id(sample(), "m2"))


def test_move_module_within_its_stage_reorders() -> None:
    result = apply_edits(
        sample(), ops({"op": "move", "target_id": "m2", "new_parent_id": "s1", "position": 0})
    )
    assert [m.id for m in stage_by_id(result, "s1").modules] == ["m2", "m1"]


def test_move_concept_to_another_module() -> None:
    result = apply_edits(
        sample(), ops({"op": "move", "target_id": "c2", "new_parent_id": "m3", "position": 1})
    )
    assert layout(result) == [
        ("s1", [("m1", ["c1"]), ("m2", ["c3"])]),
        ("s2", [("m3", ["c4", "c2", "c5"])]),
    ]
    assert prerequisites(result) == prerequisites(sample())


def test_move_of_a_stage_is_rejected() -> None:
    with pytest.raises(EditError, match="stage 's2' cannot be moved"):
        apply_edits(sample(), ops({"op": "move", "target_id": "s2", "new_parent_id": "s1"}))


@pytest.mark.parametrize(
    ("target", "parent"),
    [("m1", "m2"), ("m1", "c1"), ("m1", "nope"), ("c1", "s1"), ("c1", "c2"), ("nope", "s1")],
)
def test_move_to_the_wrong_kind_of_parent_raises_and_loses_nothing(
    target: str, parent: str
) -> None:
    fw = sample()
    with pytest.raises(EditError):
        apply_edits(fw, ops({"op": "move", "target_id": target, "new_parent_id": parent}))
    assert dump(fw) == dump(sample())


# --- guarantees ------------------------------------------------------------------------

MIXED: list[dict[str, Any]] = [
    {
        "op": "add_stage",
        "stage": {
            "name": "Ops",
            "modules": [
                {"name": "CI", "concepts": [{"name": "Pipelines", "prerequisites": ["c4"]}]}
            ],
        },
        "position": 1,
    },
    {"op": "add_concept", "module_id": "m1", "concept": {"name": "Typing"}},
    {"op": "remove", "target_id": "c3"},
    {"op": "rename", "target_id": "m3", "name": "REST APIs"},
    {"op": "move", "target_id": "c5", "new_parent_id": "m1", "position": 0},
    {"op": "update", "target_id": "c4", "prerequisites": ["c1"], "estimated_hours": 6},
]


def test_the_input_framework_and_ops_are_never_mutated() -> None:
    fw = sample()
    operations = ops(*MIXED)
    before_ops = [dump(op) for op in operations]
    apply_edits(fw, operations)
    assert dump(fw) == dump(sample())
    assert [dump(op) for op in operations] == before_ops


def test_failed_plan_leaves_the_input_untouched() -> None:
    fw = sample()
    with pytest.raises(EditError):
        apply_edits(fw, ops(*MIXED, {"op": "remove", "target_id": "c3"}))
    assert dump(fw) == dump(sample())


def test_untouched_parts_stay_identical() -> None:
    before = sample()
    result = apply_edits(
        before,
        ops(
            {"op": "rename", "target_id": "c4", "name": "Routing"},
            {"op": "remove", "target_id": "m2"},
        ),
    )
    assert dump(result.stages[0].modules[0]) == dump(before.stages[0].modules[0])
    assert dump(result.stages[1].modules[0].concepts[1]) == dump(
        before.stages[1].modules[0].concepts[1]
    )
    assert (result.title, result.summary) == (before.title, before.summary)


def test_no_ops_gives_an_equal_copy() -> None:
    fw = sample()
    result = apply_edits(fw, [])
    assert result is not fw
    assert dump(result) == dump(fw)


def test_same_ops_give_the_same_result() -> None:
    first = apply_edits(sample(), ops(*MIXED))
    second = apply_edits(sample(), ops(*MIXED))
    assert dump(first) == dump(second)
    ids = first.all_ids()
    assert len(ids) == len(set(ids))
    assert set(first.all_ids()) >= {"s3", "m4", "c6", "c7"}


def test_an_id_removed_earlier_in_a_plan_is_not_reused() -> None:
    with pytest.raises(EditError):
        apply_edits(
            sample(),
            ops(
                {"op": "remove", "target_id": "c5"},
                {"op": "add_concept", "module_id": "m1", "concept": {"name": "New"}},
                {"op": "update", "target_id": "c5", "description": "meant for the removed one"},
            ),
        )


# --- random sequences of valid ops -----------------------------------------------------


def _valid_op(data: st.DataObject, fw: Framework) -> EditOp:
    stages = [s.id for s in fw.stages]
    modules = [m.id for s in fw.stages for m in s.modules]
    concepts = fw.concept_ids()
    kinds = ["add_stage"]
    if stages:
        kinds += ["add_module", "rename", "remove"]
    if modules:
        kinds += ["add_concept", "move_module"]
    if concepts:
        kinds += ["move_concept", "update"]
    kind = data.draw(st.sampled_from(kinds))
    position = data.draw(st.none() | st.integers(min_value=0, max_value=6))
    some_prereqs = st.lists(st.sampled_from(concepts), max_size=3) if concepts else st.just([])
    concept_draft = st.builds(
        ConceptDraft, name=st.sampled_from(["A", "B", "C"]), prerequisites=some_prereqs
    )
    match kind:
        case "add_stage":
            module_draft = st.builds(
                ModuleDraft,
                name=st.just("M"),
                concepts=st.lists(concept_draft, min_size=1, max_size=3),
            )
            draft = data.draw(
                st.builds(
                    StageDraft,
                    name=st.just("S"),
                    modules=st.lists(module_draft, min_size=1, max_size=2),
                )
            )
            return AddStage(op="add_stage", stage=draft, position=position)
        case "add_module":
            module = data.draw(
                st.builds(
                    ModuleDraft,
                    name=st.just("M"),
                    concepts=st.lists(concept_draft, min_size=1, max_size=3),
                )
            )
            return AddModule(
                op="add_module",
                stage_id=data.draw(st.sampled_from(stages)),
                module=module,
                position=position,
            )
        case "add_concept":
            return AddConcept(
                op="add_concept",
                module_id=data.draw(st.sampled_from(modules)),
                concept=data.draw(concept_draft),
                position=position,
            )
        case "rename":
            return Rename(
                op="rename", target_id=data.draw(st.sampled_from(fw.all_ids())), name="Renamed"
            )
        case "remove":
            return Remove(op="remove", target_id=data.draw(st.sampled_from(fw.all_ids())))
        case "move_module":
            return Move(
                op="move",
                target_id=data.draw(st.sampled_from(modules)),
                new_parent_id=data.draw(st.sampled_from(stages)),
                position=position,
            )
        case "move_concept":
            return Move(
                op="move",
                target_id=data.draw(st.sampled_from(concepts)),
                new_parent_id=data.draw(st.sampled_from(modules)),
                position=position,
            )
        case _:
            return UpdateConcept(
                op="update",
                target_id=data.draw(st.sampled_from(concepts)),
                prerequisites=data.draw(some_prereqs),
                estimated_hours=1.5,
            )


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_random_valid_ops_keep_ids_unique_and_prerequisites_linked(data: st.DataObject) -> None:
    original = sample()
    fw = original
    applied: list[EditOp] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=12))):
        op = _valid_op(data, fw)
        before = dump(fw)
        fw = apply_edits(fw, [op])
        applied.append(op)
        assert dump(apply_edits(Framework.model_validate(before), [op])) == dump(fw)
        ids = fw.all_ids()
        assert len(ids) == len(set(ids)), f"duplicate ids after {op!r}"
        known = set(fw.concept_ids())
        for _, _, concept in fw.concepts():
            assert set(concept.prerequisites) <= known, f"dangling prerequisite after {op!r}"
    assert dump(original) == dump(sample())
    replayed = original
    for op in applied:
        replayed = apply_edits(replayed, [op])
    assert dump(replayed) == dump(fw)


# --- assign_ids ------------------------------------------------------------------------


def test_assign_ids_renumbers_and_keeps_prerequisites_by_id_or_name() -> None:
    raw = Framework(
        title="T",
        stages=[
            Stage(
                id="basics",
                name="Basics",
                modules=[
                    Module(
                        id="x",
                        name="Python",
                        concepts=[
                            Concept(id="vars", name="Variables"),
                            Concept(id="loops", name="Loops", prerequisites=["vars"]),
                        ],
                    )
                ],
            ),
            Stage(
                id="more",
                name="More",
                modules=[
                    Module(
                        id="x",
                        name="Functions",
                        concepts=[
                            Concept(
                                id="fn",
                                name="Functions",
                                prerequisites=["LOOPS", "variables", "Loops"],
                            )
                        ],
                    )
                ],
            ),
        ],
    )
    result = assign_ids(raw)
    assert layout(result) == [("s1", [("m1", ["c1", "c2"])]), ("s2", [("m2", ["c3"])])]
    assert prerequisites(result) == {"c1": [], "c2": ["c1"], "c3": ["c2", "c1", "c2"]}
    assert [c.name for _, _, c in result.concepts()] == ["Variables", "Loops", "Functions"]
    assert raw.stages[0].id == "basics", "the input is not changed"


def test_assign_ids_is_idempotent_on_numbered_frameworks() -> None:
    fw = sample()
    assert dump(assign_ids(fw)) == dump(fw)
    assert dump(assign_ids(assign_ids(fw))) == dump(fw)


def test_assign_ids_prefers_ids_over_names() -> None:
    raw = Framework(
        title="T",
        stages=[
            Stage(
                id="s",
                name="S",
                modules=[
                    Module(
                        id="m",
                        name="M",
                        concepts=[
                            Concept(id="intro", name="Basics"),
                            Concept(id="basics", name="Syntax"),
                            Concept(id="next", name="Next", prerequisites=["basics"]),
                        ],
                    )
                ],
            )
        ],
    )
    assert prerequisites(assign_ids(raw))["c3"] == ["c2"]


def test_assign_ids_never_turns_an_unknown_prerequisite_into_a_link() -> None:
    raw = Framework(
        title="T",
        stages=[
            Stage(
                id="s",
                name="S",
                modules=[
                    Module(
                        id="m",
                        name="M",
                        concepts=[
                            Concept(id="a", name="A"),
                            Concept(id="b", name="B", prerequisites=["c1"]),
                        ],
                    )
                ],
            )
        ],
    )
    assert prerequisites(assign_ids(raw))["c2"] != ["c1"]
