"""The schema, as SQLAlchemy Core tables. Alembic migrations are generated from this."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[str]:
    return Column("id", String(36), primary_key=True)


def _created() -> Column[dt.datetime]:
    return Column("created_at", UTCDateTime(), nullable=False)


def _task_fk(*, primary: bool = False) -> Column[str]:
    return Column(
        "task_id",
        String(36),
        ForeignKey("tasks.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary,
    )


users = Table(
    "users",
    metadata,
    _id(),
    Column("name", String(100), nullable=False, unique=True),
    # Retired by 0008: tokens live in ``api_tokens``. It holds the hash of a random value, no
    # credential; SQLite cannot drop a UNIQUE column without rebuilding ``users``, and that
    # rebuild would cascade-delete every user's tasks and roadmaps.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    _created(),
    # Per-user submit limits; null: the settings' defaults.
    Column("max_active_tasks", Integer),
    Column("submits_per_minute", Integer),
    # The start tag of the user's newest job (see ``learnpath.store.fairness``).
    Column("fair_rank", Integer, nullable=False, server_default=text("0")),
)

# A user's API tokens (several per user): only the SHA-256 of each is stored. A token is
# usable while it is neither revoked nor past ``expires_at``.
api_tokens = Table(
    "api_tokens",
    metadata,
    _id(),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    _created(),
    Column("expires_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Index("ix_api_tokens_user", "user_id", "created_at"),
)

# Web sign-ins: the cookie holds a random session id, the table only its SHA-256. A session
# ends at ``expires_at``, on logout, or when the token it was made from is revoked or expires.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_id", String(36), ForeignKey("api_tokens.id", ondelete="CASCADE"), nullable=False),
    _created(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_web_sessions_token", "token_id"),
)

# Submits refused by a quota, counted per user and limit (``active_tasks``,
# ``submits_per_minute``): what ``/metrics`` and ``doctor`` report, from every process.
quota_refusals = Table(
    "quota_refusals",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("limit_name", String(32), primary_key=True),
    Column("refusals", Integer, nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    _id(),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(32), nullable=False),
    Column("current_step", String(32), nullable=False),
    Column("request", JSON, nullable=False),
    Column("goal", String(2000), nullable=False),
    Column("review", Boolean, nullable=False),
    Column("idempotency_key", String(200)),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("edit_rounds", Integer, nullable=False, default=0),
    Column("review_round", Integer, nullable=False, default=0),
    Column("event_seq", Integer, nullable=False, default=0),
    Column("error_step", String(32)),
    Column("error_code", String(64)),
    Column("error_message", Text),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    UniqueConstraint("user_id", "idempotency_key"),
    Index("ix_tasks_user_created", "user_id", "created_at", "id"),
    Index("ix_tasks_status", "status"),
    Index("ix_tasks_user_status", "user_id", "status"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _task_fk(),
    Column("state", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_owner", String(200)),
    Column("lease_token", String(36)),
    Column("lease_expires_at", UTCDateTime()),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime()),
    Column("claimed_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("last_error", Text),
    # Crash budget: progress_seq is bumped with every committed step or content item;
    # claimed_progress is its value at the last claim; a lease that expires with no
    # progress since then adds to crash_streak, and crash_point says where it died.
    Column("progress_seq", Integer, nullable=False, server_default=text("0")),
    Column("claimed_progress", Integer, nullable=False, server_default=text("0")),
    Column("recoveries", Integer, nullable=False, server_default=text("0")),
    Column("crash_streak", Integer, nullable=False, server_default=text("0")),
    Column("crash_point", Text),
    # Start tag: runnable jobs are claimed by (fair_rank, id), fair across users.
    Column("fair_rank", Integer, nullable=False, server_default=text("0")),
    _created(),
    # The claim query only ever scans runnable jobs, in claim order: keep that scan small
    # as the table grows.
    Index(
        "ix_jobs_runnable",
        "fair_rank",
        "id",
        postgresql_where=text("state = 'queued'"),
        sqlite_where=text("state = 'queued'"),
    ),
    # The largest rank ever given, the fair order's clock when nothing is queued.
    Index("ix_jobs_fair_rank", "fair_rank"),
    Index(
        "ix_jobs_running_lease",
        "lease_expires_at",
        postgresql_where=text("state = 'running'"),
        sqlite_where=text("state = 'running'"),
    ),
    # At most one live job per task: a double resume cannot queue a second one.
    Index(
        "uq_jobs_live_task",
        "task_id",
        unique=True,
        postgresql_where=text("state IN ('queued', 'running')"),
        sqlite_where=text("state IN ('queued', 'running')"),
    ),
)

task_events = Table(
    "task_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _task_fk(),
    Column("seq", Integer, nullable=False),
    Column("type", String(48), nullable=False),
    Column("data", JSON, nullable=False),
    _created(),
    UniqueConstraint("task_id", "seq"),
)

intent_analyses = Table(
    "intent_analyses",
    metadata,
    _task_fk(primary=True),
    Column("data", JSON, nullable=False),
    _created(),
)

roadmaps = Table(
    "roadmaps",
    metadata,
    _id(),
    Column(
        "task_id",
        String(36),
        ForeignKey("tasks.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("framework", JSON, nullable=False),
    Column("generated_by", String(200), nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The learner's workspace: in the trash since, and a share link (only its hash is kept).
    Column("deleted_at", UTCDateTime()),
    Column("share_token_hash", String(64), unique=True),
    Column("shared_at", UTCDateTime()),
    Index("ix_roadmaps_user_created", "user_id", "created_at", "id"),
)

validation_records = Table(
    "validation_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _task_fk(),
    Column("round", Integer, nullable=False),
    Column("valid", Boolean, nullable=False),
    Column("score", Float, nullable=False),
    Column("issues", JSON, nullable=False),
    _created(),
)

edit_records = Table(
    "edit_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _task_fk(),
    Column("round", Integer, nullable=False),
    Column("source", String(16), nullable=False),
    Column("operations", JSON, nullable=False),
    Column("rationale", Text, nullable=False, default=""),
    Column("user_id", String(36)),  # who made the change (a reviewer or the learner)
    _created(),
)

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _task_fk(),
    Column("round", Integer, nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("feedback", Text),
    Column("edits", JSON),
    _created(),
    UniqueConstraint("task_id", "round"),
)

concept_content = Table(
    "concept_content",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("roadmap_id", String(36), ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("concept_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("body", JSON),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("instructions", Text),
    Column("generated_by", String(200)),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("roadmap_id", "concept_id", "kind", "version"),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _task_fk(),
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("step", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("model_requests", Integer, nullable=False, default=0),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Index("ix_step_runs_task", "task_id", "id"),
)

# Every HTTP attempt a step run made to a model, counted per agent and outcome (answered,
# retried_429, timed_out, invalid_output…). An agent's tokens are carried by one of its rows.
model_usage = Table(
    "model_usage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("step_run_id", Integer, ForeignKey("step_runs.id", ondelete="CASCADE"), nullable=False),
    _task_fk(),
    Column("agent", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Index("ix_model_usage_task", "task_id", "step_run_id"),
)

learner_progress = Table(
    "learner_progress",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("roadmap_id", String(36), ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("concept_id", String(64), nullable=False),
    Column("done", Boolean, nullable=False, default=False),
    Column("quiz_answers", JSON),
    Column("quiz_score", Float),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "roadmap_id", "concept_id"),
)

# --- learning with a roadmap (tutor, notes, reviews, reminders): per user, private ---------


def _user_fk() -> Column[str]:
    return Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _roadmap_fk() -> Column[str]:
    return Column(
        "roadmap_id", String(36), ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False
    )


# A learner's conversation with the tutor about one concept: questions and answers in order.
# An answer is written as it streams (``status`` streaming → completed | failed | interrupted);
# ``sources`` are the numbered sources it was grounded in, ``citations`` the numbers it cited.
tutor_messages = Table(
    "tutor_messages",
    metadata,
    _id(),
    _user_fk(),
    _roadmap_fk(),
    Column("concept_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("sources", JSON),
    Column("citations", JSON),
    Column("generated_by", String(200)),
    Column("error_code", String(64)),
    Column("error_message", Text),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "roadmap_id", "concept_id", "seq"),
    Index("ix_tutor_messages_user_created", "user_id", "created_at"),
)

concept_notes = Table(
    "concept_notes",
    metadata,
    _id(),
    _user_fk(),
    _roadmap_fk(),
    Column("concept_id", String(64), nullable=False),
    Column("markdown", Text, nullable=False),
    Column("source_message_id", String(36)),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_concept_notes_owner", "user_id", "roadmap_id", "concept_id"),
)

# One card per quiz question (of one quiz version) per learner. ``state``: new (not yet met),
# scheduled (FSRS state in ``fsrs``, next review at ``due``), retired (its quiz was replaced).
review_cards = Table(
    "review_cards",
    metadata,
    _id(),
    _user_fk(),
    _roadmap_fk(),
    Column("concept_id", String(64), nullable=False),
    Column("quiz_version", Integer, nullable=False),
    Column("question_index", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("fsrs", JSON),
    Column("due", UTCDateTime()),
    Column("last_review", UTCDateTime()),
    Column("reps", Integer, nullable=False, default=0),
    Column("lapses", Integer, nullable=False, default=0),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "roadmap_id", "concept_id", "quiz_version", "question_index"),
    Index("ix_review_cards_due", "user_id", "state", "due"),
)

review_logs = Table(
    "review_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "card_id", String(36), ForeignKey("review_cards.id", ondelete="CASCADE"), nullable=False
    ),
    _user_fk(),
    Column("rating", String(8), nullable=False),
    Column("chosen", Integer),
    Column("correct", Boolean),
    Column("reviewed_at", UTCDateTime(), nullable=False),
    Column("due_before", UTCDateTime()),
    Column("due_after", UTCDateTime(), nullable=False),
    Index("ix_review_logs_card", "card_id", "id"),
)

# A learner's reminder settings: the time zone days are counted in and the calendar feed's
# secret (only its SHA-256 hash; no row or a null hash: no feed).
learner_calendars = Table(
    "learner_calendars",
    metadata,
    Column(
        "user_id",
        String(36),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("timezone", String(64), nullable=False),
    Column("feed_token_hash", String(64), unique=True),
    Column("feed_created_at", UTCDateTime()),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
)
