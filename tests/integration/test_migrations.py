"""The migrations form one chain whose head is the schema the code declares, on both backends,
and each recent step goes down and up again without leaving its tables or columns behind."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from learnpath.store import Store
from learnpath.store.engine import make_engines
from learnpath.store.migrate import alembic_config
from learnpath.store.tables import metadata

ACCOUNT_TABLES = {"api_tokens", "web_sessions", "quota_refusals"}
LEARNING_TABLES = {
    "learner_calendars",
    "tutor_messages",
    "concept_notes",
    "review_cards",
    "review_logs",
}


def test_the_migrations_have_one_head_after_the_fair_claims() -> None:
    scripts = ScriptDirectory.from_config(alembic_config(""))
    assert scripts.get_heads() == ["0009"]
    chain = [s.revision for s in scripts.walk_revisions("base", "heads")]
    assert chain == ["0009", "0008", "0007", "0006", "0003", "0002", "0001"]


def _migrate(url: str, target: str, down: bool = False) -> Callable[[Any], None]:
    def run(sync_conn: Any) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = sync_conn
        (command.downgrade if down else command.upgrade)(config, target)

    return run


def _schema(sync_conn: Any) -> tuple[set[str], set[str], list[Any]]:
    inspector = inspect(sync_conn)
    tables = set(inspector.get_table_names())
    roadmap_columns = {c["name"] for c in inspector.get_columns("roadmaps")}
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return tables, roadmap_columns, compare_metadata(context, metadata)


async def test_upgrade_down_and_up_again_matches_the_declared_schema(database_url: str) -> None:
    engine = make_engines(database_url, pool_size=1).writer
    url = str(engine.url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate(url, "head"))
            tables, columns, differences = await conn.run_sync(_schema)
        assert tables >= LEARNING_TABLES
        assert {"deleted_at", "share_token_hash", "shared_at"} <= columns
        assert differences == []

        async with engine.begin() as conn:
            await conn.run_sync(_migrate(url, "0007", down=True))
            tables, columns, differences = await conn.run_sync(_schema)
        assert not ACCOUNT_TABLES & tables
        assert {d[1].name for d in differences if d[0] == "add_table"} == ACCOUNT_TABLES

        async with engine.begin() as conn:
            await conn.run_sync(_migrate(url, "0006", down=True))
            tables, columns, differences = await conn.run_sync(_schema)
        assert not LEARNING_TABLES & tables
        missing = {d[1].name for d in differences if d[0] == "add_table"}
        assert missing == LEARNING_TABLES | ACCOUNT_TABLES
        assert "share_token_hash" in columns

        async with engine.begin() as conn:
            await conn.run_sync(_migrate(url, "0003", down=True))
            tables, columns, _ = await conn.run_sync(_schema)
        assert "share_token_hash" not in columns

        async with engine.begin() as conn:
            await conn.run_sync(_migrate(url, "head"))
            tables, columns, differences = await conn.run_sync(_schema)
        assert tables >= LEARNING_TABLES
        assert differences == []
    finally:
        await engine.dispose()


async def test_a_users_single_token_keeps_working_across_0008_and_back(database_url: str) -> None:
    """0008 moves each user's token into ``api_tokens`` without touching their data (no
    rebuild of ``users``, whose rebuild would cascade on SQLite); going down gives it back."""
    engines = make_engines(database_url, pool_size=1)
    url = str(engines.writer.url)
    secret = "lp_" + "x" * 43
    digest = hashlib.sha256(secret.encode()).hexdigest()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    try:
        async with engines.writer.begin() as conn:
            await conn.run_sync(_migrate(url, "0007"))
            await conn.execute(
                text(
                    "INSERT INTO users (id, name, token_hash, is_admin, created_at) "
                    "VALUES ('u1', 'alice', :hash, false, :now)"
                ),
                {"hash": digest, "now": now.replace(tzinfo=None)},
            )
            await conn.execute(
                text(
                    "INSERT INTO tasks (id, user_id, status, current_step, request, goal, review,"
                    " cancel_requested, edit_rounds, review_round, event_seq, created_at,"
                    " updated_at) VALUES ('t1', 'u1', 'completed', 'done', '{}', 'Learn SQL',"
                    " false, false, 0, 0, 0, :now, :now)"
                ),
                {"now": now.replace(tzinfo=None)},
            )
            await conn.run_sync(_migrate(url, "head"))
        store = Store(engines)
        auth = await store.authenticate(secret)
        assert auth.user.name == "alice"
        [token] = await store.list_tokens(user_name="alice")
        assert (token.name, token.state(now)) == ("default", "active")
        async with engines.reader.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM tasks"))).scalar_one() == 1
            retired = (await conn.execute(text("SELECT token_hash FROM users"))).scalar_one()
        assert retired != digest

        async with engines.writer.begin() as conn:
            await conn.run_sync(_migrate(url, "0007", down=True))
            restored = (await conn.execute(text("SELECT token_hash FROM users"))).scalar_one()
            tasks = (await conn.execute(text("SELECT count(*) FROM tasks"))).scalar_one()
        assert (restored, tasks) == (digest, 1)
    finally:
        await engines.dispose()
