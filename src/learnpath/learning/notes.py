"""Notes from tutor answers: the answer's Markdown with its references written out."""

from __future__ import annotations

from learnpath.domain.tutor import MessageRole, MessageStatus, Source, SourceKind
from learnpath.store import Conflict, NotFound, Store
from learnpath.store.tutoring import MessageRecord, NoteRecord


def answer_as_markdown(message: MessageRecord) -> str:
    """The answer followed by the sources it cites, so the note stands on its own."""
    sources = {s.number: s for s in (Source.model_validate(x) for x in message.sources or [])}
    lines = [message.text.strip()]
    cited = [sources[n] for n in message.citations or [] if n in sources]
    if cited:
        lines += ["", "References:", ""]
        for source in cited:
            label = {
                SourceKind.ROADMAP: "Roadmap",
                SourceKind.TUTORIAL: "Tutorial",
                SourceKind.RESOURCE: "Resource",
            }[source.kind]
            title = f"[{source.title}]({source.url})" if source.url else source.title
            lines.append(f"- [{source.number}] {label}: {title}")
    return "\n".join(lines) + "\n"


async def save_answer(
    store: Store, user_id: str, roadmap_id: str, concept_id: str, message_id: str
) -> NoteRecord:
    """Keep a finished tutor answer about ``concept_id`` as a note."""
    message = await store.tutor_message(user_id, message_id)
    if (
        message.roadmap_id != roadmap_id
        or message.concept_id != concept_id
        or message.role != MessageRole.ANSWER
    ):
        raise NotFound(f"no tutor answer {message_id} about concept {concept_id}")
    if message.status == MessageStatus.STREAMING or not message.text.strip():
        raise Conflict(
            "this answer is still being written (or empty); save it once it is finished",
            code="answer_not_finished",
        )
    return await store.add_note(
        user_id, roadmap_id, concept_id, answer_as_markdown(message), source_message_id=message.id
    )
