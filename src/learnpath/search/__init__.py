"""Web search for grounded resources: SearXNG and Tavily providers, and a bounded link check."""

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
    "SearxngSearch",
    "TavilySearch",
    "link_checker_from",
    "search_from",
]
