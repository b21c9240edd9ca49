"""Tutor replies: asked through the API, the web UI or the CLI, written as they stream.

**Where a reply runs.** A reply runs as an asyncio task of the process that received the
question (the API server, or the ``learnpath ask`` command), detached from the request: it is
not a job on the queue. A reply is interactive and short; its only state is the text written
so far, which is saved every ``flush_seconds`` while it streams. The queue is built for
long, resumable, step-by-step work: a reply queued behind a roadmap's content jobs would make
the learner wait for minutes, and in Celery mode every token would have to cross the broker
to reach the learner. So:

* a client that disconnects loses nothing: the reply goes on without it, and whoever reopens
  the conversation (or re-attaches with ``Last-Event-ID``) sees everything written so far and
  what follows;
* a model failure ends the reply as ``failed`` with the model error's code and a message that
  says what to do, stored with the message (never a traceback);
* if the process itself dies, the reply stops being saved; after ``STALE_ANSWER_SECONDS``
  without a write it is shown as ``interrupted`` with its text kept (a heartbeat keeps a
  reply that waits for a slow model from looking dead);
* the per-user rate limit (``learning.quota``) and one reply at a time per conversation apply
  before anything is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from learnpath.agents.tutor import Tutor, TutorQuestion
from learnpath.document import by_concept
from learnpath.domain.content import ContentKind, ContentStatus, ResourceList, Tutorial
from learnpath.domain.roadmap import Framework
from learnpath.domain.tutor import (
    MessageRole,
    MessageStatus,
    Source,
    cited_numbers,
    concept_sources,
)
from learnpath.llm.errors import ModelCallError
from learnpath.runtime import Runtime
from learnpath.store import NotFound, Store
from learnpath.store.signals import Signal
from learnpath.store.tutoring import MessageRecord

log = logging.getLogger(__name__)

UNEXPECTED = (
    "tutor_failed",
    "The tutor failed unexpectedly while answering. Ask again; if it keeps failing, run "
    "`learnpath doctor` and check the server log.",
)
SHUT_DOWN = (
    "reply_interrupted",
    "The tutor stopped before finishing this answer (the server shut down). What it had "
    "written is kept; ask again for a complete answer.",
)
FOLLOW_POLL_SECONDS = 0.2
Read = Callable[[Coroutine[Any, Any, MessageRecord]], Awaitable[MessageRecord]]


async def _plain(read: Coroutine[Any, Any, MessageRecord]) -> MessageRecord:
    return await read


@dataclass(frozen=True)
class ReplyEvent:
    """One step of following a reply: new ``text`` from ``offset``, or its end (``final``)."""

    offset: int
    text: str = ""
    final: MessageRecord | None = None


async def tutor_question(
    store: Store, user_id: str, roadmap_id: str, concept_id: str, question: str
) -> TutorQuestion:
    """The question with its grounding: the concept's place, tutorial, resources and history."""
    roadmap = await store.get_roadmap(roadmap_id, user_id)
    framework = Framework.model_validate(roadmap.framework)
    concept = framework.concept(concept_id)
    if concept is None:
        raise NotFound(f"no concept {concept_id} in roadmap {roadmap_id}")
    items = by_concept(await store.latest_content(roadmap_id, concept_id)).get(concept_id, {})

    def body(kind: ContentKind) -> dict[str, object] | None:
        item = items.get(kind)
        return item.body if item is not None and item.status == ContentStatus.COMPLETED else None

    tutorial = body(ContentKind.TUTORIAL)
    resources = body(ContentKind.RESOURCES)
    task = await store.get_task(roadmap.task_id, user_id)
    history = [
        (m.role, m.text)
        for m in await store.conversation(user_id, roadmap_id, concept_id)
        if m.text and (m.role == MessageRole.QUESTION or m.status == MessageStatus.COMPLETED)
    ]
    return TutorQuestion(
        question=question,
        language=str(task.request.get("language") or "en"),
        concept_name=concept.name,
        concept_description=concept.description,
        sources=concept_sources(
            framework,
            concept_id,
            Tutorial.model_validate(tutorial) if tutorial else None,
            ResourceList.model_validate(resources) if resources else None,
        ),
        history=history,
    )


