"""Accounts on the command line (the operator's view of the database, no token needed):
users, their API tokens and their submit limits.

``register(user_app, token_app)`` adds ``user list``, ``user quota`` and ``token
create|list|revoke``. Secrets are printed once, as the only stdout line of the command that
made them; listings never show them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from learnpath.cli.common import EXIT_BAD_INPUT, fail, load_settings, out, run

if TYPE_CHECKING:  # the store loads SQLAlchemy, which a command imports only when it runs
    from learnpath.store.records import TokenRecord, UserRecord

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def token_dict(token: TokenRecord, now: dt.datetime) -> dict[str, Any]:
    """A token as the CLI and the API show it: never its secret."""

    def when(moment: dt.datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": token.id,
        "name": token.name,
        "user": token.user_name,
        "state": token.state(now),
        "created_at": when(token.created_at),
        "last_used_at": when(token.last_used_at),
        "expires_at": when(token.expires_at),
        "revoked_at": when(token.revoked_at),
    }


def user_dict(user: UserRecord) -> dict[str, Any]:
    return {
        "name": user.name,
        "admin": user.is_admin,
        "created_at": user.created_at.isoformat(),
        "max_active_tasks": user.max_active_tasks,
        "submits_per_minute": user.submits_per_minute,
    }


def _short(moment: str | None) -> str:
    return moment[:16].replace("T", " ") if moment else "-"


async def _list_users() -> list[UserRecord]:
    from learnpath.cli.operations import operator_store

    async with operator_store(load_settings()) as store:
        return await store.list_users()


async def _create_token(user: str, name: str, expires_days: float | None) -> str:
    from learnpath.cli.operations import operator_store

    async with operator_store(load_settings()) as store:
        _, secret = await store.create_token(user, name=name, expires_days=expires_days)
        return secret


async def _list_tokens(user: str | None) -> list[dict[str, Any]]:
    from learnpath.cli.operations import operator_store

    async with operator_store(load_settings()) as store:
        now = store.clock()
        return [token_dict(t, now) for t in await store.list_tokens(user_name=user)]


async def _revoke_token(token_or_id: str) -> dict[str, Any]:
    from learnpath.cli.operations import operator_store

    async with operator_store(load_settings()) as store:
        return token_dict(await store.revoke_token(token_or_id), store.clock())


async def _set_quota(user: str, max_active: int | None, per_minute: int | None) -> UserRecord:
    from learnpath.cli.operations import operator_store

    async with operator_store(load_settings()) as store:
        return await store.set_user_quota(
            user, max_active_tasks=max_active, submits_per_minute=per_minute
        )


def register(user_app: typer.Typer, token_app: typer.Typer) -> None:
    @user_app.command("list")
    def user_list(as_json: JsonOpt = False) -> None:
        """List users: name, administrator, created, own submit limits."""
        users = [user_dict(u) for u in run(_list_users())]
        if as_json:
            out.print_json(json.dumps(users))
            return
        table = Table("user", "admin", "created", "max active", "per minute")
        for user in users:
            table.add_row(
                user["name"],
                "yes" if user["admin"] else "",
                _short(user["created_at"]),
                str(user["max_active_tasks"] or "default"),
                str(user["submits_per_minute"] or "default"),
            )
        out.print(table)

    @user_app.command("quota")
    def user_quota(
        user: Annotated[str, typer.Argument(help="User name")],
        max_active: Annotated[
            int | None,
            typer.Option(min=1, help="Unfinished tasks the user may have at once"),
        ] = None,
        per_minute: Annotated[
            int | None, typer.Option(min=1, help="Submits the user may make per minute")
        ] = None,
        default: Annotated[
            bool,
            typer.Option("--default", help="Return both limits to the settings' defaults"),
        ] = False,
    ) -> None:
        """Set a user's own submit limits (the LEARNPATH_USER_* settings are the defaults)."""
        if default and (max_active is not None or per_minute is not None):
            fail("--default cannot be combined with --max-active or --per-minute", EXIT_BAD_INPUT)
        if not default and max_active is None and per_minute is None:
            fail(
                "give --max-active N, --per-minute N, or --default\n"
                "hint: `learnpath user list` shows each user's limits",
                EXIT_BAD_INPUT,
            )
        current = next((u for u in run(_list_users()) if u.name == user), None)
        if current is None:
            fail(f"no user named {user!r}\nhint: `learnpath user list` lists them")
        if not default:
            max_active = max_active if max_active is not None else current.max_active_tasks
            per_minute = per_minute if per_minute is not None else current.submits_per_minute
        updated = run(_set_quota(user, max_active, per_minute))
        out.print(
            f"{updated.name}: max active tasks {updated.max_active_tasks or 'default'}, "
            f"submits per minute {updated.submits_per_minute or 'default'}"
        )

    @token_app.command("create")
    def token_create(
        user: Annotated[str, typer.Argument(help="The user the token acts as")],
        name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
        expires_days: Annotated[
            float | None,
            typer.Option(min=0.001, help="Days until it expires (default: never)"),
        ] = None,
    ) -> None:
        """Create a token; prints it as the only line on stdout (shown once, never stored)."""
        if not name.strip() or len(name) > 100 or not name.isprintable():
            fail("a token name has 1 to 100 printable characters", EXIT_BAD_INPUT)
        print(run(_create_token(user, name.strip(), expires_days)))

    @token_app.command("list")
    def token_list(
        user: Annotated[str | None, typer.Argument(help="Only this user's tokens")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List tokens (never their secrets): id, name, user, created, last used, expiry, state."""
        tokens = run(_list_tokens(user))
        if as_json:
            out.print_json(json.dumps(tokens))
            return
        table = Table("id", "name", "user", "created", "last used", "expires", "state")
        for token in tokens:
            state = token["state"]
            if token["revoked_at"]:
                state = f"revoked {_short(token['revoked_at'])}"
            table.add_row(
                token["id"],
                token["name"],
                token["user"],
                _short(token["created_at"]),
                _short(token["last_used_at"]),
                _short(token["expires_at"]),
                state,
            )
        out.print(table)

    @token_app.command("revoke")
    def token_revoke(
        token_or_id: Annotated[str, typer.Argument(help="The token itself, or its id")],
    ) -> None:
        """Revoke a token at once; the web sessions signed in with it end too."""
        token = run(_revoke_token(token_or_id))
        out.print(f"revoked token {token['id']} ({token['name']}) of {token['user']}")
