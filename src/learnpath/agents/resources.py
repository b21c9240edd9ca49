"""Resources agent: learning resources for one concept, with no invented URLs.

With a search provider the model chooses among its results, and a resource is ``verified``
only when its URL came from the provider *and* answered 2xx/3xx to the link check. A search
or link check that fails degrades to unverified resources with a note, never a failed item.
Without a provider the model suggests resources; any URL it writes anyway is kept but marked
unverified, and anything that is not an http(s) URL is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from learnpath.agents.prompting import (
    TOOL_OUTPUT,
    OutputStyle,
    StructuredAgent,
    brief_context,
    structured_agent,
)
from learnpath.agents.team import ConceptBrief
from learnpath.domain.content import Resource, ResourceList
from learnpath.llm.guard import GuardedModel
from learnpath.search.hits import SearchHit, SearchProvider
from learnpath.search.links import LinkChecker
from learnpath.search.providers import SearchError

log = logging.getLogger(__name__)

SEARCH_LIMIT = 6
SEARCH_FAILED_NOTE = "Search was unavailable, so this link is not verified."
DEAD_LINK_NOTE = "This link did not answer when checked; it is not verified."


def build(
    model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
) -> StructuredAgent[ResourceList]:
    return structured_agent(
        "resources",
        model,
        ResourceList,
        output_retries,
        tool="resource_list",
        style=style,
    )


async def recommend(
    agent: StructuredAgent[ResourceList],
    brief: ConceptBrief,
    search: SearchProvider | None,
    links: LinkChecker | None = None,
) -> ResourceList:
    hits: list[SearchHit] = []
    search_failed = False
    if search is not None:
        query = f"{brief.concept.name} {brief.module.name}"
        try:
            hits = await search.search(query, language=brief.request.language, limit=SEARCH_LIMIT)
        except Exception as exc:  # a failed search degrades to unverified resources
            detail = exc.message if isinstance(exc, SearchError) else type(exc).__name__
            log.warning("search failed for concept %s: %s", brief.concept.id, detail)
            search_failed = True
    context = {
        **brief_context(brief),
        "search_results": [{"title": h.title, "url": h.url, "snippet": h.snippet} for h in hits],
    }
    found = await agent.ask(
        f"Recommend resources for the concept {brief.concept.name!r}.",
        context,
        brief.request.language,
    )
    marked = mark_verified(found, {h.url for h in hits})
    if search_failed:
        return _noted(marked, lambda r: r.url is not None, SEARCH_FAILED_NOTE)
    if links is not None:
        marked = await check_links(marked, links)
    return marked


def mark_verified(resources: ResourceList, found_urls: set[str]) -> ResourceList:
    """``verified`` is True exactly for URLs a search provider returned."""
    marked = []
    for resource in resources.resources:
        url = resource.url.strip() if resource.url else None
        if url is not None and not url.startswith(("https://", "http://")):
            url = None
        marked.append(
            resource.model_copy(
                update={"url": url, "verified": url is not None and url in found_urls}
            )
        )
    return ResourceList(resources=marked)


async def check_links(resources: ResourceList, links: LinkChecker) -> ResourceList:
    """Keep ``verified`` only for URLs that answer now; a dead link gets a note."""
    urls = [r.url for r in resources.resources if r.verified and r.url]
    if not urls:
        return resources
    try:
        alive = await links.check_all(urls)
    except Exception as exc:  # a broken check must never fail the item
        log.warning("link check failed: %s", type(exc).__name__)
        alive = {}
    return _noted(
        resources, lambda r: r.verified and not alive.get(r.url or "", False), DEAD_LINK_NOTE
    )


def _noted(resources: ResourceList, when: Callable[[Resource], bool], note: str) -> ResourceList:
    updated: list[Resource] = []
    for resource in resources.resources:
        if when(resource):
            description = f"{resource.description} ({note})" if resource.description else note
            resource = resource.model_copy(
                update={"verified": False, "description": description[:1000]}
            )
        updated.append(resource)
    return ResourceList(resources=updated)
