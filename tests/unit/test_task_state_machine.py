"""The task state machine (``domain.task``): property tests over its transition table."""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnpath.domain.task import (
    SOURCES,
    TERMINAL,
    TRANSITIONS,
    WAITING,
    IllegalTransition,
    TaskStatus,
    can_transition,
    check_transition,
)

statuses = st.sampled_from(list(TaskStatus))


def reachable(start: TaskStatus) -> set[TaskStatus]:
    seen = {start}
    todo = deque([start])
    while todo:
        for target in TRANSITIONS[todo.popleft()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_every_status_has_a_row_and_every_target_is_a_status() -> None:
    assert set(TRANSITIONS) == set(TaskStatus)
    for targets in TRANSITIONS.values():
        assert targets <= set(TaskStatus)


def test_every_status_is_exactly_one_of_terminal_waiting_or_processing() -> None:
    assert not TERMINAL & WAITING
    for status in TaskStatus:
        kinds = [status.is_terminal, status.is_waiting, status is TaskStatus.PROCESSING]
        assert kinds.count(True) == 1, status


def test_only_a_worker_finishes_or_parks_a_task() -> None:
    """Completion, partial failure and review need the worker: they come only from processing."""
    for target in (
        TaskStatus.COMPLETED,
        TaskStatus.PARTIAL_FAILURE,
        TaskStatus.HUMAN_REVIEW_PENDING,
    ):
        sources = {s for s, targets in TRANSITIONS.items() if target in targets}
        assert sources == {TaskStatus.PROCESSING}, target
    assert {s for s, t in TRANSITIONS.items() if TaskStatus.PROCESSING in t} == {TaskStatus.PENDING}


def test_canceled_is_final_and_other_terminals_only_requeue() -> None:
    assert TRANSITIONS[TaskStatus.CANCELED] == frozenset()
    for status in TERMINAL - {TaskStatus.CANCELED}:
        assert TRANSITIONS[status] == {TaskStatus.PENDING}


def test_no_status_transitions_to_itself() -> None:
    for status, targets in TRANSITIONS.items():
        assert status not in targets


@given(choices=st.lists(st.integers(min_value=0, max_value=1_000), max_size=60))
def test_walks_along_allowed_transitions_stay_in_known_states(choices: list[int]) -> None:
    """Any path of allowed transitions from a new task visits only known statuses, and
    from every status it visits a terminal or waiting status is still reachable."""
    current = TaskStatus.PENDING
    for choice in choices:
        options = sorted(TRANSITIONS[current])
        if not options:
            assert current is TaskStatus.CANCELED
            break
        target = options[choice % len(options)]
        check_transition(current, target)
        current = target
        assert current in TRANSITIONS
        assert any(s.is_terminal or s.is_waiting for s in reachable(current))


@given(path=st.lists(statuses, min_size=1, max_size=30))
def test_a_path_is_accepted_exactly_when_each_step_is_in_the_table(
    path: list[TaskStatus],
) -> None:
    illegal = [(a, b) for a, b in itertools.pairwise(path) if b not in TRANSITIONS[a]]

    def walk() -> None:
        for a, b in itertools.pairwise(path):
            check_transition(a, b)

    if not illegal:
        walk()
        return
    with pytest.raises(IllegalTransition) as raised:
        walk()
    assert (raised.value.current, raised.value.target) == illegal[0]


@given(current=statuses, target=statuses)
def test_check_transition_agrees_with_can_transition(
    current: TaskStatus, target: TaskStatus
) -> None:
    if can_transition(current, target):
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition) as raised:
            check_transition(current, target)
        assert (raised.value.current, raised.value.target) == (current, target)
        assert str(current) in str(raised.value)
        assert str(target) in str(raised.value)


def test_every_status_reachable_from_a_new_task_and_none_is_a_dead_end() -> None:
    assert reachable(TaskStatus.PENDING) == set(TaskStatus)
    for status in TaskStatus:
        assert any(s.is_terminal or s.is_waiting for s in reachable(status) | {status})
        if status is TaskStatus.PROCESSING:
            # A running task can always end: it never waits on itself forever.
            assert TRANSITIONS[status] & TERMINAL


@given(current=statuses, target=statuses)
def test_sources_turn_the_table_around(current: TaskStatus, target: TaskStatus) -> None:
    """The store checks a move with ``status IN SOURCES[target]``: the same rule as the table."""
    assert (current in SOURCES[target]) == can_transition(current, target)
