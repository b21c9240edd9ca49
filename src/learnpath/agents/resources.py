"""Resources agent: learning resources for one concept, with no invented URLs.

With a search provider the model chooses among its results and only URLs that came from the
provider are marked ``verified``. Without one the model suggests resources; any URL it writes
anyway is kept but marked unverified, and anything that is not an http(s) URL is dropped.
"""

from __future__ import annotations

from learnpath.agents.prompting import StructuredAgent, brief_context, structured_agent
from learnpath.agents.search import SearchHit, SearchProvider
from learnpath.agents.team import ConceptBrief
from learnpath.domain.content import ResourceList
from learnpath.llm.guard import GuardedModel

SEARCH_LIMIT = 6


def build(model: GuardedModel, output_retries: int) -> StructuredAgent[ResourceList]:
    return structured_agent(
        "resources", model, ResourceList, output_retries, name="resources", tool="resource_list"
    )


async def recommend(
    agent: StructuredAgent[ResourceList], brief: ConceptBrief, search: SearchProvider | None
) -> ResourceList:
    hits: list[SearchHit] = []
    if search is not None:
        query = f"{brief.concept.name} {brief.module.name}"
        hits = await search.search(query, language=brief.request.language, limit=SEARCH_LIMIT)
    context = {
        **brief_context(brief),
        "search_results": [{"title": h.title, "url": h.url, "snippet": h.snippet} for h in hits],
    }
    found = await agent.ask(
        f"Recommend resources for the concept {brief.concept.name!r}.",
        context,
        brief.request.language,
    )
    return mark_verified(found, {h.url for h in hits})


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
