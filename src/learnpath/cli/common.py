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

# Exit codes of every command (documented in the README).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
EXIT_CANCELED = 4
EXIT_REVIEW = 5
EXIT_UNAVAILABLE = 6

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
        fail(
            f"invalid configuration: {problems}\n"
            "hint: check the LEARNPATH_* environment variables and the .env file",
            code=EXIT_BAD_INPUT,
        )


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """The sync edge: run one coroutine on a fresh event loop."""
    try:
        return asyncio.run(coroutine)
    except (ConnectionError, TimeoutError) as exc:
        fail(
            f"a service is unavailable ({type(exc).__name__}); "
            "run `learnpath doctor` to see which one and how to start it",
            code=EXIT_UNAVAILABLE,
        )


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` on stderr and end the command with ``code``."""
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def quiet_third_party() -> None:
    """Switch off the model library's first-run banner and output-type dump on terminals."""
    import pydantic_ai

    pydantic_ai.BANNER_ENABLED = False


def setup_logging(verbose: bool) -> None:
    from learnpath.llm.models import quiet_http_client_logs
    from learnpath.redact import install_redaction

    install_redaction()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_http_client_logs()
