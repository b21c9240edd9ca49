"""Configuration: one validated ``Settings`` object, built explicitly where needed.

Every variable is read with the ``LEARNPATH_`` prefix, from the environment or a
``.env`` file in the working directory. Nothing here runs at import time.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Executor(StrEnum):
    LOCAL = "local"
    CELERY = "celery"


class AuthMode(StrEnum):
    TOKEN = "token"
    NONE = "none"


#: The names of this machine a browser can use without DNS (and so without rebinding).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("learnpath", appauthor=False))


class Settings(BaseSettings):
    """All of learnpath's configuration (see the README's table)."""

    model_config = SettingsConfigDict(
        env_prefix="LEARNPATH_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    executor: Executor = Executor.LOCAL
    broker_url: str = "redis://127.0.0.1:6379/0"
    model: str | None = None
    model_api_key: str | None = Field(default=None, repr=False)
    agent_models: dict[str, str] = Field(default_factory=dict)
    auth: AuthMode = AuthMode.TOKEN
    cli_user: str = Field(
        default="local",
        min_length=1,
        max_length=64,
        description="User the command line acts as (created on first use)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Job queue
    lease_seconds: float = Field(default=30.0, gt=0)
    poll_seconds: float = Field(default=2.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    crash_loop_limit: int = Field(default=5, ge=1)
    worker_concurrency: int = Field(default=500, ge=1)
    publish_deadline_seconds: float = Field(default=60.0, gt=0)

    # Workflow and model limits
    max_edit_rounds: int = Field(default=2, ge=0, le=10)
    content_concurrency: int = Field(default=4, ge=1, le=64)
    model_concurrency: int = Field(default=32, ge=1)
    model_timeout_seconds: float = Field(default=120.0, gt=0)
    model_retries: int = Field(default=3, ge=0, le=10)
    # How long one model call keeps waiting and retrying while its provider answers 429
    # (429s do not use up LEARNPATH_MODEL_RETRIES); after that it fails model_rate_limited.
    model_rate_limit_patience_seconds: float = Field(default=900.0, gt=0, le=86400)
    output_retries: int = Field(default=2, ge=0, le=10)
    # How structured answers are asked for: a tool call (default) or the provider's JSON
    # schema response format (`response_format`), for servers without tool support.
    output_mode: Literal["tool", "native"] = "tool"
    # Ask the provider to hold the answer to the schema exactly (OpenAI's `strict`), where
    # the provider supports it; others ignore it.
    strict_output: bool = False

    # Search for grounded resources (none by default: resources stay unverified)
    search: Literal["none", "searxng", "tavily"] | None = None
    search_url: str | None = None
    search_api_key: str | None = Field(default=None, repr=False)
    tavily_url: str = "https://api.tavily.com"
    search_timeout_seconds: float = Field(default=10.0, gt=0)
    link_check_timeout_seconds: float = Field(default=5.0, gt=0)
    link_check_concurrency: int = Field(default=8, ge=1, le=64)

    # Learning: the tutor's questions per user and minute
    user_chat_per_minute: int = Field(default=10, ge=1, le=1000)

    # Accounts: the defaults of every user's submit limits (a user's own override wins) and
    # how long a web sign-in lasts.
    user_max_active_tasks: int = Field(default=20, ge=1, le=1_000_000)
    user_submits_per_minute: int = Field(default=10, ge=1, le=1_000_000)
    session_days: float = Field(default=14.0, gt=0, le=365)
    # How long an API server trusts a token it accepted before asking the database again
    # (``store.tokencache``); 0 asks on every request.
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)

    # HTTP
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    allowed_hosts: str = Field(
        default="localhost,127.0.0.1,[::1]",
        description="Host names the server answers to, comma-separated; `*` for any",
    )
    stream_max_seconds: float = Field(default=300.0, gt=0, le=86400)
    user_max_streams: int = Field(default=8, ge=1, le=1000)

    @model_validator(mode="after")
    def _auth_only_off_on_loopback(self) -> Settings:
        if self.auth is AuthMode.NONE and not is_loopback(self.host):
            raise ValueError(
                f"LEARNPATH_AUTH=none is only allowed on a loopback host, not {self.host!r}; "
                "create a user with `learnpath user create NAME` and use token auth"
            )
        return self

    @model_validator(mode="after")
    def _search_is_complete(self) -> Settings:
        if self.search == "searxng" and not self.search_url:
            raise ValueError("LEARNPATH_SEARCH=searxng needs LEARNPATH_SEARCH_URL (SearXNG's URL)")
        if self.search == "tavily" and not self.search_api_key:
            raise ValueError("LEARNPATH_SEARCH=tavily needs LEARNPATH_SEARCH_API_KEY")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL in effect: the configured one or a SQLite file in the data dir."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.data_dir / 'learnpath.db'}"

    @property
    def allowed_host_names(self) -> frozenset[str]:
        """The Host names requests may use; only loopback names with authentication off."""
        if self.auth is AuthMode.NONE:
            return LOOPBACK_NAMES
        names = (name.strip().lower() for name in self.allowed_hosts.split(","))
        return frozenset(name for name in names if name)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def normalise_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
