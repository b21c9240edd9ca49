"""The HTTP API: ``create_app(settings)`` builds it, ``serve`` runs it with uvicorn."""

from __future__ import annotations

from learnpath.api.app import create_app, serve

__all__ = ["create_app", "serve"]
