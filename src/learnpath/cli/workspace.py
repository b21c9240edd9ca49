"""The learner's workspace on the command line, as ``LEARNPATH_CLI_USER``: roadmaps, export,
schedule, map, edit and history, rename, trash and restore, share and fork.

Commands are registered on the main app by ``register(app)``; each parses its input,
calls one workspace function and prints the result (results on stdout, messages on
stderr).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from learnpath.cli.common import EXIT_BAD_INPUT, EXIT_PARTIAL, err, fail, load_settings, out, run

TaskArg = Annotated[str, typer.Argument(help="Roadmap (task) id or a unique prefix of it")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
StartOpt = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="First day of the plan"),
]


@asynccontextmanager
async def _session(*, background: bool = False) -> AsyncIterator[Any]:
    """The runtime and the CLI user; refused commands end cleanly with their reason."""
    from learnpath.cli.generate import cli_user
    from learnpath.runtime import open_runtime
    from learnpath.store import Conflict, NotFound
    from learnpath.workflow.review import InvalidEdits

    async with open_runtime(load_settings(), background=background) as runtime:
        try:
            user = await cli_user(runtime.store, runtime.settings.cli_user)
            yield runtime, user
        except NotFound as exc:
            fail(f"{exc}\nhint: `learnpath roadmaps` lists your roadmaps")
        except InvalidEdits as exc:
            fail(str(exc), code=EXIT_BAD_INPUT)
        except Conflict as exc:
            fail(str(exc))


async def _roadmap_id(store: Any, user_id: str, prefix: str) -> str:
    matches = await store.task_ids_with_prefix(prefix.strip(), user_id, limit=6)
    if prefix.strip().lower() in matches:
        return prefix.strip().lower()
    if not matches:
        fail(f"no roadmap {prefix} of yours\nhint: `learnpath roadmaps` lists your roadmaps")
    if len(matches) > 1:
        fail(f"roadmap id prefix {prefix!r} is ambiguous: {', '.join(matches[:5])}")
    return str(matches[0])


def register(app: typer.Typer) -> None:
    """Add the workspace commands to ``app``."""

    @app.command()
    def roadmaps(
        trash: Annotated[bool, typer.Option("--trash", help="List the trash instead")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Your roadmaps with your own progress (done, quiz average, pace), or the trash."""
        rows = run(_roadmaps(trash))
        if as_json:
            out.print_json(json.dumps(rows))
            return
        for row in rows:
            if trash:
                out.print(
                    f"{row['id']}  {row['title']}  (in the trash since {row['deleted_at']})",
                    highlight=False,
                )
            else:
                average = "—" if row["quiz_average"] is None else f"{row['quiz_average']:.0%}"
                out.print(
                    f"{row['id']}  {row['title']}  done {row['done']}/{row['total']}  "
                    f"quiz {average}  pace {row['pace']}",
                    highlight=False,
                )
        if not rows:
            err.print(
                "the trash is empty" if trash else "no roadmaps yet: `learnpath generate GOAL`"
            )

    @app.command()
    def export(
        task_id: TaskArg,
        fmt: Annotated[str, typer.Option("--format", help="md, json or apkg")] = "md",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Where to write")
        ] = None,
        start: StartOpt = None,
    ) -> None:
        """Write the roadmap as a Markdown plan, the JSON document or an Anki deck (the plan
        and the document carry your notes); prints the path as the last line."""
        from learnpath.workspace.exports import ExportFormat

        if fmt not in {f.value for f in ExportFormat}:
            fail(f"unknown format {fmt!r}; use md, json or apkg", code=EXIT_BAD_INPUT)
        path, unfinished = run(_export(task_id, ExportFormat(fmt), output, start))
        if unfinished:
            err.print(f"[yellow]Unfinished roadmap:[/] {unfinished}")
        out.print(str(path), highlight=False)

    @app.command()
    def schedule(task_id: TaskArg, as_json: JsonOpt = False, start: StartOpt = None) -> None:
        """Every concept in a week and on dates, and whether you are ahead or behind."""
        plan = run(_schedule(task_id, start))
        if as_json:
            out.print_json(plan.model_dump_json())
            return
        names = {c.concept_id: c for c in plan.concepts}
        pace = plan.pace
        out.print(
            f"{plan.total_hours:g} h at {plan.hours_per_week} h/week from {plan.start_date}: "
            f"{plan.weeks_needed} week(s), last concept due {plan.end_date} "
            f"(deadline {plan.deadline}{'' if plan.fits else ', NOT met'})",
            highlight=False,
        )
        out.print(
            f"pace: {pace.status.replace('_', ' ')} ({pace.done_hours:g} h done, "
            f"{pace.due_hours:g} h due by {pace.today})",
            highlight=False,
        )
        for week in plan.weeks:
            concepts = ", ".join(
                ("✓ " if names[c].done else "") + names[c].name for c in week.concepts
            )
            out.print(
                f"week {week.week:>3}  {week.start_date} – {week.end_date}  {concepts or '(continued)'}",
                highlight=False,
            )

    @app.command("map")
    def map_command(
        task_id: TaskArg,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Where to write")
        ] = None,
    ) -> None:
        """Write the roadmap's map (SVG); prints the path as the last line."""
        out.print(str(run(_map(task_id, output))), highlight=False)

    @app.command()
    def edit(
        task_id: TaskArg,
        operations: Annotated[
            str,
            typer.Argument(
                help='Operations as JSON, e.g. \'[{"op": "rename", "target_id": "c2", '
                '"name": "Joins"}]\', or @FILE'
            ),
        ],
        note: Annotated[str, typer.Option(help="Why (kept with the change)")] = "",
        wait: Annotated[
            bool, typer.Option("--wait/--no-wait", help="Follow the new concepts' content")
        ] = True,
    ) -> None:
        """Change a completed roadmap with the review's edit operations (all or nothing).

        New concepts get their content written; with --wait (the default) the command
        follows it and exits 3 when some of it failed.
        """
        ops = _operations(operations)
        outcome, status = run(_edit(task_id, ops, note, wait))
        err.print(
            f"changed: {len(ops)} operation(s); added {outcome.added or 'nothing'}, "
            f"removed {outcome.removed or 'nothing'}"
        )
        out.print(f"{outcome.task_id}: {status}", highlight=False)
        if status == "partial_failure":
            raise typer.Exit(EXIT_PARTIAL)

    @app.command()
    def history(task_id: TaskArg, as_json: JsonOpt = False) -> None:
        """Every change to the roadmap: when, by whom, which operations."""
        records = run(_history(task_id))
        if as_json:
            out.print_json(json.dumps(records))
            return
        for r in records:
            ops = "; ".join(json.dumps(op, ensure_ascii=False) for op in r["operations"])
            out.print(f"{r['created_at']}  {r['source']}  {ops}", highlight=False)

    @app.command()
    def rename(task_id: TaskArg, title: Annotated[str, typer.Argument(help="New title")]) -> None:
        """Rename a roadmap."""
        cleaned = " ".join(title.split())
        if not cleaned or len(cleaned) > 300:
            fail("a title needs 1 to 300 characters", code=EXIT_BAD_INPUT)
        out.print(run(_simple(task_id, "rename", cleaned)), highlight=False)

    @app.command()
    def trash(task_id: TaskArg) -> None:
        """Move a roadmap to the trash (`learnpath restore` brings it back)."""
        out.print(run(_simple(task_id, "trash")), highlight=False)

    @app.command()
    def restore(task_id: TaskArg) -> None:
        """Take a roadmap out of the trash."""
        out.print(run(_simple(task_id, "restore")), highlight=False)

    @app.command()
    def share(
        task_id: TaskArg,
        base_url: Annotated[
            str | None, typer.Option(help="The server's public address (default: serve's)")
        ] = None,
    ) -> None:
        """Make a read-only share link (a new one revokes the previous); prints the URL."""
        out.print(run(_share(task_id, base_url)), highlight=False)

    @app.command()
    def unshare(task_id: TaskArg) -> None:
        """Revoke the roadmap's share link."""
        out.print(run(_simple(task_id, "unshare")), highlight=False)

    @app.command()
    def fork(
        link: Annotated[str, typer.Argument(help="A share link (or its token)")],
        hours: Annotated[int, typer.Option(min=1, max=168, help="Your hours per week")] = 8,
    ) -> None:
        """Copy a shared roadmap into your roadmaps; prints the new roadmap's id."""
        out.print(run(_fork(link.rstrip("/").rsplit("/", 1)[-1], hours)), highlight=False)


