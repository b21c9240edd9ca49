"""The learner's workspace in the browser: my roadmaps, trash, downloads, the edit form and
its history, share links, the shared page and forks.

Each form checks the CSRF token, calls one workspace or store function, then redirects;
the shared page needs no sign-in and shows the roadmap without its owner's data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter, ValidationError

from learnpath.domain.roadmap import EditOp
from learnpath.store import Store
from learnpath.store.records import RoadmapRecord
from learnpath.web.editing import edit_context, operation_from_form
from learnpath.web.i18n import translate, ui_language
from learnpath.web.rendering import PageRoute, redirect, render
from learnpath.web.session import (
    LoginRequired,
    PageError,
    Visitor,
    VisitorDep,
    checked_form,
    current_visitor,
    runtime_of,
)
from learnpath.web.views import issue_views
from learnpath.workspace.changes import EditsRefused, change_roadmap
from learnpath.workspace.exports import ExportFormat, export_roadmap
from learnpath.workspace.mapsvg import roadmap_map
from learnpath.workspace.plan import standings
from learnpath.workspace.sharing import fork_shared, share, shared_document, shared_roadmap

router = APIRouter(route_class=PageRoute, include_in_schema=False)
EDIT_OP: TypeAdapter[EditOp] = TypeAdapter(EditOp)
MAX_TITLE = 300


async def optional_visitor(request: Request) -> Visitor | None:
    try:
        return await current_visitor(request)
    except LoginRequired:
        return None


def _store(request: Request) -> Store:
    return runtime_of(request).store


@router.get("/roadmaps")
async def my_roadmaps(
    request: Request,
    visitor: VisitorDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    store = _store(request)
    try:
        page = await store.list_roadmaps(visitor.user.id, limit=25, cursor=cursor)
    except ValueError as exc:
        raise PageError.bad_link() from exc
    mine = await standings(store, page.items, visitor.user.id, today=dt.date.today())
    rows = [{"roadmap": r, "standing": mine[r.id]} for r in page.items]
    return render(request, "roadmaps.html", {"rows": rows, "next_cursor": page.next_cursor})


@router.get("/trash")
async def trash(request: Request, visitor: VisitorDep) -> Response:
    page = await _store(request).list_roadmaps(visitor.user.id, limit=100, in_trash=True)
    return render(request, "trash.html", {"roadmaps": page.items})


@router.get("/roadmaps/{roadmap_id}/export")
async def download(
    request: Request, roadmap_id: str, visitor: VisitorDep, format: ExportFormat
) -> Response:
    exported = await export_roadmap(
        _store(request), roadmap_id, visitor.user.id, format, today=dt.date.today()
    )
    return Response(
        exported.data,
        media_type=exported.media_type,
        headers={"Content-Disposition": exported.disposition, "Cache-Control": "no-store"},
    )


@router.get("/roadmaps/{roadmap_id}/map.svg")
async def map_file(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    from learnpath.web.roadmap_extras import roadmap_svg

    store = _store(request)
    roadmap = await store.get_roadmap(roadmap_id, visitor.user.id)
    svg = await roadmap_svg(store, roadmap, visitor.user.id, ui_language(request))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/roadmaps/{roadmap_id}/rename")
async def rename(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    title = " ".join(str(form.get("title") or "").split())
    if not title or len(title) > MAX_TITLE:
        raise PageError(
            422,
            "rename.error.title",
            "rename.error.message",
            "rename.error.hint",
            {"limit": MAX_TITLE},
        )
    await _store(request).rename_roadmap(roadmap_id, visitor.user.id, title)
    return redirect(_back(str(form.get("next") or ""), roadmap_id))


def _back(target: str, roadmap_id: str) -> str:
    return "/roadmaps" if target == "list" else f"/roadmaps/{roadmap_id}"


@router.post("/roadmaps/{roadmap_id}/trash")
async def move_to_trash(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    await checked_form(request)
    await _store(request).trash_roadmap(roadmap_id, visitor.user.id)
    return redirect("/roadmaps")


@router.post("/roadmaps/{roadmap_id}/restore")
async def restore(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    await checked_form(request)
    await _store(request).restore_roadmap(roadmap_id, visitor.user.id)
    return redirect(f"/roadmaps/{roadmap_id}")


@router.get("/roadmaps/{roadmap_id}/edit")
async def edit_page(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    context = await edit_context(_store(request), roadmap_id, visitor.user.id, ui_language(request))
    return render(request, "edit.html", context)


@router.post("/roadmaps/{roadmap_id}/edit")
async def edit(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    store = _store(request)
    language = ui_language(request)
    error = ""
    try:
        operation = EDIT_OP.validate_python(operation_from_form(form))
        outcome = await change_roadmap(
            store, roadmap_id, visitor.user.id, [operation], str(form.get("note") or "")[:2000]
        )
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"msg": ""}
        error = translate(language, "edit.invalid", detail=str(first.get("msg", "")))
    except EditsRefused as exc:
        if exc.issues:
            roadmap = await store.get_roadmap(roadmap_id, visitor.user.id)
            issues = [issue.model_dump(mode="json") for issue in exc.issues]
            listed = " ".join(i["text"] for i in issue_views(issues, roadmap.framework, language))
            error = translate(language, "edit.breaks", issues=listed)
        else:
            error = translate(language, "edit.unknown")
    else:
        if outcome.content_queued:
            return redirect(f"/tasks/{outcome.task_id}")
        return redirect(f"/roadmaps/{roadmap_id}/edit?saved=1#history")
    context = await edit_context(store, roadmap_id, visitor.user.id, language)
    context["error"] = error
    return render(request, "edit.html", context, status=422)


@router.post("/roadmaps/{roadmap_id}/share")
async def create_share(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    await checked_form(request)
    store = _store(request)
    token, _ = await share(store, roadmap_id, visitor.user.id)
    roadmap = await store.get_roadmap(roadmap_id, visitor.user.id)
    url = str(request.base_url).rstrip("/") + f"/shared/{token}"
    response = render(request, "share.html", {"roadmap": roadmap, "url": url})
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/roadmaps/{roadmap_id}/unshare")
async def revoke_share(request: Request, roadmap_id: str, visitor: VisitorDep) -> Response:
    await checked_form(request)
    await _store(request).revoke_share(roadmap_id, visitor.user.id)
    return redirect(f"/roadmaps/{roadmap_id}")


@router.get("/shared/{token}")
async def shared_page(request: Request, token: str) -> Response:
    from learnpath.web.roadmap_extras import map_labels

    visitor = await optional_visitor(request)
    store = _store(request)
    roadmap: RoadmapRecord = await shared_roadmap(store, token)
    document = await shared_document(store, token)
    language = ui_language(request)
    svg = roadmap_map(document, link=lambda cid: f"#concept-{cid}", labels=map_labels(language))
    task = await store.get_task(roadmap.task_id)
    context: dict[str, Any] = {
        "document": document,
        "names": {
            c["concept_id"]: c["name"]
            for s in document["stages"]
            for m in s["modules"]
            for c in m["concepts"]
        },
        "map_svg": svg,
        "token": token,
        "content_lang": str(task.request.get("language") or "en"),
        "can_fork": visitor is not None,
        "fork_key": f"fork-{uuid.uuid4()}",
    }
    response = render(request, "shared.html", context)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.post("/shared/{token}/fork")
async def fork(request: Request, token: str, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    key = str(form.get("idempotency_key") or "")[:200] or None
    copied = await fork_shared(_store(request), token, visitor.user.id, idempotency_key=key)
    return redirect(f"/roadmaps/{copied.roadmap_id}")
