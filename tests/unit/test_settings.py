"""Settings: the LEARNPATH_ environment, defaults, database URLs and the auth guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from learnpath.settings import (
    AuthMode,
    Executor,
    Settings,
    default_data_dir,
    is_loopback,
    normalise_database_url,
)


def build(**fields: Any) -> Settings:
    return Settings(_env_file=None, **fields)


def test_defaults() -> None:
    settings = build()
    assert settings.data_dir == default_data_dir()
    assert settings.database_url is None
    assert settings.executor is Executor.LOCAL
    assert settings.auth is AuthMode.TOKEN
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.model is None
    assert settings.max_edit_rounds == 2


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = build(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'learnpath.db'}"
    assert settings.is_sqlite


def test_values_come_from_prefixed_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEARNPATH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNPATH_EXECUTOR", "celery")
    monkeypatch.setenv("LEARNPATH_PORT", "9001")
    monkeypatch.setenv("LEARNPATH_MAX_EDIT_ROUNDS", "5")
    monkeypatch.setenv("LEARNPATH_AGENT_MODELS", '{"quiz": "small-model"}')
    monkeypatch.setenv("LEARNPATH_DATABASE_URL", "postgresql://u:p@db:5432/lp")
    settings = build()
    assert settings.data_dir == tmp_path
    assert settings.executor is Executor.CELERY
    assert settings.port == 9001
    assert settings.max_edit_rounds == 5
    assert settings.agent_models == {"quiz": "small-model"}
    assert settings.resolved_database_url == "postgresql+asyncpg://u:p@db:5432/lp"
    assert not settings.is_sqlite


def test_unprefixed_environment_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    settings = build()
    assert settings.port == 8000
    assert settings.database_url is None


def test_env_file_is_not_read_when_disabled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("LEARNPATH_PORT=7777\n")
    monkeypatch.chdir(tmp_path)
    assert build().port == 8000
    assert Settings().port == 7777


def test_api_key_is_not_in_repr() -> None:
    settings = build(model_api_key="secret-value")
    assert "secret-value" not in repr(settings)


def test_settings_are_frozen() -> None:
    settings = build()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 0),
        ("port", 65536),
        ("executor", "threads"),
        ("auth", "basic"),
        ("max_attempts", 0),
        ("model_rate_limit_patience_seconds", 0),
    ],
)
def test_invalid_values_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        build(**{field: value})


# --- database URLs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///relative.db", "sqlite+aiosqlite:///relative.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_normalise_database_url(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
    assert build(database_url=given).resolved_database_url == expected


def test_only_the_scheme_is_rewritten() -> None:
    url = "postgresql://u:postgresql://@h/db"
    assert normalise_database_url(url) == "postgresql+asyncpg://u:postgresql://@h/db"


# --- auth=none only on loopback --------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_auth_none_is_allowed_on_loopback(host: str) -> None:
    settings = build(auth="none", host=host)
    assert settings.auth is AuthMode.NONE


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org", "10.0.0.1"])
def test_auth_none_is_refused_elsewhere_with_a_clear_message(host: str) -> None:
    with pytest.raises(ValidationError) as info:
        build(auth="none", host=host)
    message = str(info.value)
    assert "LEARNPATH_AUTH=none is only allowed on a loopback host" in message
    assert repr(host) in message
    assert "learnpath user create" in message


def test_auth_none_is_refused_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNPATH_AUTH", "none")
    monkeypatch.setenv("LEARNPATH_HOST", "0.0.0.0")
    with pytest.raises(ValidationError, match="loopback"):
        build()


@pytest.mark.parametrize("host", ["0.0.0.0", "example.org"])
def test_token_auth_may_listen_anywhere(host: str) -> None:
    assert build(host=host).host == host


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        ("localhost.example.org", False),
        ("not an address", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_allowed_hosts_are_loopback_by_default_and_only_loopback_without_sign_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert build().allowed_host_names == {"localhost", "127.0.0.1", "[::1]"}
    monkeypatch.setenv("LEARNPATH_ALLOWED_HOSTS", " Learn.Example.org ,, 10.0.0.5 ")
    assert Settings(_env_file=None).allowed_host_names == {"learn.example.org", "10.0.0.5"}  # type: ignore[call-arg]
    opened = build(auth="none", allowed_hosts="*,attacker.example")
    assert opened.allowed_host_names == {"localhost", "127.0.0.1", "[::1]"}


def test_stream_limits_are_bounded() -> None:
    assert (build().stream_max_seconds, build().user_max_streams) == (300.0, 8)
    for bad in ({"stream_max_seconds": 0}, {"user_max_streams": 0}):
        with pytest.raises(ValidationError):
            build(**bad)
