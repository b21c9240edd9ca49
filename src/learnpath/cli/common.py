"""What every command shares: settings, a sync edge around async code, clean error output."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from learnpath.settings import Settings

T = TypeVar("T")

# Progress and messages go to stderr; stdout carries only results (paths, tokens, JSON).
err = Console(stderr=True)
out = Console(soft_wrap=True)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid configuration: {problems}")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """The sync edge: run one coroutine on a fresh event loop."""
    return asyncio.run(coroutine)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
