"""Administrator routes: queue diagnostics, users, their tokens and their submit limits."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Path, Query

from learnpath.api.account_schemas import QuotaIn, TokenCreated, TokenIn, TokenOut, UserOut
from learnpath.api.deps import AdminUser, RuntimeDep, StoreDep
from learnpath.api.openapi import problem_responses
from learnpath.api.schemas import DiagnosticsOut
from learnpath.settings import Executor

router = APIRouter(tags=["admin"])

UserName = Annotated[
    str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$", description="User name")
]
TokenId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="Token id")
]
ADMIN = (401, 403, 404, 422)


@router.get(
    "/admin/diagnostics",
    response_model=DiagnosticsOut,
    responses=problem_responses(401, 403),
)
async def diagnostics(_: AdminUser, runtime: RuntimeDep) -> DiagnosticsOut:
    """What ``learnpath doctor`` shows: tasks, jobs, leases, failures, usage (and the
    broker and workers in Celery mode)."""
    report = await runtime.store.queue_report(
        publish_deadline_s=runtime.settings.publish_deadline_seconds
    )
    cluster = None
    if runtime.settings.executor is Executor.CELERY:
        from learnpath.dispatch.cluster import cluster_report

        cluster = (await cluster_report(runtime.store, runtime.settings)).as_dict()
    return DiagnosticsOut.model_validate({**dataclasses.asdict(report), "cluster": cluster})


@router.get("/admin/users", response_model=list[UserOut], responses=problem_responses(401, 403))
async def list_users(_: AdminUser, store: StoreDep) -> list[UserOut]:
    """Every user, with their own submit limits (``learnpath user list``)."""
    return [UserOut.of(user) for user in await store.list_users()]


@router.put(
    "/admin/users/{name}/quota", response_model=UserOut, responses=problem_responses(*ADMIN)
)
async def set_quota(name: UserName, body: QuotaIn, _: AdminUser, store: StoreDep) -> UserOut:
    """Set a user's own submit limits (``learnpath user quota``); null uses the default."""
    user = await store.set_user_quota(
        name,
        max_active_tasks=body.max_active_tasks,
        submits_per_minute=body.submits_per_minute,
    )
    return UserOut.of(user)


@router.post(
    "/admin/users/{name}/tokens",
    status_code=201,
    response_model=TokenCreated,
    responses=problem_responses(*ADMIN),
)
async def create_token(
    name: UserName, body: TokenIn, _: AdminUser, store: StoreDep
) -> TokenCreated:
    """A new token for the user (``learnpath token create``); its secret is in this
    response only."""
    token, secret = await store.create_token(name, name=body.name, expires_days=body.expires_days)
    return TokenCreated(**TokenOut.of(token, store.clock()).model_dump(), token=secret)


@router.get("/admin/tokens", response_model=list[TokenOut], responses=problem_responses(*ADMIN))
async def list_tokens(
    _: AdminUser,
    store: StoreDep,
    user: Annotated[str | None, Query(max_length=100, description="Only this user's")] = None,
) -> list[TokenOut]:
    """Every token, or one user's (``learnpath token list``); never a secret."""
    now = store.clock()
    return [TokenOut.of(t, now) for t in await store.list_tokens(user_name=user)]


@router.post(
    "/admin/tokens/{token_id}/revoke", response_model=TokenOut, responses=problem_responses(*ADMIN)
)
async def revoke_token(token_id: TokenId, _: AdminUser, store: StoreDep) -> TokenOut:
    """Revoke any user's token (``learnpath token revoke``); its web sessions end too."""
    return TokenOut.of(await store.revoke_token(token_id), store.clock())
