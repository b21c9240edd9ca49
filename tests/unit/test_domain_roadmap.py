"""Framework rules: structural issues, prerequisite cycles and the validation score."""

from __future__ import annotations

import itertools
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from learnpath.domain.roadmap import (
    Concept,
    Framework,
    Issue,
    Module,
    Severity,
    Stage,
    ValidationResult,
    find_cycle,
    structural_issues,
)


def concept(cid: str, hours: float = 2.0, requires: tuple[str, ...] = ()) -> Concept:
    return Concept(
        id=cid, name=f"Concept {cid}", estimated_hours=hours, prerequisites=list(requires)
    )


def module(mid: str, *concepts: Concept) -> Module:
    return Module(id=mid, name=f"Module {mid}", concepts=list(concepts))


def stage(sid: str, *modules: Module) -> Stage:
    return Stage(id=sid, name=f"Stage {sid}", modules=list(modules))


def framework(*stages: Stage) -> Framework:
    return Framework(title="Roadmap", stages=list(stages))


def sound() -> Framework:
    """Two stages, three modules, five concepts of 2 h, prerequisites pointing backwards."""
    return framework(
        stage(
            "s1",
            module("m1", concept("c1"), concept("c2", requires=("c1",))),
            module("m2", concept("c3", requires=("c1", "c2"))),
        ),
        stage("s2", module("m3", concept("c4", requires=("c3",)), concept("c5"))),
    )


def codes(issues: list[Issue]) -> list[str]:
    return [issue.code for issue in issues]


# --- the framework's own queries -------------------------------------------------------


def test_queries() -> None:
    fw = sound()
    assert fw.concept_ids() == ["c1", "c2", "c3", "c4", "c5"]
    assert fw.all_ids() == ["s1", "m1", "c1", "c2", "m2", "c3", "s2", "m3", "c4", "c5"]
    assert fw.total_hours() == 10.0
    found = fw.concept("c3")
    assert found is not None
    assert found.prerequisites == ["c1", "c2"]
    assert fw.concept("m1") is None
    assert fw.concept("nope") is None
    assert [(s.id, m.id, c.id) for s, m, c in fw.concepts()][2] == ("s1", "m2", "c3")


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Concept, {"id": "c1", "name": "x", "estimated_hours": 0}),
        (Concept, {"id": "c1", "name": "x", "estimated_hours": 201}),
        (Concept, {"id": "", "name": "x"}),
        (Concept, {"id": "c1", "name": ""}),
        (Concept, {"id": "c1", "name": "x", "surprise": 1}),
        (
            Module,
            {
                "id": "m1",
                "name": "x",
                "concepts": [{"id": f"c{i}", "name": "x"} for i in range(51)],
            },
        ),
        (Framework, {"title": ""}),
    ],
)
def test_model_bounds(model: type[Any], fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(fields)


# --- structural_issues -----------------------------------------------------------------


def test_sound_framework_has_no_issues() -> None:
    assert structural_issues(sound(), hour_budget=10) == []


def test_empty_framework() -> None:
    issues = structural_issues(framework(), hour_budget=10)
    assert codes(issues) == ["empty_framework"]
    assert issues[0].severity is Severity.ERROR


def test_duplicate_ids_across_kinds_are_reported() -> None:
    fw = framework(
        stage("x", module("m1", concept("c1"), concept("c1"))),
        stage("s2", module("x", concept("c2"))),
    )
    issues = [i for i in structural_issues(fw, hour_budget=6) if i.code == "duplicate_id"]
    assert sorted(i.target_id or "" for i in issues) == ["c1", "x"]
    assert all(i.severity is Severity.ERROR for i in issues)


def test_empty_stage_and_empty_module() -> None:
    fw = framework(
        stage("s1", module("m1", concept("c1")), module("m2")),
        stage("s2"),
    )
    issues = structural_issues(fw, hour_budget=2)
    by_code = {i.code: i for i in issues}
    assert set(by_code) == {"empty_module", "empty_stage"}
    assert by_code["empty_module"].target_id == "m2"
    assert by_code["empty_stage"].target_id == "s2"
    assert "Module m2" in by_code["empty_module"].message


@pytest.mark.parametrize("missing", ["c9", "m1", "s1", ""])
def test_unknown_prerequisite(missing: str) -> None:
    fw = framework(stage("s1", module("m1", concept("c1"), concept("c2", requires=(missing,)))))
    issues = structural_issues(fw, hour_budget=4)
    assert codes(issues) == ["unknown_prerequisite"]
    assert issues[0].target_id == "c2"
    assert issues[0].severity is Severity.ERROR
    assert repr(missing) in issues[0].message


def test_self_prerequisite_is_an_error_but_not_a_cycle() -> None:
    fw = framework(stage("s1", module("m1", concept("c1", requires=("c1",)))))
    issues = structural_issues(fw, hour_budget=2)
    assert codes(issues) == ["self_prerequisite"]
    assert issues[0].target_id == "c1"


def test_prerequisite_after_concept_is_a_warning() -> None:
    fw = framework(
        stage("s1", module("m1", concept("c1", requires=("c3",)), concept("c2"))),
        stage("s2", module("m2", concept("c3"))),
    )
    issues = structural_issues(fw, hour_budget=6)
    assert codes(issues) == ["prerequisite_after_concept"]
    assert issues[0].severity is Severity.WARNING
    assert issues[0].target_id == "c1"


def test_prerequisite_cycle_is_reported_with_its_path() -> None:
    fw = framework(
        stage(
            "s1",
            module(
                "m1",
                concept("c1", requires=("c3",)),
                concept("c2", requires=("c1",)),
                concept("c3", requires=("c2",)),
            ),
        )
    )
    issues = structural_issues(fw, hour_budget=6)
    cycles = [i for i in issues if i.code == "prerequisite_cycle"]
    assert len(cycles) == 1
    assert cycles[0].severity is Severity.ERROR
    assert cycles[0].message.endswith("c1 -> c3 -> c2 -> c1")
    assert cycles[0].target_id == "c1"
    assert codes(issues).count("prerequisite_after_concept") == 1


@pytest.mark.parametrize(
    ("budget", "expected", "severity"),
    [
        (10, [], None),
        (8.7, [], None),  # 10 h <= 8.7 * 1.15
        (8.6, ["over_budget"], Severity.ERROR),
        (33.3, [], None),  # 10 h >= 33.3 * 0.3
        (34, ["under_budget"], Severity.WARNING),
        (0, ["over_budget"], Severity.ERROR),
    ],
)
def test_budget(budget: float, expected: list[str], severity: Severity | None) -> None:
    issues = structural_issues(sound(), hour_budget=budget)
    assert codes(issues) == expected
    if severity is not None:
        assert issues[0].severity is severity
        assert "10 h" in issues[0].message


def test_empty_framework_is_not_also_under_budget() -> None:
    assert codes(structural_issues(framework(), hour_budget=1000)) == ["empty_framework"]


# --- find_cycle ------------------------------------------------------------------------


def assert_is_cycle(graph: dict[str, list[str]], cycle: list[str]) -> None:
    assert len(cycle) >= 2
    assert cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1, "a simple cycle visits each node once"
    for source, target in itertools.pairwise(cycle):
        assert target in graph[source], f"{source} -> {target} is not an edge"


@pytest.mark.parametrize(
    "graph",
    [
        {},
        {"a": []},
        {"a": ["b"], "b": []},
        {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []},  # diamond
        {"a": ["zz"]},  # edges to nodes outside the graph are ignored
    ],
)
def test_acyclic_graphs(graph: dict[str, list[str]]) -> None:
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": ["a"]}, ["a", "a"]),
        ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
        ({"x": ["a"], "a": ["b"], "b": ["c"], "c": ["d"], "d": ["b"]}, ["b", "c", "d", "b"]),
    ],
)
def test_cycles(graph: dict[str, list[str]], expected: list[str]) -> None:
    found = find_cycle(graph)
    assert found == expected
    assert_is_cycle(graph, found)


