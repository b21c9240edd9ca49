"""The roadmap as a map: stages → modules → concepts with prerequisite arrows, in SVG.

Rendered on the server from the roadmap document, with no script and no outside asset.
The layout is vertical (a column of concept boxes under their stage and module), so it is
readable on a 390 px phone; prerequisite arrows curve through a lane on the left. Each
concept box links to its content; done concepts are filled and ticked. Every text is
escaped: names come from a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from learnpath.document import document_concepts

WIDTH = 360
NODE_X = 56
NODE_WIDTH = WIDTH - NODE_X - 8
TEXT_SIZE = 13
LINE = 17
#: Approximate advance of a character, in ems, to wrap names without measuring them.
NARROW_EM, WIDE_EM = 0.56, 1.0
MAX_LINES = 3
LANES = 5

COLOURS = {
    "stage": "#2456c9",
    "stage_text": "#ffffff",
    "module": "#5f6b7a",
    "node": "#ffffff",
    "node_line": "#b6bfcc",
    "node_text": "#1d232b",
    "done": "#ddf4e4",
    "done_line": "#1c7c3a",
    "arrow": "#8a96a8",
    "muted": "#5f6b7a",
}


@dataclass(frozen=True)
class MapLabels:
    """The map's own words (the page passes them in its UI language)."""

    title: str = "Roadmap map"
    stage: str = "Stage {number}"
    legend: str = "Arrows point from a prerequisite to the concept that needs it; ✓ done."
    offline: str = "Offline sample content"


def _width(char: str) -> float:
    return WIDE_EM if ord(char) >= 0x2E80 else NARROW_EM


def wrap(
    text: str, width_px: float, size: int = TEXT_SIZE, max_lines: int = MAX_LINES
) -> list[str]:
    """Split ``text`` into lines that fit ``width_px`` (at most ``max_lines``, the last
    one shortened with an ellipsis). Words break at spaces; CJK text anywhere."""
    limit = width_px / size
    lines: list[str] = []
    current, used = "", 0.0
    for token in _tokens(text):
        token_width = sum(_width(c) for c in token)
        if current and used + token_width > limit:
            lines.append(current.rstrip())
            current, used = "", 0.0
            token = token.lstrip()
            token_width = sum(_width(c) for c in token)
        while token_width > limit:  # a single word longer than a line
            cut, taken = "", 0.0
            for char in token:
                if taken + _width(char) > limit:
                    break
                cut, taken = cut + char, taken + _width(char)
            lines.append(cut)
            token = token[len(cut) :]
            token_width = sum(_width(c) for c in token)
        current, used = current + token, used + token_width
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)].rstrip() + "…"
    return lines or [""]


def _tokens(text: str) -> list[str]:
    """Words with their leading space; each wide (CJK) character is a token of its own."""
    tokens: list[str] = []
    space = False
    for char in " ".join(text.split()):
        if char == " ":
            space = True
            continue
        prefix, space = (" " if space else ""), False
        if prefix or not tokens or _width(char) == WIDE_EM or _width(tokens[-1][-1]) == WIDE_EM:
            tokens.append(prefix + char)
        else:
            tokens[-1] += char
    return tokens


