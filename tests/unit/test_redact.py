"""Credentials never reach a log line."""

import logging
from collections.abc import Iterator

import pytest

from learnpath.redact import RedactingFilter, install_redaction, redact, uninstall_redaction


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("connecting to postgresql://app:hunter2@db:5432/lp", "hunter2"),
        ("broker amqp://guest:s3cr3tpw@127.0.0.1:5672//", "s3cr3tpw"),
        ("redis://:redispass@localhost:6379/0", "redispass"),
        ("Authorization: Bearer lp_abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnop"),
        ("headers={'authorization': 'Bearer eyJhbGciOi.payload.sig'}", "eyJhbGciOi"),
        ("HTTP Request: GET https://api.example/search?q=x&api_key=K3Y-VALUE-123", "K3Y-VALUE-123"),
        ('{"api_key": "tvly-0123456789abcdef"}', "0123456789abcdef"),
        ("LEARNPATH_OPENAI_API_KEY=sk-proj-0123456789abcdefghij", "0123456789abcdefghij"),
        ("password=correcthorse user=bob", "correcthorse"),
        ("issued token lp_Zm9vYmFyYmF6cXV4cXV1eA for alice", "Zm9vYmFyYmF6cXV4cXV1eA"),
        ('"GET /calendar/cal_Q2FsZW5kYXJzZWNyZXQx.ics HTTP/1.1" 200', "Q2FsZW5kYXJzZWNyZXQx"),
        ('"GET /shared/lps_U2hhcmVkbGlua3NlY3JldA HTTP/1.1" 200', "U2hhcmVkbGlua3NlY3JldA"),
    ],
)
def test_redact_masks_credentials(line: str, secret: str) -> None:
    masked = redact(line)
    assert secret not in masked
    assert "***" in masked


@pytest.mark.parametrize(
    "line",
    [
        "task 3f2a finished in 1.2s",
        "usage input_tokens=120 output_tokens=30",
        "GET https://example.org/path?q=python HTTP/1.1 200",
        "postgresql://db:5432/lp",
        "invalid token for user alice",
    ],
)
def test_redact_leaves_ordinary_lines_alone(line: str) -> None:
    assert redact(line) == line


@pytest.fixture
def redaction() -> Iterator[None]:
    install_redaction()
    install_redaction()  # a second call changes nothing
    yield
    uninstall_redaction()


def test_every_logger_is_masked_once_installed(
    redaction: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="httpx")  # learnpath quiets it in its commands
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s"', "POST", "https://user:pw123456@api.example/v1", "200 OK"
    )
    logging.getLogger("learnpath.test").warning("token %s", "lp_0123456789abcdefghij")
    text = caplog.text
    assert "pw123456" not in text
    assert "0123456789abcdefghij" not in text
    assert "https://***@api.example/v1" in text
    assert '"200 OK"' in text


def test_uninstall_restores_the_factory() -> None:
    uninstall_redaction()  # an earlier command in this process may have installed it
    before = logging.getLogRecordFactory()
    install_redaction()
    assert logging.getLogRecordFactory() is not before
    uninstall_redaction()
    assert logging.getLogRecordFactory() is before


def test_filter_masks_tracebacks_of_handlers_that_bypass_the_factory() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "failed for %s", ("amqp://u:pw999999@h//",), None
    )
    record.exc_text = "Traceback ... password=pw999999"
    assert RedactingFilter().filter(record)
    assert "pw999999" not in record.getMessage()
    assert "pw999999" not in record.exc_text


def test_httpx_request_lines_are_masked(redaction: None, caplog: pytest.LogCaptureFixture) -> None:
    """httpx's own "HTTP Request:" line, for a model URL with a password and a key."""
    import httpx

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="httpx")  # learnpath quiets it in its commands
    with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as client:
        client.get(
            "https://learner:pw-Secret-123@models.example/v1/chat?api_key=K3Y-VALUE-99",
            headers={"Authorization": "Bearer sk-abcdefghijklmnop"},
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and lines[0].startswith("HTTP Request: GET https://***@models.example/v1/chat")
    for secret in ("pw-Secret-123", "K3Y-VALUE-99", "abcdefghijklmnop"):
        assert secret not in caplog.text
