"""The submit path learnpath replaced, rebuilt for comparison (not for use).

FastAPI with a SQLAlchemy session opened per request: look up the bearer token's user,
insert the task row, commit, then ``.delay()`` to Celery on Redis from the request
(no job row, no event, no quota, no relay). Same database server, schema and broker as
learnpath's run, so only the submit path differs.

Run by ``bench/intake.py --baseline`` as ``python bench/baseline_intake.py PORT``;
configuration comes from the same ``LEARNPATH_*`` variables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import uuid
from typing import Annotated, Any

import uvicorn
from celery import Celery
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from learnpath.store.tables import api_tokens, tasks

engine = create_async_engine(os.environ["LEARNPATH_DATABASE_URL"], pool_size=10)
sessions = async_sessionmaker(engine, expire_on_commit=False)
broker = Celery("baseline-intake", broker=os.environ["LEARNPATH_BROKER_URL"])
broker.conf.update(task_ignore_result=True, result_backend=None)
app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/roadmaps/generate", status_code=202)
async def generate(
    body: dict[str, Any], authorization: Annotated[str, Header()] = ""
) -> dict[str, str]:
    digest = hashlib.sha256(authorization.removeprefix("Bearer ").encode()).hexdigest()
    task_id = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        user_id = await session.scalar(
            select(api_tokens.c.user_id).where(api_tokens.c.token_hash == digest)
        )
        if user_id is None:
            raise HTTPException(401)
        await session.execute(
            tasks.insert().values(
                id=task_id,
                user_id=user_id,
                status="pending",
                current_step="queued",
                request=body,
                goal=body["goal"],
                review=False,
                cancel_requested=False,
                edit_rounds=0,
                review_round=0,
                event_seq=0,
                created_at=now,
                updated_at=now,
            )
        )
        await session.commit()
    broker.send_task("baseline.run_roadmap", args=[task_id], queue="baseline-intake")
    return {"task_id": task_id, "status": "pending"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
