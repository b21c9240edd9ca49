"""Database engines: one code path for SQLite (embedded) and PostgreSQL (distributed).

SQLite has one writer at a time, so writes go through a dedicated single-connection
engine whose transactions start with ``BEGIN IMMEDIATE`` (the write lock is taken up
front, never upgraded mid-transaction, which is what makes claims race-free across
processes). Reads use a second engine and, in WAL mode, never block the writer.
On PostgreSQL both roles share one pooled engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Engines:
    writer: AsyncEngine
    reader: AsyncEngine
    url: str

    @property
    def is_postgres(self) -> bool:
        return self.writer.dialect.name == "postgresql"

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def make_engines(url: str, *, pool_size: int = 10) -> Engines:
    """Build the engines for ``url`` (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("learnpath needs a SQLite file, not an in-memory database")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=600)
        reader = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
        _configure_sqlite(writer, immediate=True)
        _configure_sqlite(reader, immediate=False)
        return Engines(writer=writer, reader=reader, url=url)
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_timeout=120
    )
    return Engines(writer=engine, reader=engine, url=url)


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
