"""Credential masking for log lines.

`redact` masks URL userinfo, bearer tokens, learnpath API tokens, provider API keys
and ``key=value`` secrets in a string. `install_redaction` applies it to every log
record the process creates, whatever logger or handler emits it (third-party loggers
such as httpx included), by wrapping the log record factory once.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host -> scheme://***@host
    (re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@?#]+@"), rf"\g<scheme>{MASK}@"),
    # Authorization: Bearer <token>
    (
        re.compile(r"(?P<kind>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        rf"\g<kind>{MASK}",
    ),
    # learnpath API tokens, share links (lps_), calendar feed secrets (cal_, in access log
    # paths) and well-known provider key shapes
    (re.compile(r"\b(?:lp|lps|cal|sk|tvly)[-_][A-Za-z0-9_-]{8,}"), MASK),
    # api_key=..., "password": "...", token: ..., secret=... (query strings, JSON, env)
    (
        re.compile(
            r"(?P<key>\b[\w-]*(?:api[_-]?key|apikey|secret|password|passwd|token|authorization)"
            r"[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}]+)",
            re.IGNORECASE,
        ),
        rf"\g<key>{MASK}",
    ),
)


def redact(text: str) -> str:
    """Return `text` with every credential it contains replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask credentials in a log record's message (arguments merged in) and cached traceback."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    masked = redact(message)
    if masked != message:
        # Merged only when something was masked: formatters that read ``args`` themselves
        # (uvicorn's access log unpacks them) keep working for every ordinary line.
        record.msg = masked
        record.args = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


class RedactingFilter(logging.Filter):
    """A logging filter that masks credentials; attach it to handlers that bypass the factory."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed: list[Callable[..., logging.LogRecord]] = []


def install_redaction() -> None:
    """Mask credentials in every log record created from now on; safe to call more than once."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    _installed.append(previous)
    logging.setLogRecordFactory(factory)


def uninstall_redaction() -> None:
    """Restore the log record factory that `install_redaction` replaced (for tests)."""
    if _installed:
        logging.setLogRecordFactory(_installed.pop())
