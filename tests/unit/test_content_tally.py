"""The run's content tally agrees with counting the newest statuses from scratch."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from learnpath.domain.content import ContentKind, ContentStatus
from learnpath.store.progress import ContentTally, count_progress

concepts = st.sampled_from(["c1", "c2", "c3", "c4"])
kinds = st.sampled_from(list(ContentKind))
statuses = st.sampled_from(list(ContentStatus))
rows = st.lists(st.tuples(concepts, kinds, st.integers(1, 3), statuses), max_size=30)


@given(seed=rows, writes=rows)
def test_each_write_leaves_the_tally_equal_to_a_recount(
    seed: list[tuple[str, str, int, str]], writes: list[tuple[str, str, int, str]]
) -> None:
    newest: dict[tuple[str, str], tuple[int, str]] = {}
    for concept_id, kind, version, status in seed:
        if (concept_id, kind) not in newest or newest[(concept_id, kind)][0] <= version:
            newest[(concept_id, kind)] = (version, status)
    tally = ContentTally.from_rows(
        SimpleNamespace(concept_id=c, kind=k, version=v, status=s)
        for (c, k), (v, s) in newest.items()
    )
    for concept_id, kind, version, status in writes:
        known = newest.get((concept_id, kind))
        if known is None or known[0] <= version:
            newest[(concept_id, kind)] = (version, status)
        outcome = tally.settle(concept_id, kind, version, status)

        latest = {key: s for key, (_, s) in newest.items()}
        assert (outcome.done, outcome.total) == count_progress(latest)
        mine = [s for (c, _), s in latest.items() if c == concept_id]
        settled = ContentStatus.PENDING not in mine
        failed = ContentStatus.FAILED in mine
        assert outcome.concept_done == (settled and not failed)
        assert outcome.concept_failed == (settled and failed)
