"""Which errors mean "the database cannot be reached", and one log line per outage."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import exc as sa_exc

from learnpath.store.outage import OutageLog, is_database_outage


class AdminShutdownError(Exception):
    """Named like the driver's error for a terminated backend."""


def wrapped(error: BaseException) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, error)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        sa_exc.TimeoutError("QueuePool limit reached"),
        wrapped(AdminShutdownError("terminating connection due to administrator command")),
        sa_exc.OperationalError("BEGIN", {}, Exception("database is locked")),
        sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
    ],
)
def test_outages_are_recognised(error: BaseException) -> None:
    assert is_database_outage(error)


def test_a_cause_chain_is_followed() -> None:
    outer = RuntimeError("while reading")
    outer.__cause__ = ConnectionResetError("reset by peer")
    assert is_database_outage(outer)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad input"),
        sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        sa_exc.OperationalError("SELECT", {}, Exception("no such table: tasks")),
    ],
)
def test_bugs_are_not_outages(error: BaseException) -> None:
    assert not is_database_outage(error)


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="learnpath.store.outage")
    outage = OutageLog()
    outage.succeeded()
    for _ in range(5):
        outage.failed(ConnectionRefusedError())
    assert outage.down
    outage.succeeded()
    outage.succeeded()
    assert not outage.down
    assert [r.getMessage() for r in caplog.records] == [
        "the database is unavailable (ConnectionRefusedError); requests answer 503 and work "
        "waits until it is back",
        "the database is available again",
    ]
