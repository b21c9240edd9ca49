"""Command definitions. Logic lives in the modules these commands call."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from learnpath.cli import accounts as account_commands
from learnpath.cli import workspace as workspace_commands
from learnpath.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_PARTIAL,
    fail,
    load_settings,
    out,
    quiet_third_party,
    run,
    setup_logging,
)
from learnpath.cli.learning import register as register_learning

# Heavy modules (store, workflow, models) are imported inside the commands, so that
# `learnpath --help` starts fast.

TASK_STATUSES = (
    "pending",
    "processing",
    "human_review_pending",
    "completed",
    "partial_failure",
    "failed",
    "canceled",
)

app = typer.Typer(
    name="learnpath",
    help="Personalised learning roadmaps from a multi-step LLM workflow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their submit limits.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


class Format(StrEnum):
    MD = "md"
    JSON = "json"


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    setup_logging(verbose)


@app.command()
def generate(
    goal: Annotated[
        str, typer.Argument(help='What you want to learn, e.g. "backend engineer in 6 months"')
    ],
    level: Annotated[str, typer.Option(help="beginner | intermediate | advanced")] = "beginner",
    hours_per_week: Annotated[
        int | None,
        typer.Option(
            "--hours",
            help="Hours per week (1-168) (default: from the goal, e.g. '8 h/week', else 8)",
            show_default=False,
        ),
    ] = None,
    weeks: Annotated[
        int | None,
        typer.Option(
            help="Weeks available (default: from the goal, e.g. 'in 6 months', else 12)",
            show_default=False,
        ),
    ] = None,
    deadline: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Finish by this date"),
    ] = None,
    background: Annotated[str, typer.Option(help="What you already know")] = "",
    language: Annotated[
        str, typer.Option(help="Output language: en, zh, es, fr, de, ja, pt")
    ] = "en",
    review: Annotated[
        bool,
        typer.Option(
            "--review/--no-review", help="Review the curriculum before content is written"
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output file format")] = Format.MD,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the roadmap")
    ] = None,
) -> None:
    """Generate a roadmap here and now (embedded), with live progress; prints the file's path.

    Exit codes: 0 completed, 1 failed, 2 bad input, 3 partial failure (file written),
    4 canceled, 5 waits for review, 6 a service is unavailable.
    """
    from learnpath.cli import generate as gen

    quiet_third_party()
    settings = load_settings()
    fields = {
        "goal": goal,
        "level": level,
        "hours_per_week": hours_per_week,
        "weeks": weeks,
        "deadline": deadline.date() if deadline else None,
        "background": background,
        "language": language,
        "review": review,
    }
    request = gen.parse_request(**{k: v for k, v in fields.items() if v is not None})
    path, partial = run(
        gen.generate(settings, request, fmt=fmt.value, output=output, interactive_review=review)
    )
    out.print(str(path), highlight=False)
    if partial:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default LEARNPATH_HOST)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default LEARNPATH_PORT)")] = None,
    executor: Annotated[str | None, typer.Option(help="local | celery")] = None,
) -> None:
    """Run the HTTP API and web UI (with the embedded executor unless --executor celery)."""
    from learnpath.api.app import serve as serve_app

    quiet_third_party()

    settings = load_settings(host=host, port=port, executor=executor)
    serve_app(settings, settings.host, settings.port)


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Workflows run at once by this process")
    ] = None,
) -> None:
    """Run a Celery worker process (distributed mode)."""
    from learnpath.dispatch.celery_app import run_worker

    quiet_third_party()

    run_worker(load_settings(), concurrency)


@app.command()
def relay() -> None:
    """Publish committed jobs to the Celery broker (distributed mode)."""
    from learnpath.dispatch.relay import run_relay

    run_relay(load_settings())


@app.command()
def doctor(
    fix: Annotated[
        bool, typer.Option("--fix", help="Run the reconciler (and the relay) once")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Diagnose the database, the queue and (in Celery mode) the broker and workers."""
    from learnpath.cli import operations as ops

    report = run(ops.doctor(load_settings(), fix=fix))
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        ops.render_doctor(report)
    raise typer.Exit(0 if report.healthy else 1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    from learnpath.cli import operations as ops

    revision = run(ops.db_upgrade(load_settings()))
    out.print(f"database at revision {revision}")


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="A unique user name")],
    admin: Annotated[bool, typer.Option("--admin", help="May read diagnostics")] = False,
) -> None:
    """Create a user; prints the API token as the only line on stdout (shown once)."""
    from learnpath.cli import operations as ops
    from learnpath.store.users import InvalidUserName, check_user_name

    try:
        check_user_name(name)
    except InvalidUserName as exc:
        fail(str(exc), code=EXIT_BAD_INPUT)
    token = run(ops.create_user(load_settings(), name, admin=admin))
    print(token)


