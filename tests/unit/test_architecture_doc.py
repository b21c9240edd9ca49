"""docs/architecture.md agrees with the code: the lifecycle diagram with ``TRANSITIONS``, the
layers with the import contract, every test it names exists, and the README links to it."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from learnpath.domain.task import TRANSITIONS, TaskStatus

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::.*)?$")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def fenced_block(text: str, language: str) -> list[str]:
    blocks = re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)
    assert len(blocks) == 1, f"expected one {language} block, found {len(blocks)}"
    return [line for line in blocks[0].splitlines() if line.strip()]


def diagram_edges(lines: list[str]) -> set[tuple[str, str]]:
    edges = set()
    for line in lines[1:]:
        match = EDGE.match(line)
        assert match, f"not an edge: {line!r}"
        edges.add((match.group(1), match.group(2)))
    return edges


def test_the_diagram_is_a_state_diagram() -> None:
    assert fenced_block(doc_text(), "mermaid")[0].strip() == "stateDiagram-v2"


def test_the_lifecycle_diagram_has_exactly_the_allowed_transitions() -> None:
    edges = diagram_edges(fenced_block(doc_text(), "mermaid"))
    drawn = {(a, b) for a, b in edges if "[*]" not in (a, b)}
    allowed = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert drawn - allowed == set(), "drawn but not allowed"
    assert allowed - drawn == set(), "allowed but not drawn"
    assert {b for a, b in edges if a == "[*]"} == {TaskStatus.PENDING.value}


def test_edges_are_parsed_with_and_without_labels() -> None:
    lines = ["stateDiagram-v2", "a --> b: why", "  c-->d", "[*] --> a"]
    assert diagram_edges(lines) == {("a", "b"), ("c", "d"), ("[*]", "a")}


def test_the_layers_are_the_import_contracts() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [
        c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
    ]
    assert [line.strip() for line in fenced_block(doc_text(), "text")] == layers


def test_every_named_test_exists() -> None:
    references = TEST_REF.findall(doc_text())
    assert len(references) >= 20
    for path, function in references:
        file = ROOT / path
        assert file.is_file(), path
        if function:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            defined = {
                node.name
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            assert function in defined, f"{path}::{function}"


def test_the_readme_links_the_architecture_and_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/architecture.md" in readme
    assert "../" not in readme
