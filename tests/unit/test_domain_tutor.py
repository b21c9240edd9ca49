"""Grounding and citations of tutor answers, and the offline tutor's answer (pure)."""

from __future__ import annotations

from learnpath.domain.content import Resource, ResourceList, Tutorial
from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from learnpath.domain.tutor import (
    SourceKind,
    cited_numbers,
    concept_sources,
    link_citations,
    offline_answer,
    tutorial_sections,
)

TUTORIAL = Tutorial(
    title="Joins",
    summary="How tables combine",
    markdown="Intro line.\n\n# Joins\n\nJoins combine rows.\n\n## Why it matters\n\nReports "
    "need data from many tables. Joins make that possible.\n\n```sql\n# not a heading\nSELECT 1;\n```\n"
    "## Practice\n\nWrite three joins.\n",
)
FRAMEWORK = Framework(
    title="SQL roadmap",
    stages=[
        Stage(
            id="s1",
            name="Basics",
            modules=[
                Module(
                    id="m1",
                    name="Queries",
                    concepts=[
                        Concept(id="c1", name="SELECT"),
                        Concept(id="c2", name="Joins", prerequisites=["c1"]),
                        Concept(id="c3", name="Views", prerequisites=["c2"]),
                    ],
                )
            ],
        )
    ],
)
RESOURCES = ResourceList(
    resources=[
        Resource(title="Join docs", url="https://example.org/joins"),
        Resource(title="Bad link", url="javascript:alert(1)"),
    ]
)


def test_sections_follow_headings_outside_code() -> None:
    sections = tutorial_sections(TUTORIAL.markdown)
    assert [title for title, _ in sections] == ["", "Joins", "Why it matters", "Practice"]
    assert "# not a heading" in sections[2][1]


def test_sources_number_placement_sections_then_resources() -> None:
    sources = concept_sources(FRAMEWORK, "c2", TUTORIAL, RESOURCES)
    assert [(s.number, s.kind) for s in sources] == [
        (1, SourceKind.ROADMAP),
        (2, SourceKind.TUTORIAL),
        (3, SourceKind.TUTORIAL),
        (4, SourceKind.TUTORIAL),
        (5, SourceKind.TUTORIAL),
        (6, SourceKind.RESOURCE),
        (7, SourceKind.RESOURCE),
    ]
    placement = sources[0]
    assert placement.title == "Basics › Queries › Joins"
    assert "Prerequisites: SELECT" in placement.text and "Builds towards: Views" in placement.text
    assert (
        sources[2].title == "Joins" and sources[1].title == "Joins"
    )  # untitled intro: the tutorial's title
    assert sources[5].url == "https://example.org/joins" and sources[6].url is None
    assert concept_sources(FRAMEWORK, "nope", TUTORIAL, RESOURCES) == []
    assert [s.kind for s in concept_sources(FRAMEWORK, "c1", None, None)] == [SourceKind.ROADMAP]


def test_citations_are_known_numbers_in_order_of_first_use() -> None:
    sources = concept_sources(FRAMEWORK, "c2", TUTORIAL, RESOURCES)
    text = "Joins combine rows [3]. See [6] and [3] again; [99] is made up, [link](x) [2](y) is a link."
    assert cited_numbers(text, sources) == [3, 6]
    linked = link_citations("A [3] and [99].", {3: "#ref-m-3"})
    assert linked == "A [\\[3\\]](#ref-m-3) and [99]."


def test_the_offline_answer_is_grounded_deterministic_and_labelled() -> None:
    sources = concept_sources(FRAMEWORK, "c2", TUTORIAL, RESOURCES)
    answer = offline_answer("why does it matter for reports?", sources, "en")
    assert answer == offline_answer("why does it matter for reports?", sources, "en")
    assert answer.startswith("**Offline tutor (sample answer)**")
    assert "“Why it matters” covers this [4]: Reports need data from many tables." in answer
    assert "Basics / Queries / Joins [1]" in answer and "“Join docs” [6]" in answer
    assert cited_numbers(answer, sources) == [4, 1, 6]
    practice = offline_answer("how do I practice?", sources, "en")
    assert "“Practice” covers this [5]" in practice
    chinese = offline_answer("为什么重要？", sources, "zh")
    assert chinese.startswith("**离线导师（示例回答）**") and "[1]" in chinese
    assert "Offline tutor" not in chinese
