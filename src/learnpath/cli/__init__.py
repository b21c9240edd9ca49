"""The ``learnpath`` command line (Typer). Each command parses, calls one function, renders."""

from __future__ import annotations

from learnpath.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
