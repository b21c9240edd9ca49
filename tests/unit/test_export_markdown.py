"""The Markdown plan: one heading level per layer, tutorial headings below the concept's,
code fences left alone; and the map escapes every text it draws."""

from __future__ import annotations

from learnpath.export import _demoted
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
