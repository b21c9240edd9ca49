"""Markdown to safe HTML for model-written tutorials.

Raw HTML in the source is escaped, never passed through, and links and images keep
only ``http``/``https`` (and in-page ``#``) targets, so a tutorial cannot inject
script or ``javascript:`` links into the page. Headings are demoted by
``HEADING_SHIFT`` levels: the roadmap page's own headings stay the outline.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

#: Levels added to headings in the source, so the page keeps exactly one <h1>.
HEADING_SHIFT = 3
_SAFE_URL = re.compile(r"^(https?://|#)", re.IGNORECASE)


def _safe_link(url: str) -> bool:
    return bool(_SAFE_URL.match(url.strip()))


def _make_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    md.disable("image")
    md.validateLink = _safe_link  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        if not str(tokens[idx].attrGet("href") or "").startswith("#"):
            tokens[idx].attrSet("target", "_blank")
        return str(renderer.renderToken(tokens, idx, options, env))

    def demoted(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # The page owns <h1>..<h3>: a tutorial's "# Title" becomes an <h4>, and so on.
        level = min(int(tokens[idx].tag[1]) + HEADING_SHIFT, 6)
        tokens[idx].tag = f"h{level}"
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("heading_open", demoted)
    md.add_render_rule("heading_close", demoted)
    return md


_RENDERER = _make_renderer()


def render_markdown(source: str) -> Markup:
    """Render ``source`` to HTML that is safe to place in a page."""
    return Markup(_RENDERER.render(source))  # noqa: S704 - raw HTML is disabled above
