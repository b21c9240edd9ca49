"""The dependencies every route uses, as ``Annotated`` aliases.

Identity comes only from the bearer token (``identity.resolve_user``), never from a body.
Every dependency is ``async def``, even those that do not await: FastAPI runs a plain
``def`` dependency in a worker thread, a thread hop per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from learnpath.api.errors import ApiError
from learnpath.identity import TokenRefused, resolve_user
from learnpath.runtime import Runtime
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.store.records import UserRecord

bearer = HTTPBearer(
    auto_error=False,
    description=(
        "A token from `learnpath user create NAME` or `learnpath token create NAME`, "
        "sent as `Authorization: Bearer …`"
    ),
)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_store(runtime: RuntimeDep) -> Store:
    return runtime.store


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def current_user(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> UserRecord:
    """The caller, from the bearer token; 401 when it is missing, unknown, revoked
    (``token_revoked``) or expired (``token_expired``)."""
    token = credentials.credentials if credentials is not None else None
    try:
        return await resolve_user(runtime.store, runtime.settings, token)
    except TokenRefused as exc:
        raise ApiError(401, exc.code, exc.message, headers={"WWW-Authenticate": "Bearer"}) from exc


CurrentUser = Annotated[UserRecord, Depends(current_user)]


async def admin_user(user: CurrentUser) -> UserRecord:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "this operation needs an administrator's token")
    return user


AdminUser = Annotated[UserRecord, Depends(admin_user)]

_ID = r"^[A-Za-z0-9_.:-]+$"
TaskId = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID, description="Task id")]
RoadmapId = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID, description="Roadmap id")]
ConceptId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$", description="Concept id")
]
