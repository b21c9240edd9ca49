"""The Markdown plan: one heading level per layer, tutorial headings below the concept's,
code fences left alone; the learner's notes quoted and marked as theirs; and the map
escapes every text it draws."""

from __future__ import annotations

import datetime as dt

from learnpath.export import _demoted, _notes, with_notes
from learnpath.store.tutoring import NoteRecord
from learnpath.workspace.mapsvg import roadmap_map, wrap


def test_tutorial_headings_go_below_the_concept_and_its_title_is_dropped() -> None:
    tutorial = (
        "# Joins\n\n## Why\n\ntext\n\n### Detail\n\n#### Deep\n\n```python\n# a comment\n```\n"
    )
    lines = _demoted(tutorial, {"Joins"})
    assert lines[0] == "##### Why"
    assert "###### Detail" in lines and "**Deep**" in lines
    assert "# a comment" in lines  # inside a code fence: untouched
    other = _demoted("# Another title\n## Part\n", {"Joins"})
    assert other[:2] == ["##### Another title", "###### Part"]


def test_the_map_escapes_names_and_wraps_them() -> None:
    document = {
        "roadmap_id": "r",
        "title": "<T>",
        "offline": None,
        "stages": [
            {
                "stage_id": "s1",
                "name": "S & <b>",
                "modules": [
                    {
                        "module_id": "m1",
                        "name": "M",
                        "concepts": [
                            {"concept_id": "c1", "name": '"><script>', "prerequisites": []},
                            {"concept_id": "c2", "name": "B", "prerequisites": ["c1", "zz"]},
                        ],
                    }
                ],
            }
        ],
    }
    svg = roadmap_map(document, done={"c2"}, link=lambda cid: f"/x?c={cid}&y=1")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "S &amp; &lt;b&gt;" in svg
    assert 'href="/x?c=c1&amp;y=1"' in svg
    assert svg.count('class="lp-map-arrow"') == 1 and "✓ B" in svg
    assert all(len(line) <= 40 for line in wrap("word " * 30, 280))
    assert len(wrap("word " * 100, 280)) == 3 and wrap("word " * 100, 280)[-1].endswith("…")


def _note(concept_id: str, markdown: str, source: str | None = None) -> NoteRecord:
    moment = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
    return NoteRecord(
        id=f"n-{concept_id}-{len(markdown)}",
        user_id="u",
        roadmap_id="r",
        concept_id=concept_id,
        markdown=markdown,
        source_message_id=source,
        created_at=moment,
        updated_at=moment,
    )


def test_notes_are_quoted_below_the_concept_and_marked_as_the_learners() -> None:
    lines = _notes([_note("c1", "# Mine\n\n```sql\n# not a heading\n```\n"), _note("c1", "b", "m")])
    assert lines[0] == "**My notes** *(the learner's own notes, not generated content)*"
    assert "> *Note 1 · updated 2026-03-02 08:30 UTC*" in lines
    assert "> ##### Mine" in lines and "> # not a heading" in lines
    assert "> *Note 2 · updated 2026-03-02 08:30 UTC · saved from a tutor answer*" in lines
    assert all(line.startswith(">") for line in lines[2:] if line)  # nothing escapes the quotes
    assert _notes([]) == []


def test_the_json_export_gives_each_concept_its_notes_and_keeps_removed_ones() -> None:
    document = {
        "stages": [{"modules": [{"concepts": [{"concept_id": "c1"}, {"concept_id": "c2"}]}]}]
    }
    kept = with_notes(document, {"c1": [_note("c1", "a")], "gone": [_note("gone", "b")]})
    c1, c2 = kept["stages"][0]["modules"][0]["concepts"]
    assert [n["markdown"] for n in c1["learner_notes"]] == ["a"] and c2["learner_notes"] == []
    assert c1["learner_notes"][0]["updated_at"] == "2026-03-02T08:30:00+00:00"
    assert [n["concept_id"] for n in kept["learner_notes_on_removed_concepts"]] == ["gone"]
