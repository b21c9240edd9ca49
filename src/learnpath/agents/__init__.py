"""The seven agents of the workflow, behind one interface the engine calls.

``build_team(settings)`` returns the implementation: pydantic-ai agents over the configured
model (``LEARNPATH_MODEL``), or over the offline model when none is configured.
"""

from __future__ import annotations

from learnpath.agents.team import AgentTeam, ConceptBrief
from learnpath.search.hits import SearchHit, SearchProvider
from learnpath.settings import Settings


def build_team(settings: Settings, *, search: SearchProvider | None = None) -> AgentTeam:
    """The agent team for ``settings``; raises ``ModelCallError`` on a bad model setting."""
    from learnpath.agents.llm_team import LLMTeam

    return LLMTeam(settings, search=search)


__all__ = ["AgentTeam", "ConceptBrief", "SearchHit", "SearchProvider", "build_team"]
