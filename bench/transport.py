"""CPU per model request of the OpenAI-compatible client stack: httpx vs. aiohttp transport.

    .venv/bin/python bench/transport.py [--latency-ms 1000] [--at-once 400] [--rounds 5]

The fake OpenAI-compatible server (``learnpath.testing.fake_llm``) runs in a child process
with a fixed latency per request, so its CPU is not counted. This process sends ``--rounds``
rounds of ``--at-once`` concurrent requests (the tutorial agent's output tool, as a content
item asks) through pydantic-ai's ``OpenAIChatModel`` on one ``OpenAIProvider``, once with the
OpenAI SDK's default httpx client and once with its aiohttp client (``DefaultAioHttpClient``,
what a team uses: ``learnpath.llm.models``), and prints the process CPU per request and the
wall time of each.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, UserPromptPart
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.tools import ToolDefinition

from learnpath.domain.content import Tutorial

SERVER = """
import sys, time
from learnpath.testing.fake_llm import FakeLLMServer
with FakeLLMServer(latency=float(sys.argv[1])) as server:
    print(server.model_setting, flush=True)
    time.sleep(10**6)
"""

PARAMETERS = ModelRequestParameters(
    output_tools=[
        ToolDefinition(
            name="tutorial", parameters_json_schema=Tutorial.model_json_schema(), kind="output"
        )
    ],
    output_mode="tool",
    allow_text_output=False,
)
MESSAGES: list[ModelMessage] = [
    ModelRequest(parts=[UserPromptPart("Write the tutorial for the concept 'HTTP basics'.")])
]


async def measure(setting: str, transport: str, at_once: int, rounds: int) -> dict[str, Any]:
    url, _, name = setting.partition("#")
    http_client: Any = None
    if transport == "aiohttp":
        from openai import DefaultAioHttpClient

        http_client = DefaultAioHttpClient()
    provider = OpenAIProvider(base_url=url, api_key="not-needed", http_client=http_client)
    model = OpenAIChatModel(name or "default", provider=provider)
    try:

        async def one() -> None:
            await model.request(MESSAGES, {"max_retries": 0}, PARAMETERS)

        await asyncio.gather(*(one() for _ in range(min(at_once, 20))))  # warm-up
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(one() for _ in range(at_once)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await provider.client.close()
    requests = at_once * rounds
    return {
        "transport": transport,
        "requests": requests,
        "cpu_ms": cpu * 1000 / requests,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=1000.0, help="fake model latency")
    parser.add_argument("--at-once", type=int, default=400, help="concurrent requests")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --at-once requests")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.latency_ms / 1000)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        setting = server.stdout.readline().strip()
        results = [
            asyncio.run(measure(setting, transport, args.at_once, args.rounds))
            for transport in ("httpx", "aiohttp")
        ]
    finally:
        server.kill()
        server.wait()
    print(
        f"{args.at_once} requests at once x {args.rounds}, "
        f"fake model latency {args.latency_ms:g} ms"
    )
    print(f"{'transport':<10} {'requests':>9} {'CPU ms / request':>17} {'wall s':>8}")
    for r in results:
        print(f"{r['transport']:<10} {r['requests']:>9} {r['cpu_ms']:>17.2f} {r['wall_s']:>8.1f}")


if __name__ == "__main__":
    main()