def _operations(text: str) -> list[Any]:
    from pydantic import TypeAdapter, ValidationError

    from learnpath.domain.roadmap import EditOp
    from learnpath.domain.text import first_unstorable

    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read {text[1:]}: {exc.strerror}", code=EXIT_BAD_INPUT)
    try:
        data = json.loads(text)
        data = data if isinstance(data, list) else [data]
        found = first_unstorable(data, "operations")
        if found:
            fail(f"invalid operation at {found[0]}: {found[1]}", code=EXIT_BAD_INPUT)
        return TypeAdapter(list[EditOp]).validate_python(data)
    except json.JSONDecodeError as exc:
        fail(f"the operations are not valid JSON: {exc.msg} (at {exc.pos})", code=EXIT_BAD_INPUT)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        fail(f"invalid operation at {where}: {first['msg']}", code=EXIT_BAD_INPUT)


async def _roadmaps(in_trash: bool) -> list[dict[str, Any]]:
    from learnpath.workspace.plan import standings

    async with _session() as (runtime, user):
        page = await runtime.store.list_roadmaps(user.id, limit=100, in_trash=in_trash)
        if in_trash:
            return [
                {"id": r.id, "title": r.title, "deleted_at": r.deleted_at.isoformat()}
                for r in page.items
                if r.deleted_at
            ]
        mine = await standings(runtime.store, page.items, user.id, today=dt.date.today())
        return [
            {
                "id": r.id,
                "title": r.title,
                "done": mine[r.id].done,
                "total": mine[r.id].total,
                "quiz_average": mine[r.id].quiz_average,
                "pace": mine[r.id].pace.status.value,
                "shared": r.shared_at is not None,
            }
            for r in page.items
        ]


