"""The workspace commands as a user runs them (real processes), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_http_workspace import anki_notes
from tests.integration.test_cli import cli_env, run_cli  # noqa: F401 - shared fixture


def _last(result: object) -> str:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    return str(result.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]


def test_export_schedule_edit_history_and_map(cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    _last(run_cli("generate", "Learn SQL in 4 weeks, 3 h/week"))
    roadmaps = json.loads(run_cli("roadmaps", "--json").stdout)
    assert len(roadmaps) == 1 and roadmaps[0]["pace"] == "not_started"
    rid = roadmaps[0]["id"]
    short = rid[:8]

    md = Path(_last(run_cli("export", short, "--format", "md", "-o", str(tmp_path / "plan.md"))))
    text = md.read_text()
    assert "## Contents" in text and "## Schedule" in text and "*Prerequisites:" in text
    assert "Offline sample content" in text
    document = json.loads(Path(_last(run_cli("export", short, "--format", "json"))).read_text())
    assert document["roadmap_id"] == rid and document["schedule"]["hours_per_week"] == 3
    deck = Path(_last(run_cli("export", short, "--format", "apkg")))
    assert deck.suffix == ".apkg" and len(anki_notes(deck.read_bytes(), "SQL roadmap")) >= 3 * 12
    bad = run_cli("export", short, "--format", "pdf")
    assert bad.returncode == 2 and "md, json or apkg" in bad.stderr

    plan = json.loads(run_cli("schedule", short, "--json").stdout)
    assert plan["hours_per_week"] == 3 and plan["weeks_available"] == 4
    assert "week   1" in run_cli("schedule", short).stdout

    ops = [
        {
            "op": "add_concept",
            "module_id": "m1",
            "concept": {"name": "Window functions", "prerequisites": ["c1"]},
        }
    ]
    edited = run_cli("edit", short, json.dumps(ops), "--note", "analytics")
    assert _last(edited) == f"{rid}: completed"
    document = json.loads(Path(_last(run_cli("export", short, "--format", "json"))).read_text())
    added = [
        c
        for s in document["stages"]
        for m in s["modules"]
        for c in m["concepts"]
        if c["name"] == "Window functions"
    ]
    assert added and added[0]["content"]["tutorial"]["status"] == "completed"
    assert added[0]["content"]["tutorial"]["body"]["markdown"]  # written by the offline model
    refused = run_cli("edit", short, '[{"op": "remove", "target_id": "zz"}]')
    assert refused.returncode == 2 and "nothing was changed" in refused.stderr
    cycle = run_cli("edit", short, '[{"op": "update", "target_id": "c1", "prerequisites": ["c1"]}]')
    assert cycle.returncode == 2 and "requires itself" in cycle.stderr
    for bad in ('"Joins\\u0000"', '"\\ud800"'):
        unstorable = run_cli(
            "edit", short, f'[{{"op": "rename", "target_id": "c1", "name": {bad}}}]'
        )
        assert unstorable.returncode == 2 and "operations.0.name" in unstorable.stderr
    hours = run_cli("edit", short, '[{"op": "update", "target_id": "c1", "estimated_hours": true}]')
    assert hours.returncode == 2 and "estimated_hours" in hours.stderr
    history = json.loads(run_cli("history", short, "--json").stdout)
    assert [h["note"] for h in history if h["source"] == "learner"] == ["analytics"]

    svg = Path(_last(run_cli("map", short, "-o", str(tmp_path / "map.svg"))))
    assert svg.read_text().startswith("<svg") and "Window functions" in svg.read_text()


def test_rename_trash_restore_share_and_fork(
    cli_env: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _last(run_cli("generate", "Learn Go"))
    rid = json.loads(run_cli("roadmaps", "--json").stdout)[0]["id"]
    assert "renamed" in _last(run_cli("rename", rid[:8], "My Go plan"))
    assert json.loads(run_cli("roadmaps", "--json").stdout)[0]["title"] == "My Go plan"
    _last(run_cli("trash", rid[:8]))
    assert json.loads(run_cli("roadmaps", "--json").stdout) == []
    assert [r["id"] for r in json.loads(run_cli("roadmaps", "--trash", "--json").stdout)] == [rid]
    _last(run_cli("restore", rid[:8]))
    assert len(json.loads(run_cli("roadmaps", "--json").stdout)) == 1

    url = _last(run_cli("share", rid[:8], "--base-url", "https://learn.example"))
    assert url.startswith("https://learn.example/shared/lps_")
    with monkeypatch.context() as bob:
        bob.setenv("LEARNPATH_CLI_USER", "bob")
        copy = _last(run_cli("fork", url, "--hours", "4"))
        mine = json.loads(run_cli("roadmaps", "--json").stdout)
        assert [r["id"] for r in mine] == [copy] and copy != rid
        assert mine[0]["done"] == 0 and mine[0]["title"] == "My Go plan"
        assert run_cli("export", rid[:8]).returncode == 1  # the owner's roadmap is not bob's
    assert "revoked" in _last(run_cli("unshare", rid[:8]))
    gone = run_cli("fork", url)
    assert gone.returncode == 1 and "revoked" in gone.stderr
