import pytest

from learnpath.domain.events import TERMINAL_EVENTS, EventType, ends_stream
from learnpath.domain.task import TERMINAL, TaskStatus


def test_streams_end_on_terminal_events_and_on_a_review() -> None:
    ending = {t for t in EventType if t.ends_stream}
    assert ending == set(TERMINAL_EVENTS) | {EventType.REVIEW_REQUIRED}


def test_every_terminal_status_has_its_terminal_event() -> None:
    named = {"partial_failure": "task_partially_failed"}
    for status in TERMINAL:
        assert EventType(named.get(status, f"task_{status}")).is_terminal
    assert not EventType.TASK_STARTED.is_terminal
    assert TaskStatus.PENDING not in TERMINAL


@pytest.mark.parametrize("stored", ["task_failed", "review_required"])
def test_stored_types_end_a_stream(stored: str) -> None:
    assert ends_stream(stored)


def test_unknown_and_progress_types_never_end_a_stream() -> None:
    assert not ends_stream("something_new")
    assert not ends_stream("concept_completed")
