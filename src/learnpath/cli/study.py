"""What the learning commands do: the tutor in the terminal, reviews, notes and the calendar.

Answers and notes go to stdout; what frames them (sources, status, hints) goes to stderr.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from learnpath.cli.common import EXIT_BAD_INPUT, err, fail, out
from learnpath.cli.generate import cli_user
from learnpath.domain.reviews import Rating
from learnpath.domain.roadmap import Framework
from learnpath.domain.tutor import MessageStatus, SourceKind
from learnpath.learning.quota import QuotaExceeded, check_chat_rate
from learnpath.learning.reviews import InvalidAnswer, answer_card, due_today, learner_zone
from learnpath.learning.tutoring import open_tutoring, sources_of
from learnpath.runtime import Runtime, open_runtime
from learnpath.settings import Settings
from learnpath.store import Conflict, NotFound, Store
from learnpath.store.records import UserRecord
from learnpath.store.reviews import CardView
from learnpath.store.tutoring import MessageRecord

RATING_KEYS = {"a": Rating.AGAIN, "h": Rating.HARD, "g": Rating.GOOD, "e": Rating.EASY}


@asynccontextmanager
async def learner(settings: Settings) -> AsyncIterator[tuple[Runtime, UserRecord]]:
    """The store (migrated) and the command line's user; refusals end the command cleanly."""
    async with open_runtime(settings, background=False) as runtime:
        user = await cli_user(runtime.store, settings.cli_user)
        try:
            yield runtime, user
        except NotFound as exc:
            fail(str(exc))
        except Conflict as exc:
            fail(str(exc))


async def roadmap_id(store: Store, user_id: str, prefix: str) -> str:
    """The user's roadmap for a task id or unique prefix; fails listing the matches."""
    matches = await store.task_ids_with_prefix(prefix.strip(), user_id, limit=6)
    exact = prefix.strip().lower()
    chosen = exact if exact in matches else (matches[0] if len(matches) == 1 else None)
    if not matches:
        fail(f"no roadmap {prefix} of yours\nhint: `learnpath tasks` lists task ids")
    if chosen is None:
        fail(f"task id prefix {prefix!r} is ambiguous: {', '.join(matches[:5])}")
    task = await store.get_task(chosen, user_id)
    if task.roadmap_id is None:
        fail(f"task {chosen} has no roadmap yet (it is {task.status})")
    return task.roadmap_id


def concept_id(framework: Framework, wanted: str) -> str:
    """A concept by id, by name (any case), or by a part of its name that only it has."""
    concepts = [c for _, _, c in framework.concepts()]
    key = wanted.strip().casefold()
    for concept in concepts:
        if concept.id == wanted.strip() or concept.name.casefold() == key:
            return concept.id
    partial = [c for c in concepts if key and key in c.name.casefold()]
    if len(partial) == 1:
        return partial[0].id
    listed = ", ".join(f"{c.id} ({c.name})" for c in (partial or concepts)[:8])
    fail(
        f"{'several concepts match' if partial else 'no concept matches'} {wanted!r}: {listed}",
        code=EXIT_BAD_INPUT,
    )


async def _concept(store: Store, user_id: str, task: str, concept: str) -> tuple[str, str]:
    rid = await roadmap_id(store, user_id, task)
    framework = Framework.model_validate((await store.get_roadmap(rid, user_id)).framework)
    return rid, concept_id(framework, concept)


# --- the tutor ---------------------------------------------------------------------------


def _print_sources(message: MessageRecord) -> None:
    sources = {s.number: s for s in sources_of(message)}
    cited = [sources[n] for n in message.citations or [] if n in sources]
    if cited:
        err.print("Sources:", highlight=False)
    for source in cited:
        where = f" <{source.url}>" if source.url else ""
        kind = {"roadmap": "roadmap", "tutorial": "tutorial", "resource": "resource"}[
            SourceKind(source.kind)
        ]
        err.print(
            f"  [{source.number}] {kind}: {source.title}{where}", highlight=False, markup=False
        )


