"""What the tutor answers from, and how an answer cites it.

A tutor answer is grounded in numbered **sources** about one concept: its place in the
roadmap (stage, module, prerequisites and what builds on it) as source 1, then each section
of its tutorial, then each of its resources. The model is asked to cite them as ``[n]``; the
numbers an answer actually uses become its **citations**, which pages render as links (a
resource's URL, or the tutorial on the roadmap page).

``offline_answer`` is the offline model's answer: deterministic, built only from the sources,
and labelled as sample text. Everything here is pure.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from learnpath.domain.content import ResourceList, Tutorial
from learnpath.domain.roadmap import Framework

#: Longest question a learner may ask (characters).
MAX_QUESTION = 2000
#: How much of a tutorial section is given to the model as that source's text.
SECTION_TEXT = 1500
#: Earlier turns of the conversation the model sees with a new question.
HISTORY_TURNS = 6

_CITATION = re.compile(r"\[(\d{1,3})\](?!\()")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_WORD = re.compile(r"\w+", re.UNICODE)


class SourceKind(StrEnum):
    ROADMAP = "roadmap"
    TUTORIAL = "tutorial"
    RESOURCE = "resource"


class Source(BaseModel):
    """One numbered thing an answer may cite."""

    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1)
    kind: SourceKind
    title: str
    url: str | None = None
    text: str = ""


class MessageRole(StrEnum):
    QUESTION = "question"
    ANSWER = "answer"


class MessageStatus(StrEnum):
    STREAMING = "streaming"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


def tutorial_sections(markdown: str) -> list[tuple[str, str]]:
    """``(heading, text)`` for each headed section of a tutorial (text before the first
    heading is an untitled introduction). Headings inside code fences are not headings."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            sections.append((match.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    found = [(title, "\n".join(lines).strip()) for title, lines in sections]
    return [(title, text) for title, text in found if title or text]


def concept_sources(
    framework: Framework,
    concept_id: str,
    tutorial: Tutorial | None,
    resources: ResourceList | None,
) -> list[Source]:
    """The numbered sources for questions about ``concept_id`` (empty when it is unknown)."""
    placement = _placement(framework, concept_id)
    if placement is None:
        return []
    sources = [Source(number=1, kind=SourceKind.ROADMAP, title=placement[0], text=placement[1])]
    if tutorial is not None:
        for heading, text in tutorial_sections(tutorial.markdown):
            sources.append(
                Source(
                    number=len(sources) + 1,
                    kind=SourceKind.TUTORIAL,
                    title=heading or tutorial.title,
                    text=text[:SECTION_TEXT],
                )
            )
    if resources is not None:
        for resource in resources.resources:
            sources.append(
                Source(
                    number=len(sources) + 1,
                    kind=SourceKind.RESOURCE,
                    title=resource.title,
                    url=resource.url
                    if resource.url and resource.url.startswith(("http://", "https://"))
                    else None,
                    text=resource.description,
                )
            )
    return sources


def _placement(framework: Framework, concept_id: str) -> tuple[str, str] | None:
    names = {c.id: c.name for _, _, c in framework.concepts()}
    for stage_no, stage in enumerate(framework.stages, start=1):
        for module in stage.modules:
            for concept in module.concepts:
                if concept.id != concept_id:
                    continue
                after = [
                    c.name for _, _, c in framework.concepts() if concept.id in c.prerequisites
                ]
                lines = [
                    f"Roadmap: {framework.title}",
                    f"Stage {stage_no}: {stage.name}",
                    f"Module: {module.name}",
                    f"Concept: {concept.name} ({concept.estimated_hours:g} h, {concept.difficulty})",
                    f"Description: {concept.description}",
                    "Prerequisites: "
                    + (", ".join(names.get(p, p) for p in concept.prerequisites) or "none"),
                    "Builds towards: " + (", ".join(after) or "nothing later in the roadmap"),
                ]
                title = f"{stage.name} › {module.name} › {concept.name}"
                return title, "\n".join(lines)
    return None


def cited_numbers(text: str, sources: list[Source]) -> list[int]:
    """The source numbers ``text`` cites as ``[n]``, in order of first use (unknown ones dropped)."""
    known = {s.number for s in sources}
    cited: list[int] = []
    for match in _CITATION.finditer(text):
        number = int(match.group(1))
        if number in known and number not in cited:
            cited.append(number)
    return cited


def link_citations(text: str, links: dict[int, str]) -> str:
    """Markdown with each ``[n]`` that has a link turned into a link to it (``[[n]](url)``)."""

    def replace(match: re.Match[str]) -> str:
        url = links.get(int(match.group(1)))
        return f"[\\[{match.group(1)}\\]]({url})" if url else match.group(0)

    return _CITATION.sub(replace, text)


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text) if len(w) > 2 or not w.isascii()}


def best_section(question: str, sources: list[Source]) -> Source | None:
    """The tutorial section sharing the most words with the question (the first on a tie)."""
    wanted = _words(question)
    sections = [s for s in sources if s.kind is SourceKind.TUTORIAL and s.text]
    if not sections:
        return None
    return max(sections, key=lambda s: (len(wanted & _words(s.title + " " + s.text)), -s.number))


def _first_sentences(text: str, limit: int = 280) -> str:
    plain = " ".join(
        line.strip().lstrip("-*> ").strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("```", "|"))
    )
    if len(plain) <= limit:
        return plain
    cut = plain[:limit]
    end = max(cut.rfind(". "), cut.rfind("。"))
    return cut[: end + 1] if end > 40 else cut.rstrip() + "…"


def offline_answer(question: str, sources: list[Source], language: str) -> str:
    """The offline tutor's deterministic answer: it quotes the best matching tutorial
    section, places the concept in the roadmap and points to a resource, citing each."""
    zh = language == "zh"
    roadmap = next((s for s in sources if s.kind is SourceKind.ROADMAP), None)
    section = best_section(question, sources)
    resource = next((s for s in sources if s.kind is SourceKind.RESOURCE), None)
    asked = " ".join(question.split())[:200]
    lines = [
        "**离线导师（示例回答）**" if zh else "**Offline tutor (sample answer)**",
        "",
        f"你问：“{asked}”" if zh else f"You asked: “{asked}”",
        "",
    ]
    if section is not None:
        quote = _first_sentences(section.text)
        lines.append(
            f"教程中的“{section.title}”一节讲到了这一点 [{section.number}]：{quote}"
            if zh
            else f"The tutorial's section “{section.title}” covers this [{section.number}]: {quote}"
        )
        lines.append("")
    if roadmap is not None:
        where = roadmap.title.replace(" › ", " / ")
        lines.append(
            f"这个概念在路线图中的位置是 {where} [{roadmap.number}]；先复习它的先修概念会更容易理解。"
            if zh
            else f"In your roadmap this concept sits at {where} [{roadmap.number}]; "
            "revisiting its prerequisites first makes it easier."
        )
        lines.append("")
    if resource is not None:
        lines.append(
            f"想深入学习，可以看看“{resource.title}” [{resource.number}]。"
            if zh
            else f"To go further, see “{resource.title}” [{resource.number}]."
        )
        lines.append("")
    lines.append(
        "这是离线示例模型的确定性回答；设置 LEARNPATH_MODEL 以获得真正的解答。"
        if zh
        else "This is the offline sample model's deterministic answer; set LEARNPATH_MODEL "
        "for a real tutor."
    )
    return "\n".join(lines)
