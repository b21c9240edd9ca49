"""An OpenAI SDK client whose chat completions post plain JSON bodies as they are.

``AsyncOpenAI.chat.completions.create`` runs every request body through the SDK's typed
``transform``: a walk of the whole body against its ``TypedDict`` annotations, to rename
aliased keys, format dates and files, and turn iterables and pydantic models into JSON.
None of that applies to the chat completion parameters pydantic-ai sends (the chat
parameters have no aliases or formats; pydantic-ai sends lists of plain dicts), and the walk
was a third of a worker's CPU per model call (``bench/percall.py --profile``, bench/README.md).

``LeanOpenAI`` is an ``AsyncOpenAI`` whose ``chat.completions.create`` posts the body
through the client's own ``post`` (the SDK's documented way to send a request it has not
typed) with the same path, request options, security and response type as ``create``, when
the body is plain JSON: only ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and
``None``, with the SDK's ``omit``/``NOT_GIVEN`` top-level arguments left out, which is what the
transform returns for such a body. Anything else (a stream, a pydantic model, a tuple, a
nested ``omit``, a date, a file) goes through the SDK's ``create`` unchanged.
``tests/unit/test_openai_chat.py`` compares the requests of both clients byte for byte.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from openai import AsyncOpenAI, NotGiven, Omit
from openai.resources.chat import AsyncChat
from openai.resources.chat.completions import AsyncCompletions
from openai.types.chat import ChatCompletion

#: ``create``'s arguments that are request options, not body fields.
REQUEST_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")
_SCALARS = (str, int, float, bool, type(None))


def is_plain_json(value: object) -> bool:
    """Whether ``value`` is made only of JSON's own types (exact ``dict`` and ``list``)."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and is_plain_json(item) for key, item in value.items())  # type: ignore[attr-defined]
    if kind is list:
        return all(is_plain_json(item) for item in value)  # type: ignore[attr-defined]
    return kind in _SCALARS


def _is_given(value: object) -> bool:
    return not isinstance(value, (Omit, NotGiven))


class LeanCompletions(AsyncCompletions):
    """Chat completions whose plain-JSON, non-streaming requests skip the body transform."""

    async def create(self, **arguments: Any) -> Any:
        body = {
            key: value
            for key, value in arguments.items()
            if key not in REQUEST_OPTIONS and _is_given(value)
        }
        if (
            "model" not in body
            or "messages" not in body
            or body.get("stream")
            or not is_plain_json(body)
        ):
            return await super().create(**arguments)
        options: Any = {"security": {"bearer_auth": True}}  # the SDK's RequestOptions
        if (headers := arguments.get("extra_headers")) is not None:
            options["headers"] = headers
        if (extra_body := arguments.get("extra_body")) is not None:
            options["extra_json"] = extra_body
        if (query := arguments.get("extra_query")) is not None:
            options["params"] = query
        if "timeout" in arguments and _is_given(timeout := arguments["timeout"]):
            options["timeout"] = timeout
        return await self._post(
            "/chat/completions",
            body=body,
            options=options,
            cast_to=ChatCompletion,
        )


class LeanChat(AsyncChat):
    @cached_property
    def completions(self) -> AsyncCompletions:
        return LeanCompletions(self._client)


class LeanOpenAI(AsyncOpenAI):
    """``AsyncOpenAI`` with ``LeanCompletions``; every other resource is the SDK's."""

    @cached_property
    def chat(self) -> AsyncChat:
        return LeanChat(self)

    @property
    def user_agent(self) -> str:
        # The SDK names the client's class here; a provider sees the SDK it knows.
        return f"{AsyncOpenAI.__name__}/Python {self._version}"