async def ask(settings: Settings, task: str, concept: str, question: str | None) -> None:
    async with learner(settings) as (runtime, user):
        store = runtime.store
        rid, cid = await _concept(store, user.id, task, concept)
        if question is None:
            messages = await store.conversation(user.id, rid, cid)
            if not messages:
                err.print(f'No conversation yet: `learnpath ask {task} {cid} "your question"`.')
            for message in messages:
                who = "You" if message.role == "question" else f"Tutor ({message.generated_by})"
                out.print(f"[bold]{who}:[/]")
                out.print(message.text, markup=False, highlight=False)
                if message.error_message:
                    err.print(f"[yellow]{message.status}:[/] {message.error_message}")
            return
        if not question.strip():
            fail("the question is empty", code=EXIT_BAD_INPUT)
        try:
            await check_chat_rate(store, settings, user.id)
        except QuotaExceeded as exc:
            fail(exc.message)
        service = open_tutoring(runtime)
        try:
            _, answer = await service.ask(user.id, rid, cid, question.strip())
            label = service.generated_by
            err.print(f"[dim]Tutor ({label}{': sample answers' if label == 'offline' else ''})[/]")
            final: MessageRecord | None = None
            async for event in service.follow(user.id, answer.id):
                if event.text:
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
                final = event.final or final
        finally:
            await service.close(grace_seconds=0)
        sys.stdout.write("\n")
        assert final is not None
        if final.status != MessageStatus.COMPLETED:
            fail(f"{final.error_message} ({final.error_code})")
        _print_sources(final)


# --- reviews -----------------------------------------------------------------------------


def _show_card(index: int, total: int, card: CardView) -> None:
    out.print(
        f"\n[bold][{index}/{total}] {card.concept_name}[/] · {card.roadmap_title}",
        highlight=False,
    )
    if card.question is None:
        return
    out.print(card.question.question, markup=False, highlight=False)
    for number, option in enumerate(card.question.options, start=1):
        out.print(f"  {number}) {option}", markup=False, highlight=False)


def _parse(reply: str, options: int) -> Rating | int | str | None:
    text = reply.strip().lower()
    if text in ("s", "q"):
        return text
    if text in RATING_KEYS:
        return RATING_KEYS[text]
    if text.isdigit() and 1 <= int(text) <= options:
        return int(text) - 1
    return None


async def review(settings: Settings, task: str | None, timezone: str | None, limit: int) -> None:
    async with learner(settings) as (runtime, user):
        store = runtime.store
        try:
            tz = await learner_zone(store, user.id, timezone)
        except ValueError as exc:
            fail(str(exc), code=EXIT_BAD_INPUT)
        rid = await roadmap_id(store, user.id, task) if task else None
        today = await due_today(store, user.id, tz, roadmap_id=rid, limit=limit)
        if not today.cards:
            nxt = today.counts.next_due
            err.print(
                f"Nothing is due today ({today.day}, {today.timezone}). "
                + (f"Next review: {nxt.astimezone(tz):%Y-%m-%d}. " if nxt else "")
                + (
                    f"{today.counts.new} card(s) start when you take their concept's quiz "
                    "or mark it done."
                    if today.counts.new
                    else ""
                )
            )
            return
        reviewed = 0
        for index, card in enumerate(today.cards, start=1):
            _show_card(index, len(today.cards), card)
            options = len(card.question.options) if card.question else 0
            while True:
                try:
                    reply = await asyncio.to_thread(
                        input, f"answer (1-{options}, or rate a/h/g/e; s skip, q quit): "
                    )
                except EOFError:
                    reply = "q"
                choice = _parse(reply, options)
                if choice is not None:
                    break
                err.print("Type an option number, a/h/g/e to rate yourself, s or q.")
            if choice == "q":
                break
            if choice == "s":
                continue
            try:
                outcome = await answer_card(
                    store,
                    user.id,
                    card.id,
                    tz,
                    rating=choice if isinstance(choice, Rating) else None,
                    option=choice if isinstance(choice, int) else None,
                )
            except InvalidAnswer as exc:
                err.print(str(exc))
                continue
            reviewed += 1
            question = outcome.card.question
            if outcome.correct is True:
                out.print("[green]✔ right[/]")
            elif outcome.correct is False and question is not None:
                out.print(
                    f"[red]✘ the answer is {question.answer + 1}) "
                    f"{question.options[question.answer]}[/]",
                    highlight=False,
                )
            if question is not None and question.explanation:
                out.print(question.explanation, markup=False, highlight=False)
            due = outcome.card.due
            if due is not None:
                days = (due.astimezone(tz).date() - today.day).days
                out.print(
                    f"next review: {due.astimezone(tz):%Y-%m-%d} (in {days} day"
                    f"{'s' if days != 1 else ''})"
                )
        err.print(f"Reviewed {reviewed} card(s).")


