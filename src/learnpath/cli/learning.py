"""Commands for learning with a roadmap: ask the tutor, review due cards, notes, the calendar.

They act as ``LEARNPATH_CLI_USER`` on that user's own roadmaps only. The work is done in
``learnpath.cli.study`` (imported inside each command, so ``learnpath --help`` stays fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnpath.cli.common import load_settings, quiet_third_party, run

TaskArg = Annotated[str, typer.Argument(help="Task (roadmap) id or a unique prefix of it")]
ConceptArg = Annotated[str, typer.Argument(help="Concept id (c3) or its name")]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(help="IANA time zone for 'today' (default: your calendar setting, else UTC)"),
]

notes_app = typer.Typer(help="Markdown notes on a roadmap's concepts.", no_args_is_help=True)
calendar_app = typer.Typer(
    help="The reminder calendar: your time zone and the secret feed URL.", no_args_is_help=True
)


def ask(
    task_id: TaskArg,
    concept: ConceptArg,
    question: Annotated[
        str | None, typer.Argument(help="Your question (none: show the conversation so far)")
    ] = None,
) -> None:
    """Ask the tutor about a concept; the answer streams to the terminal, with its sources.

    Without a question, print the conversation about the concept so far. Exit 1 when the
    model fails (the message says why; it is stored with the conversation).
    """
    from learnpath.cli import study

    quiet_third_party()
    run(study.ask(load_settings(), task_id, concept, question))


def review(
    task_id: Annotated[
        str | None, typer.Option("--task", help="Only this roadmap's cards (id or prefix)")
    ] = None,
    timezone: TimezoneOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many cards")] = 50,
) -> None:
    """Review the cards due today: pick an option (1, 2, …) or rate yourself (a/h/g/e).

    s skips a card, q stops. Each answer moves the card's next review (FSRS).
    """
    from learnpath.cli import study

    run(study.review(load_settings(), task_id, timezone, limit))


@notes_app.command("list")
def notes_list(
    task_id: TaskArg,
    concept: Annotated[str | None, typer.Argument(help="Only this concept's notes")] = None,
) -> None:
    """Print the notes (Markdown) with their ids."""
    from learnpath.cli import study

    run(study.list_notes(load_settings(), task_id, concept))


@notes_app.command("add")
def notes_add(
    task_id: TaskArg,
    concept: ConceptArg,
    text: Annotated[
        str | None, typer.Argument(help="The note in Markdown ('-': read it from stdin)")
    ] = None,
    answer: Annotated[
        str | None, typer.Option("--answer", help="Keep this tutor answer (its id) as the note")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the note from a file")] = None,
) -> None:
    """Add a note to a concept; prints the new note's id."""
    from learnpath.cli import study

    run(study.add_note(load_settings(), task_id, concept, study.note_text(text, file), answer))


@notes_app.command("edit")
def notes_edit(
    note_id: Annotated[str, typer.Argument(help="The note's id")],
    text: Annotated[str | None, typer.Argument(help="The new Markdown ('-': from stdin)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the note from a file")] = None,
) -> None:
    """Replace a note's Markdown."""
    from learnpath.cli import study

    run(study.edit_note(load_settings(), note_id, study.note_text(text, file)))


@notes_app.command("delete")
def notes_delete(note_id: Annotated[str, typer.Argument(help="The note's id")]) -> None:
    """Delete a note."""
    from learnpath.cli import study

    run(study.delete_note(load_settings(), note_id))


@calendar_app.command("show")
def calendar_show() -> None:
    """Your time zone and whether a feed exists."""
    from learnpath.cli import study

    run(study.calendar_show(load_settings()))


@calendar_app.command("timezone")
def calendar_timezone(
    name: Annotated[str, typer.Argument(help="IANA time zone, e.g. Europe/Paris")],
) -> None:
    """Set the time zone your days (due today, the feed's events) are counted in."""
    from learnpath.cli import study

    run(study.calendar_timezone(load_settings(), name))


@calendar_app.command("rotate")
def calendar_rotate(
    base_url: Annotated[
        str | None,
        typer.Option(help="The server's address (default http://LEARNPATH_HOST:LEARNPATH_PORT)"),
    ] = None,
) -> None:
    """Make a new secret feed URL (prints it, once); the previous one stops working."""
    from learnpath.cli import study

    run(study.calendar_rotate(load_settings(), base_url))


@calendar_app.command("revoke")
def calendar_revoke() -> None:
    """Remove the feed: its URL answers 404 from now on."""
    from learnpath.cli import study

    run(study.calendar_revoke(load_settings()))


def register(app: typer.Typer) -> None:
    """Add the learning commands to the ``learnpath`` command."""
    app.command()(ask)
    app.command()(review)
    app.add_typer(notes_app, name="notes")
    app.add_typer(calendar_app, name="calendar")