class TutorService:
    """Starts tutor replies in the background and follows them from the database."""

    def __init__(
        self,
        store: Store,
        tutor: Tutor,
        *,
        flush_seconds: float = 0.2,
        heartbeat_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.tutor = tutor
        self.flush_seconds = flush_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.signal = Signal()
        self._replies: set[asyncio.Task[None]] = set()

    @property
    def generated_by(self) -> str:
        return self.tutor.generated_by

    async def ask(
        self, user_id: str, roadmap_id: str, concept_id: str, question: str
    ) -> tuple[MessageRecord, MessageRecord]:
        """Store the question, start the reply, and return both messages at once."""
        ask = await tutor_question(self.store, user_id, roadmap_id, concept_id, question)
        asked, answer = await self.store.start_exchange(
            user_id,
            roadmap_id,
            concept_id,
            question=question,
            sources=[s.model_dump(mode="json") for s in ask.sources],
            generated_by=self.generated_by,
        )
        reply = asyncio.create_task(self._reply(answer.id, ask), name=f"tutor-{answer.id}")
        self._replies.add(reply)
        reply.add_done_callback(self._replies.discard)
        return asked, answer

    async def _reply(self, message_id: str, ask: TutorQuestion) -> None:
        text = ""
        last = time.monotonic()

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(self.heartbeat_seconds)
                await self.store.write_answer(message_id, text)

        beat = asyncio.create_task(heartbeat())
        try:
            try:
                async for piece in self.tutor.stream(ask):
                    text += piece
                    if time.monotonic() - last >= self.flush_seconds:
                        await self.store.write_answer(message_id, text)
                        last = time.monotonic()
                        self.signal.notify()
            finally:
                beat.cancel()
            end = self.store.finish_answer(
                message_id,
                text,
                status=MessageStatus.COMPLETED,
                citations=cited_numbers(text, ask.sources),
            )
            await self._finish(message_id, end)
        except ModelCallError as exc:
            end = self.store.finish_answer(
                message_id, text, status=MessageStatus.FAILED, error=(exc.code, exc.message)
            )
            await self._finish(message_id, end)
        except asyncio.CancelledError:
            end = self.store.finish_answer(
                message_id, text, status=MessageStatus.INTERRUPTED, error=SHUT_DOWN
            )
            await asyncio.shield(self._finish(message_id, end))
            raise
        except Exception:
            log.exception("tutor reply %s failed", message_id)
            end = self.store.finish_answer(
                message_id, text, status=MessageStatus.FAILED, error=UNEXPECTED
            )
            await self._finish(message_id, end)

    async def _finish(self, message_id: str, ending: Awaitable[MessageRecord]) -> None:
        """Await ``ending`` (the store's ``finish_answer``), then wake the readers."""
        try:
            await ending
        except Exception:  # the database is gone too: the stale check marks it later
            log.exception("could not record the end of tutor reply %s", message_id)
        finally:
            self.signal.notify()

    async def follow(
        self, user_id: str, message_id: str, offset: int = 0, *, read: Read = _plain
    ) -> AsyncIterator[ReplyEvent]:
        """Yield the answer's text after ``offset`` as it is saved, then its final record.

        ``read`` awaits each database read: a stream to a client passes one that a client
        leaving cannot cancel half-way (``learnpath.store.follow.uncancelled``).
        """
        while True:
            seen = self.signal.version
            message = await read(self.store.tutor_message(user_id, message_id))
            if len(message.text) > offset:
                yield ReplyEvent(offset=offset, text=message.text[offset:])
                offset = len(message.text)
            if message.status != MessageStatus.STREAMING:
                yield ReplyEvent(offset=offset, final=message)
                return
            await self.signal.wait(seen, FOLLOW_POLL_SECONDS)

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Let running replies finish for up to ``grace_seconds``, then stop them: each is
        stored as interrupted with what it had written."""
        pending = set(self._replies)
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=grace_seconds)
        for reply in still:
            reply.cancel()
        if still:
            await asyncio.wait(still, timeout=5.0)


def open_tutoring(runtime: Runtime) -> TutorService:
    """The tutor service of an app or command, on the runtime's store and settings."""
    return TutorService(runtime.store, Tutor(runtime.settings))


def sources_of(message: MessageRecord) -> list[Source]:
    return [Source.model_validate(s) for s in message.sources or []]
