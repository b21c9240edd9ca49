"""``learnpath generate`` against a model that answers only from the JSON schema it is sent.

The server (``tests/fakes/openai_schema_server.py``) is written from the OpenAI Chat
Completions API's documented shapes and knows nothing of learnpath: every answer is built
from the tool schema in the request, with only the required properties or with all of
them, and 5 % of the requests answered 429 and 5 % answered 500. A full roadmap must come
out either way: every module has concepts, every concept a tutorial, resources and a quiz.

Both ways of asking for structured output are run: tool calls (the default) and
``LEARNPATH_OUTPUT_MODE=native`` (``response_format`` JSON schema) against a server that
refuses tools, with strict schemas on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_schema_server import SchemaOnlyOpenAI

LEARNPATH = [sys.executable, "-m", "learnpath.cli"]


@pytest.mark.parametrize("output_mode", ["tool", "native"])
@pytest.mark.parametrize("mode", ["required", "all"])
def test_generate_completes_on_a_schema_only_model(
    mode: str, output_mode: str, database_url: str, tmp_path: Path
) -> None:
    output = tmp_path / "roadmap.json"
    native = output_mode == "native"
    with SchemaOnlyOpenAI(
        mode, error_rate_429=0.05, error_rate_500=0.05, seed=0, tools_supported=not native
    ) as fake:
        env = {
            **os.environ,
            "LEARNPATH_DATA_DIR": str(tmp_path / "data"),
            "LEARNPATH_DATABASE_URL": database_url,
            "LEARNPATH_MODEL": f"{fake.base_url}#gpt-4o-mini",
            "LEARNPATH_OUTPUT_RETRIES": "0",  # the schema alone must be enough
            "LEARNPATH_OUTPUT_MODE": output_mode,
            "LEARNPATH_STRICT_OUTPUT": "true" if native else "false",
            # With 10 % of answers faulty, a request fails for good when all its attempts
            # fail: 0.1 ** 4 with the default 3 retries, so about 0.35 % of the runs of ~35
            # requests ended as a partial failure (exit 3), at random. Eight retries make that
            # 1e-9 per request; faults still happen and are still retried, which is the test.
            "LEARNPATH_MODEL_RETRIES": "8",
        }
        result = subprocess.run(
            [
                *LEARNPATH,
                "generate",
                "Become a data engineer",
                "--format",
                "json",
                "-o",
                str(output),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        statuses = dict(fake.status_counts)
        answered = set(fake.schema_answers if native else fake.tool_calls)
        bodies = list(fake.requests)
        requests = len(fake.requests)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert statuses.get(429, 0) + statuses.get(500, 0) > 0, "no faults were injected"
    assert statuses.get(400, 0) == 0, "a request was refused as malformed"
    assert requests == sum(statuses.values())
    assert {"intent_analysis", "curriculum_skeleton", "stage_detail", "quiz"} <= answered
    if native:
        assert not any(b.get("tools") for b in bodies)
        formats = [b["response_format"]["json_schema"] for b in bodies]
        assert all(f.get("strict") is True for f in formats)
    else:
        assert not any(b.get("response_format") for b in bodies)
    roadmap: dict[str, Any] = json.loads(output.read_text())
    assert roadmap["generated_by"] == "gpt-4o-mini@" + fake.base_url
    concepts = []
    for stage in roadmap["stages"]:
        assert stage["modules"], stage["name"]
        for module in stage["modules"]:
            assert module["concepts"], module["name"]
            concepts.extend(module["concepts"])
    assert concepts
    for concept in concepts:
        for kind in ("tutorial", "resources", "quiz"):
            assert concept["content"][kind]["status"] == "completed", (concept["name"], kind)
        questions = concept["content"]["quiz"]["body"]["questions"]
        assert len(questions) >= 3
        assert all(0 <= q["answer"] < len(q["options"]) for q in questions)
