"""Web search for grounded resources: the search protocol, SearXNG, Tavily, a link check."""

from learnpath.search.hits import SearchHit, SearchProvider
from learnpath.search.links import LinkChecker
from learnpath.search.providers import (
    SearchError,
    SearxngSearch,
    TavilySearch,
    link_checker_from,
    search_from,
)

__all__ = [
    "LinkChecker",
    "SearchError",
    "SearchHit",
    "SearchProvider",
    "SearxngSearch",
    "TavilySearch",
    "link_checker_from",
    "search_from",
]
