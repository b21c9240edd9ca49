"""The machine-readable input block every agent prompt ends with.

Agents put their structured input in a fenced ``json`` block after a ``## Input`` heading:
real models read it like any prompt text, and the offline model (and the fake server, which
reuses it) parse it back with ``extract_context`` to produce matching content.
"""

from __future__ import annotations

import json
from typing import Any

_FENCE = "```"
_MARKER = "## Input\n" + _FENCE + "json\n"


def render_context(data: dict[str, Any]) -> str:
    """The input section for a prompt: a heading and ``data`` as pretty JSON."""
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return f"{_MARKER}{body}\n{_FENCE}\n"


def extract_context(text: str) -> dict[str, Any] | None:
    """The data of the last input section in ``text``, or None when there is none or it is bad."""
    start = text.rfind(_MARKER)
    if start < 0:
        return None
    start += len(_MARKER)
    end = text.find("\n" + _FENCE, start)
    if end < 0:
        return None
    try:
        data = json.loads(text[start:end])
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