@app.command()
def tasks(
    status: Annotated[
        str | None,
        typer.Option(help=f"Only tasks with this status: {', '.join(TASK_STATUSES)}"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most recent tasks shown")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the tasks as JSON")] = False,
) -> None:
    """List recent tasks (all users)."""
    if status is not None and status not in TASK_STATUSES:
        fail(
            f"unknown status {status!r}; valid statuses: {', '.join(TASK_STATUSES)}",
            code=EXIT_BAD_INPUT,
        )
    from learnpath.cli import operations as ops

    items = run(ops.list_tasks(load_settings(), status=status, limit=limit))
    if as_json:
        out.print_json(json.dumps([ops.task_dict(task) for task in items]))
    else:
        ops.render_tasks(items)


@app.command()
def show(
    task_id: Annotated[str, typer.Argument(help="Task id or a unique prefix of it")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the task as JSON")] = False,
) -> None:
    """Show one task: status, step, progress, error and its event log."""
    from learnpath.cli import operations as ops

    task, events = run(ops.show_task(load_settings(), task_id))
    if as_json:
        document = {**ops.task_dict(task), "events": [ops.event_dict(e) for e in events]}
        out.print_json(json.dumps(document))
    else:
        ops.render_task(task, events)


@app.command()
def approve(task_id: Annotated[str, typer.Argument(help="Task waiting for review")]) -> None:
    """Approve a roadmap waiting for review."""
    from learnpath.cli import operations as ops

    run(ops.review(load_settings(), task_id, approve=True, feedback=None))
    out.print(f"approved {task_id}")


@app.command()
def reject(
    task_id: Annotated[str, typer.Argument(help="Task waiting for review")],
    feedback: Annotated[str, typer.Option("--feedback", "-f", help="What to change")],
) -> None:
    """Reject a roadmap waiting for review, with feedback for the editor."""
    from learnpath.cli import operations as ops

    run(ops.review(load_settings(), task_id, approve=False, feedback=feedback))
    out.print(f"rejected {task_id}; it will be edited and come back for review")


@app.command()
def cancel(task_id: Annotated[str, typer.Argument(help="Task id")]) -> None:
    """Cancel a task (at once when queued or waiting; between steps when running)."""
    from learnpath.cli import operations as ops

    status = run(ops.cancel(load_settings(), task_id))
    out.print(f"{task_id}: {status}")


@app.command()
def retry(task_id: Annotated[str, typer.Argument(help="Failed or partially failed task")]) -> None:
    """Retry a failed task from its failed step, or only its failed content."""
    from learnpath.cli import operations as ops

    run(ops.retry(load_settings(), task_id))
    out.print(f"{task_id}: queued again")


account_commands.register(user_app, token_app)  # user list|quota, token create|list|revoke
workspace_commands.register(app)  # roadmaps, export, schedule, map, edit, history, share…
register_learning(app)  # ask, review, notes, calendar

__all__ = ["app", "fail"]
