"""The schedule is a pure function: every concept placed once, prerequisites first, within
the weekly hours, deterministic, and the pace follows what is done."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from learnpath.domain.schedule import PaceStatus, plan, study_order

START = dt.date(2026, 1, 5)


@st.composite
def frameworks(draw: st.DrawFn) -> Framework:
    """Random roadmaps whose prerequisites form a DAG in any roadmap order."""
    count = draw(st.integers(min_value=1, max_value=25))
    rank = draw(st.permutations(range(count)))  # a hidden topological order
    hours = draw(
        st.lists(st.floats(0.1, 30).map(lambda h: round(h, 1)), min_size=count, max_size=count)
    )
    concepts = []
    for index in range(count):
        earlier = [j for j in range(count) if rank[j] < rank[index]]
        needs = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if earlier else []
        concepts.append(
            Concept(
                id=f"c{index + 1}",
                name=f"C{index + 1}",
                estimated_hours=hours[index],
                prerequisites=[f"c{j + 1}" for j in needs],
            )
        )
    split = draw(st.integers(min_value=1, max_value=count))
    modules = [Module(id="m1", name="M1", concepts=concepts[:split])]
    if concepts[split:]:
        modules.append(Module(id="m2", name="M2", concepts=concepts[split:]))
    return Framework(title="T", stages=[Stage(id="s1", name="S1", modules=modules)])


@settings(max_examples=150, deadline=None)
@given(
    frameworks(),
    st.integers(1, 40),
    st.one_of(st.none(), st.integers(1, 60)),
    st.sets(st.sampled_from([f"c{n}" for n in range(1, 26)])),
    st.integers(-30, 400),
)
def test_every_concept_is_placed_once_after_its_prerequisites(
    framework: Framework, hours: int, weeks: int | None, done: set[str], day: int
) -> None:
    today = START + dt.timedelta(days=day)
    schedule = plan(
        framework,
        start=START,
        hours_per_week=hours,
        weeks=weeks,
        deadline=None,
        done=done,
        today=today,
    )
    placed = [c.concept_id for c in schedule.concepts]
    assert sorted(placed) == sorted(framework.concept_ids())
    position = {cid: i for i, cid in enumerate(placed)}
    by_id = {c.concept_id: c for c in schedule.concepts}
    for concept in schedule.concepts:
        assert concept.start_date <= concept.due_date
        assert concept.week <= concept.end_week <= schedule.weeks_needed
        for prerequisite in concept.prerequisites:
            before = by_id[prerequisite]
            assert position[prerequisite] < position[concept.concept_id]
            assert before.due_date <= concept.start_date and before.week <= concept.week
    assert [w.week for w in schedule.weeks] == list(range(1, schedule.weeks_needed + 1))
    assert all(w.hours <= hours + 1e-9 for w in schedule.weeks)
    assert abs(sum(w.hours for w in schedule.weeks) - schedule.total_hours) < 0.05
    assert schedule.fits == (schedule.end_date <= schedule.deadline)
    pace = schedule.pace
    assert pace.done_hours == round(sum(c.hours for c in schedule.concepts if c.done), 2)
    assert set(pace.overdue) == {c.concept_id for c in schedule.concepts if c.overdue}
    again = plan(
        framework,
        start=START,
        hours_per_week=hours,
        weeks=weeks,
        deadline=None,
        done=set(done),
        today=today,
    )
    assert again == schedule


def _chain(*hours: float, prerequisites: dict[str, list[str]] | None = None) -> Framework:
    needs = prerequisites or {}
    concepts = [
        Concept(id=f"c{n}", name=f"C{n}", estimated_hours=h, prerequisites=needs.get(f"c{n}", []))
        for n, h in enumerate(hours, start=1)
    ]
    return Framework(
        title="T",
        stages=[Stage(id="s1", name="S", modules=[Module(id="m1", name="M", concepts=concepts)])],
    )


def test_weeks_dates_deadline_and_pace() -> None:
    framework = _chain(4, 4, 4, prerequisites={"c1": ["c3"]})
    assert study_order(framework) == ["c2", "c3", "c1"]
    schedule = plan(
        framework,
        start=START,
        hours_per_week=8,
        weeks=None,
        deadline=dt.date(2026, 1, 11),
        done={"c2"},
        today=dt.date(2026, 1, 12),
    )
    weeks = {c.concept_id: (c.week, c.due_date.isoformat()) for c in schedule.concepts}
    assert weeks == {"c2": (1, "2026-01-08"), "c3": (1, "2026-01-11"), "c1": (2, "2026-01-15")}
    assert schedule.weeks_needed == 2 and schedule.weeks_available == 1 and not schedule.fits
    assert schedule.pace.status is PaceStatus.BEHIND  # 8 h due, 4 h done
    assert schedule.pace.overdue == ["c3"]
    ahead = plan(
        framework,
        start=START,
        hours_per_week=8,
        weeks=4,
        deadline=None,
        done={"c2", "c3"},
        today=dt.date(2026, 1, 9),
    )
    assert ahead.pace.status is PaceStatus.AHEAD and ahead.fits
    assert ahead.deadline == dt.date(2026, 2, 1)
    fresh = plan(
        framework, start=START, hours_per_week=8, weeks=4, deadline=None, done=set(), today=START
    )
    assert fresh.pace.status is PaceStatus.NOT_STARTED


def test_a_stored_cycle_still_gets_a_plan() -> None:
    framework = _chain(1, 1, prerequisites={"c1": ["c2"], "c2": ["c1"]})
    assert study_order(framework) == ["c1", "c2"]
