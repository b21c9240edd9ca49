"""Schema migrations: ``learnpath db upgrade`` and the embedded mode's self-upgrade."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema (idempotent)."""
    await _migrate(engine, "head", command.upgrade)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the database back to ``revision``; the tables added after it are dropped."""
    await _migrate(engine, revision, command.downgrade)


async def _migrate(engine: AsyncEngine, target: str, step: Callable[[Config, str], None]) -> None:
    def _run(sync_conn: Connection) -> None:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = sync_conn
        step(config, target)

    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old copy; with foreign keys
            # enforced, that drop would cascade to every child row. The pragma is ignored
            # inside a transaction, so it is set before the migration's transaction begins.
            await conn.run_sync(_sqlite_foreign_keys, False)
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    # Several processes may start at once: one migrates, the others wait for it.
                    await conn.execute(text("SELECT pg_advisory_xact_lock(7461726)"))
                await conn.run_sync(_run)
                if sqlite:
                    broken = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
                    if broken:
                        raise RuntimeError(
                            f"migrating to {target} would leave {len(broken)} rows pointing at "
                            f"missing rows (first: {tuple(broken[0])}); nothing was changed"
                        )
        finally:
            if sqlite:
                await conn.run_sync(_sqlite_foreign_keys, True)


def _sqlite_foreign_keys(sync_conn: Connection, enforced: bool) -> None:
    # On the driver's connection directly: a statement through SQLAlchemy would begin a transaction.
    cursor = sync_conn.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
    cursor.close()