def test_long_cycle() -> None:
    nodes = [f"n{i}" for i in range(200)]
    graph = {node: [nodes[(i + 1) % len(nodes)]] for i, node in enumerate(nodes)}
    found = find_cycle(graph)
    assert found is not None
    assert_is_cycle(graph, found)
    assert len(found) == 201


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]]]:
    """A random DAG: nodes in a random order, every edge points to a later node."""
    size = draw(st.integers(min_value=1, max_value=25))
    order = draw(st.permutations([f"n{i}" for i in range(size)]))
    graph: dict[str, list[str]] = {}
    for index, node in enumerate(order):
        later = order[index + 1 :]
        graph[node] = draw(st.lists(st.sampled_from(later), max_size=4)) if later else []
    keys = draw(st.permutations(list(graph)))
    return order, {key: graph[key] for key in keys}


@settings(max_examples=150, deadline=None)
@given(dags())
def test_random_dags_have_no_cycle(dag: tuple[list[str], dict[str, list[str]]]) -> None:
    assert find_cycle(dag[1]) is None


@settings(max_examples=150, deadline=None)
@given(dags(), st.data())
def test_a_back_edge_makes_a_cycle_that_is_found(
    dag: tuple[list[str], dict[str, list[str]]], data: st.DataObject
) -> None:
    order, graph = dag
    # Close a path: pick a node that reaches another, then add the edge back.
    source = data.draw(st.sampled_from(order))
    reachable = _reachable(graph, source)
    target = data.draw(st.sampled_from(sorted(reachable | {source})))
    graph = {key: list(edges) for key, edges in graph.items()}
    graph[target].append(source)
    found = find_cycle(graph)
    assert found is not None
    assert_is_cycle(graph, found)


def _reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_long_prerequisite_chain_does_not_overflow() -> None:
    length = sys.getrecursionlimit() + 500
    graph = {f"c{i}": ([f"c{i - 1}"] if i else []) for i in range(length)}
    graph = dict(reversed(graph.items()))  # start the search at the end of the chain
    assert find_cycle(graph) is None


# --- ValidationResult ------------------------------------------------------------------


def issue(severity: Severity) -> Issue:
    return Issue(code="x", message="x", severity=severity)


@pytest.mark.parametrize(
    ("errors", "warnings", "valid", "score"),
    [
        (0, 0, True, 1.0),
        (0, 1, True, 0.95),
        (0, 3, True, 0.85),
        (1, 0, False, 0.8),
        (2, 1, False, 0.55),
        (5, 0, False, 0.0),
        (7, 4, False, 0.0),
        (0, 30, True, 0.0),
    ],
)
def test_from_issues_scoring(errors: int, warnings: int, valid: bool, score: float) -> None:
    issues = [issue(Severity.ERROR)] * errors + [issue(Severity.WARNING)] * warnings
    result = ValidationResult.from_issues(issues)
    assert result.valid is valid
    assert result.score == score
    assert result.issues == issues


def test_from_issues_rounds_to_three_places() -> None:
    result = ValidationResult.from_issues([issue(Severity.WARNING)] * 7)
    assert result.score == 0.65
    assert str(result.score) == "0.65"