def _text(x: float, y: float, lines: list[str], **attrs: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attrs.items())
    spans = "".join(
        f'<tspan x="{x:g}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{x:g}" y="{y:g}"{extra}>{spans}</text>'


def roadmap_map(
    document: dict[str, Any],
    *,
    done: set[str] | frozenset[str] = frozenset(),
    link: Callable[[str], str] | None = None,
    labels: MapLabels | None = None,
) -> str:
    """The SVG markup of the map of ``document``; ``link(concept_id)`` gives each box's href."""
    labels = labels or MapLabels()
    parts: list[str] = []
    centres: dict[str, float] = {}
    y = 12.0
    if document.get("offline"):
        parts.append(
            _text(
                8,
                y + TEXT_SIZE,
                [labels.offline],
                class_="lp-map-muted",
                fill=COLOURS["muted"],
                font_size="12",
            )
        )
        y += 22
    for number, stage in enumerate(document["stages"], start=1):
        heading = wrap(
            labels.stage.format(number=number) + " · " + stage["name"], WIDTH - 32, 14, 2
        )
        height = 12 + LINE * len(heading)
        parts.append(
            f'<rect class="lp-map-stage" x="8" y="{y:g}" width="{WIDTH - 16}" '
            f'height="{height}" rx="6" fill="{COLOURS["stage"]}"/>'
        )
        parts.append(
            _text(
                16,
                y + 20,
                heading,
                class_="lp-map-stage-text",
                fill=COLOURS["stage_text"],
                font_size="14",
                font_weight="700",
            )
        )
        y += height + 10
        for module in stage["modules"]:
            name = wrap(module["name"], NODE_WIDTH, TEXT_SIZE, 2)
            parts.append(
                _text(
                    NODE_X,
                    y + TEXT_SIZE,
                    name,
                    class_="lp-map-module",
                    fill=COLOURS["module"],
                    font_weight="600",
                )
            )
            y += LINE * len(name) + 6
            for concept in module["concepts"]:
                y = _concept(parts, centres, concept, y, done, link)
            y += 6
        y += 6
    arrows = _arrows(document, centres)
    legend = wrap(labels.legend, WIDTH - 16, 11, 3)
    parts.append(
        _text(8, y + 11, legend, class_="lp-map-muted", fill=COLOURS["muted"], font_size="11")
    )
    total_height = y + 11 + LINE * len(legend)
    title = escape(f"{labels.title}: {document['title']}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lp-map" viewBox="0 0 {WIDTH} '
        f'{total_height:g}" width="{WIDTH}" height="{total_height:g}" font-family="system-ui, sans-serif" '
        f'font-size="{TEXT_SIZE}" aria-label="{title}"><title>{title}</title>'
        '<defs><marker id="lp-map-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" '
        f'class="lp-map-arrowhead" fill="{COLOURS["arrow"]}"/></marker></defs>'
        + "".join(arrows)
        + "".join(parts)
        + "</svg>"
    )


def _concept(
    parts: list[str],
    centres: dict[str, float],
    concept: dict[str, Any],
    y: float,
    done: set[str] | frozenset[str],
    link: Callable[[str], str] | None,
) -> float:
    cid = concept["concept_id"]
    is_done = cid in done
    name = ("✓ " if is_done else "") + concept["name"]
    lines = wrap(name, NODE_WIDTH - 20)
    height = 12 + LINE * len(lines)
    state = "lp-map-node lp-map-done" if is_done else "lp-map-node"
    box = (
        f'<rect class="{state}" x="{NODE_X}" y="{y:g}" width="{NODE_WIDTH}" height="{height}" '
        f'rx="6" fill="{COLOURS["done" if is_done else "node"]}" '
        f'stroke="{COLOURS["done_line" if is_done else "node_line"]}"/>'
        + _text(NODE_X + 10, y + 19, lines, class_="lp-map-node-text", fill=COLOURS["node_text"])
    )
    group = f'<g class="lp-map-concept" data-concept-id="{escape(cid)}">{box}</g>'
    if link is not None:
        group = f'<a href="{escape(link(cid))}">{group}</a>'
    parts.append(group)
    centres[cid] = y + height / 2
    return y + height + 6


def _arrows(document: dict[str, Any], centres: dict[str, float]) -> list[str]:
    arrows = []
    index = 0
    for _, _, concept in document_concepts(document):
        end = centres.get(concept["concept_id"])
        for prerequisite in concept["prerequisites"]:
            start = centres.get(prerequisite)
            if start is None or end is None:
                continue
            bend = NODE_X - 12 - 8 * (index % LANES)
            arrows.append(
                f'<path class="lp-map-arrow" d="M{NODE_X},{start:g} C{bend},{start:g} '
                f'{bend},{end:g} {NODE_X - 1},{end:g}" fill="none" stroke="{COLOURS["arrow"]}" '
                'stroke-width="1.5" marker-end="url(#lp-map-arrow)"/>'
            )
            index += 1
    return arrows
