"""Property-based requests generated from the app's own OpenAPI document.

Valid and invalid data (wrong types, malformed bodies, unicode, SQL-like strings) for
every operation, against the live server: no 5xx, and every response matches the
documented status codes, content types and schemas. Bounded and derandomized.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import API, StartServer, Tokens, wait_for_task

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Not ``negative_data_rejection``: unknown query parameters are ignored on purpose, and the
# token header added to every request would undo its "missing Authorization" cases.
EXAMPLES = 25


def _fuzz(url: str, token: str, known: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation: Any = result.ok()
        names = {p.name for p in operation.path_parameters}
        variants: list[dict[str, str] | None] = [None]
        if names:
            variants.append({k: v for k, v in known.items() if k in names})
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for fixed in variants:
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

                @given(case=strategy)
                @settings(
                    max_examples=EXAMPLES,
                    derandomize=True,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: Any) -> None:
                    case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=30)

                try:
                    run()
                except Unsatisfiable:
                    # Nothing to make invalid (no parameters, no body).
                    assert mode is GenerationMode.NEGATIVE, operation.label
                except Exception as exc:
                    label = f"{operation.label} [{mode.value}{', known ids' if fixed else ''}]"
                    failures.append(f"{label}: {type(exc).__name__}: {exc}"[:1500])
    return failures


async def test_generated_requests_never_break_the_schema(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server()
    async with app.client(tokens.alice) as client:
        task_id = (
            await client.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"})
        ).json()["task_id"]
        await wait_for_task(client, task_id, {"completed"})
    known = {"task_id": task_id, "roadmap_id": task_id, "concept_id": "c1"}
    failures = await asyncio.to_thread(_fuzz, app.url, tokens.alice, known)
    assert not failures, "\n\n".join(failures)
