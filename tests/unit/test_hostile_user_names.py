"""User names that cannot name anyone are refused with a clear error, before any write."""

import pytest
from typer.testing import CliRunner

from learnpath.cli.app import app
from learnpath.cli.common import EXIT_BAD_INPUT
from learnpath.store.users import InvalidUserName, check_user_name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        (" alice", "whitespace"),
        ("alice ", "whitespace"),
        ("al\x00ice", "control"),
        ("al\u202eice", "control"),
        ("al\ud800ice", "control"),
        ("a" * 101, "at most 100"),
    ],
)
def test_check_user_name_refuses(name: str, reason: str) -> None:
    with pytest.raises(InvalidUserName, match=reason):
        check_user_name(name)


@pytest.mark.parametrize("name", ["alice", "Ada Lovelace", "élève", "ops@example.org", "a" * 100])
def test_check_user_name_accepts(name: str) -> None:
    assert check_user_name(name) == name


@pytest.mark.parametrize("name", ["", "  ", "bad\x01name"])
def test_cli_user_create_refuses_invalid_names(name: str) -> None:
    result = CliRunner().invoke(app, ["user", "create", name])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "user name" in result.stderr
    assert result.stdout == ""