# --- notes -------------------------------------------------------------------------------


def note_text(text: str | None, file: Path | None) -> str | None:
    """The note's Markdown from the argument, stdin (``-``) or a file (None: not given)."""
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}", code=EXIT_BAD_INPUT)
    if text == "-":
        return sys.stdin.read()
    return text


def _checked(markdown: str | None) -> str:
    if markdown is None or not markdown.strip():
        fail("the note is empty: give its Markdown, '-' for stdin, or --file", code=EXIT_BAD_INPUT)
    if "\x00" in markdown or len(markdown) > 20_000:
        fail("a note has at most 20000 characters and no NUL characters", code=EXIT_BAD_INPUT)
    return markdown


async def list_notes(settings: Settings, task: str, concept: str | None) -> None:
    async with learner(settings) as (runtime, user):
        store = runtime.store
        rid = await roadmap_id(store, user.id, task)
        framework = Framework.model_validate((await store.get_roadmap(rid, user.id)).framework)
        cid = concept_id(framework, concept) if concept else None
        names = {c.id: c.name for _, _, c in framework.concepts()}
        notes = await store.notes(user.id, rid, cid)
        if not notes:
            err.print("No notes yet: `learnpath notes add TASK CONCEPT 'text'`.")
        for note in notes:
            out.print(
                f"[bold]## {names.get(note.concept_id, note.concept_id)}[/] "
                f"[dim]({note.concept_id} · note {note.id} · {note.updated_at:%Y-%m-%d %H:%M})[/]",
                highlight=False,
            )
            out.print(note.markdown.rstrip() + "\n", markup=False, highlight=False)


async def add_note(
    settings: Settings, task: str, concept: str, markdown: str | None, answer: str | None
) -> None:
    from learnpath.learning.notes import save_answer

    if (markdown is None) == (answer is None):
        fail("give the note's Markdown or --answer MESSAGE_ID (not both)", code=EXIT_BAD_INPUT)
    async with learner(settings) as (runtime, user):
        rid, cid = await _concept(runtime.store, user.id, task, concept)
        if answer is not None:
            note = await save_answer(runtime.store, user.id, rid, cid, answer)
        else:
            note = await runtime.store.add_note(user.id, rid, cid, _checked(markdown))
        print(note.id)


async def edit_note(settings: Settings, note_id: str, markdown: str | None) -> None:
    async with learner(settings) as (runtime, user):
        await runtime.store.update_note(user.id, note_id.strip(), _checked(markdown))
        err.print(f"note {note_id} updated")


async def delete_note(settings: Settings, note_id: str) -> None:
    async with learner(settings) as (runtime, user):
        await runtime.store.delete_note(user.id, note_id.strip())
        err.print(f"note {note_id} deleted")


# --- the calendar ------------------------------------------------------------------------


async def calendar_show(settings: Settings) -> None:
    async with learner(settings) as (runtime, user):
        current = await runtime.store.calendar_settings(user.id)
        out.print(f"time zone: {current.timezone}", highlight=False)
        if current.feed_active and current.feed_created_at is not None:
            made = current.feed_created_at.astimezone(dt.UTC)
            out.print(f"feed: active since {made:%Y-%m-%d %H:%M} UTC (its URL was shown once)")
        else:
            out.print("feed: none (`learnpath calendar rotate` makes one)")


async def calendar_timezone(settings: Settings, name: str) -> None:
    from learnpath.domain.reviews import zone

    try:
        tz = zone(name.strip())
    except ValueError as exc:
        fail(str(exc), code=EXIT_BAD_INPUT)
    async with learner(settings) as (runtime, user):
        await runtime.store.set_timezone(user.id, tz.key)
        err.print(f"time zone set to {tz.key}")


async def calendar_rotate(settings: Settings, base_url: str | None) -> None:
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    async with learner(settings) as (runtime, user):
        token = await runtime.store.rotate_feed_token(user.id)
        err.print("Subscribe to this URL in your calendar app; keep it secret (shown once):")
        print(f"{base}/calendar/{token}.ics")


async def calendar_revoke(settings: Settings) -> None:
    async with learner(settings) as (runtime, user):
        await runtime.store.revoke_feed(user.id)
        err.print("feed revoked: its URL no longer works")
