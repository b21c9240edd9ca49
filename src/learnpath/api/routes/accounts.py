"""The caller's own tokens: list them, revoke one (another user's token is a 404)."""

from __future__ import annotations

from fastapi import APIRouter

from learnpath.api.account_schemas import TokenOut
from learnpath.api.deps import CurrentUser, StoreDep
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.api.routes.admin import TokenId

router = APIRouter(tags=["tokens"])


@router.get("/tokens", response_model=list[TokenOut], responses=problem_responses(*AUTHED))
async def my_tokens(user: CurrentUser, store: StoreDep) -> list[TokenOut]:
    """The caller's tokens, oldest first; never a secret."""
    now = store.clock()
    return [TokenOut.of(t, now) for t in await store.list_tokens(user_id=user.id)]


@router.post(
    "/tokens/{token_id}/revoke", response_model=TokenOut, responses=problem_responses(*AUTHED)
)
async def revoke_my_token(token_id: TokenId, user: CurrentUser, store: StoreDep) -> TokenOut:
    """Revoke one of the caller's tokens (e.g. a leaked one); its web sessions end too."""
    return TokenOut.of(await store.revoke_token(token_id, user_id=user.id), store.clock())