async def _export(
    prefix: str, fmt: Any, output: Path | None, start: dt.datetime | None
) -> tuple[Path, str | None]:
    from learnpath.workspace.exports import export_roadmap, unfinished_note

    async with _session() as (runtime, user):
        store = runtime.store
        rid = await _roadmap_id(store, user.id, prefix)
        exported = await export_roadmap(
            store, rid, user.id, fmt, today=dt.date.today(), start=start.date() if start else None
        )
        path = output or runtime.settings.data_dir / "roadmaps" / exported.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(exported.data)
        return path, unfinished_note(await store.get_task(rid, user.id))


async def _schedule(prefix: str, start: dt.datetime | None) -> Any:
    from learnpath.workspace.plan import roadmap_schedule

    async with _session() as (runtime, user):
        rid = await _roadmap_id(runtime.store, user.id, prefix)
        roadmap = await runtime.store.get_roadmap(rid, user.id)
        return await roadmap_schedule(
            runtime.store,
            roadmap,
            user.id,
            today=dt.date.today(),
            start=start.date() if start else None,
        )


async def _map(prefix: str, output: Path | None) -> Path:
    from learnpath.workspace.exports import file_name, map_svg

    async with _session() as (runtime, user):
        rid = await _roadmap_id(runtime.store, user.id, prefix)
        roadmap = await runtime.store.get_roadmap(rid, user.id)
        svg = await map_svg(runtime.store, roadmap, user.id)
        path = output or runtime.settings.data_dir / "roadmaps" / file_name(
            roadmap.title, rid, "svg"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        return path


async def _edit(prefix: str, ops: list[Any], note: str, wait: bool) -> tuple[Any, str]:
    from learnpath.cli.generate import follow
    from learnpath.workspace.changes import change_roadmap

    async with _session(background=wait) as (runtime, user):
        rid = await _roadmap_id(runtime.store, user.id, prefix)
        before = (await runtime.store.get_task(rid, user.id)).last_event_seq
        outcome = await change_roadmap(runtime.store, rid, user.id, ops, note)
        if outcome.content_queued and wait:
            err.print(
                f"writing content for {', '.join(outcome.added)} "
                f"(model: {runtime.team.generated_by})"
            )
            await follow(runtime, outcome.task_id, user.id, interactive_review=False, after=before)
        task = await runtime.store.get_task(outcome.task_id, user.id)
        return outcome, task.status.value


async def _history(prefix: str) -> list[dict[str, Any]]:
    async with _session() as (runtime, user):
        rid = await _roadmap_id(runtime.store, user.id, prefix)
        return [
            {
                "edit_id": r.id,
                "source": r.source,
                "user_id": r.user_id,
                "operations": r.operations,
                "note": r.rationale,
                "created_at": r.created_at.isoformat(),
            }
            for r in await runtime.store.edit_history(rid, user.id)
        ]


async def _simple(prefix: str, action: str, title: str = "") -> str:
    async with _session() as (runtime, user):
        store = runtime.store
        rid = await _roadmap_id(store, user.id, prefix)
        if action == "rename":
            await store.rename_roadmap(rid, user.id, title)
            return f"{rid}: renamed to {title}"
        if action == "trash":
            await store.trash_roadmap(rid, user.id)
            return f"{rid}: in the trash (`learnpath restore {rid[:8]}` brings it back)"
        if action == "restore":
            await store.restore_roadmap(rid, user.id)
            return f"{rid}: restored"
        revoked = await store.revoke_share(rid, user.id)
        return f"{rid}: {'share link revoked' if revoked else 'was not shared'}"


async def _share(prefix: str, base_url: str | None) -> str:
    from learnpath.workspace.sharing import share

    async with _session() as (runtime, user):
        rid = await _roadmap_id(runtime.store, user.id, prefix)
        token, _ = await share(runtime.store, rid, user.id)
        settings = runtime.settings
        base = base_url or f"http://{settings.host}:{settings.port}"
        err.print("Anyone with this link can read the roadmap (not your progress). Shown once.")
        return f"{base.rstrip('/')}/shared/{token}"


async def _fork(token: str, hours: int) -> str:
    from learnpath.workspace.sharing import fork_shared

    async with _session() as (runtime, user):
        copied = await fork_shared(runtime.store, token, user.id, hours_per_week=hours)
        return copied.roadmap_id
