"""What forms do: submit a roadmap, cancel, retry, review, quiz, progress, regenerate, sign in.

Every POST checks the CSRF token first, calls one store or workflow function, then
redirects (post/redirect/get) or re-renders the form with what the user typed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from learnpath.domain.content import InvalidAnswers
from learnpath.domain.quota import QuotaExceeded
from learnpath.domain.roadmap import Framework
from learnpath.identity import TokenRefused, authenticate
from learnpath.learning.quiz import QuizNotReady, current_quiz
from learnpath.learning.quiz import answer_quiz as record_quiz
from learnpath.learning.quota import submit_limits
from learnpath.settings import AuthMode
from learnpath.store import NotFound
from learnpath.web.forms import parse_roadmap_form, quiz_answers, quiz_error
from learnpath.web.i18n import LANGUAGE_COOKIE, UI_LANGUAGES, translate, ui_language
from learnpath.web.pages import roadmap_context, task_context
from learnpath.web.rendering import PageRoute, redirect, render
from learnpath.web.session import (
    PageError,
    VisitorDep,
    checked_form,
    end_session,
    runtime_of,
    safe_next,
    start_session,
)
from learnpath.web.views import issue_views
from learnpath.workflow.review import (
    BlockingIssues,
    InvalidEdits,
    ReviewDecision,
    submit_review,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_INSTRUCTIONS = 2000


@router.post("/")
async def submit_roadmap(request: Request, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    typed, learning_request = parse_roadmap_form(form)
    key = str(form.get("idempotency_key") or "")[:200] or None
    if learning_request is None:
        return render(request, "new.html", {"form": typed, "key": key or ""}, status=422)
    runtime = runtime_of(request)
    try:
        task, _ = await runtime.store.submit_task(
            user_id=visitor.user.id,
            request=learning_request.model_dump(mode="json"),
            idempotency_key=key,
            limits=submit_limits(runtime.settings),
        )
    except QuotaExceeded as exc:
        message = translate(ui_language(request), f"quota.{exc.limit}", **exc.params)
        context = {"form": typed, "key": key or "", "quota_error": message}
        response = render(request, "new.html", context, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return redirect(f"/tasks/{task.id}")


@router.post("/tasks/{task_id}/cancel")
async def cancel(request: Request, task_id: str, visitor: VisitorDep) -> Response:
    await checked_form(request)
    await runtime_of(request).store.cancel_task(task_id, visitor.user.id)
    return redirect(f"/tasks/{task_id}")


@router.post("/tasks/{task_id}/retry")
async def retry(request: Request, task_id: str, visitor: VisitorDep) -> Response:
    await checked_form(request)
    await runtime_of(request).store.retry_task(task_id, visitor.user.id)
    return redirect(f"/tasks/{task_id}")


@router.post("/tasks/{task_id}/review")
async def review(request: Request, task_id: str, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    feedback = str(form.get("feedback") or "").strip()
    language = ui_language(request)
    error = ""
    blocking: list[dict[str, object]] = []
    try:
        decision = ReviewDecision(decision=str(form.get("decision")), feedback=feedback or None)
        await submit_review(runtime_of(request).store, task_id, visitor.user.id, decision)
    except ValidationError as exc:
        error = translate(language, _review_error(str(form.get("decision")), exc))
    except BlockingIssues as exc:
        blocking = [issue.model_dump(mode="json") for issue in exc.issues]
    except InvalidEdits as exc:
        error = str(exc)
    if not error and not blocking:
        return redirect(f"/tasks/{task_id}")
    context = await task_context(request, visitor, task_id)
    if blocking:
        listed = " ".join(i["text"] for i in issue_views(blocking, context["framework"], language))
        error = translate(language, "review.blocking", issues=listed)
    context |= {"review_feedback": feedback, "review_error": error}
    return render(request, "task.html", context, status=422)


def _review_error(decision: str, exc: ValidationError) -> str:
    """The catalog key that says what is wrong with a review form."""
    if decision not in ("approve", "reject"):
        return "review.choose"
    if any(e["type"] == "string_too_long" for e in exc.errors()):
        return "review.feedback_long"
    return "review.feedback_needed"


def _concept_url(roadmap_id: str, concept_id: str) -> str:
    return f"/roadmaps/{roadmap_id}?concept={concept_id}#concept-{concept_id}"


@router.post("/roadmaps/{roadmap_id}/concepts/{concept_id}/done")
async def mark_done(
    request: Request, roadmap_id: str, concept_id: str, visitor: VisitorDep
) -> Response:
    form = await checked_form(request)
    store = runtime_of(request).store
    roadmap = await store.get_roadmap(roadmap_id, visitor.user.id)
    if concept_id not in Framework.model_validate(roadmap.framework).concept_ids():
        raise NotFound(f"no concept {concept_id}")
    await store.record_progress(
        visitor.user.id, roadmap_id, concept_id, done=form.get("done") == "1"
    )
    return redirect(_concept_url(roadmap_id, concept_id))


@router.post("/roadmaps/{roadmap_id}/concepts/{concept_id}/quiz")
async def answer_quiz(
    request: Request, roadmap_id: str, concept_id: str, visitor: VisitorDep
) -> Response:
    """Score the answers as the API does; refused answers re-show the page with the error
    and the answers as they were picked."""
    form = await checked_form(request)
    store = runtime_of(request).store
    roadmap = await store.get_roadmap(roadmap_id, visitor.user.id)
    try:
        quiz = await current_quiz(store, roadmap.id, concept_id)
    except QuizNotReady as exc:
        raise NotFound(f"no quiz for {concept_id}") from exc
    answers = quiz_answers(form, len(quiz.questions))
    try:
        await record_quiz(store, visitor.user.id, roadmap.id, concept_id, answers)
    except InvalidAnswers as exc:
        context = await roadmap_context(request, visitor, roadmap, concept_id)
        context["quiz_form"] = {
            "concept_id": concept_id,
            "answers": answers,
            "error": quiz_error(ui_language(request), exc),
        }
        return render(request, "roadmap.html", context, status=422)
    return redirect(_concept_url(roadmap_id, concept_id))


@router.post("/roadmaps/{roadmap_id}/concepts/{concept_id}/regenerate")
async def regenerate(
    request: Request, roadmap_id: str, concept_id: str, visitor: VisitorDep
) -> Response:
    form = await checked_form(request)
    instructions = str(form.get("instructions") or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        raise PageError(
            422,
            "error.instructions.title",
            "error.instructions.message",
            "error.instructions.hint",
            {"limit": MAX_INSTRUCTIONS},
        )
    store = runtime_of(request).store
    roadmap = await store.get_roadmap(roadmap_id, visitor.user.id)
    await store.regenerate_concept(roadmap_id, concept_id, visitor.user.id, instructions or None)
    return redirect(f"/tasks/{roadmap.task_id}")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    runtime = runtime_of(request)
    target = safe_next(str(form.get("next") or ""))
    if runtime.settings.auth is AuthMode.NONE:
        return redirect(target)
    token = str(form.get("token") or "").strip()
    try:
        auth = await authenticate(runtime.store, token)
    except TokenRefused as exc:
        language = ui_language(request)
        command = "`learnpath token create NAME`"
        if not token:
            error = translate(language, "login.missing")
        elif exc.code in ("token_revoked", "token_expired"):
            error = translate(language, f"login.{exc.code}", command=command)
        else:
            error = translate(language, "login.invalid", command="`learnpath user create NAME`")
        return render(request, "login.html", {"next": target, "error": error}, status=401)
    response = redirect(target)
    await start_session(request, response, auth)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    response = redirect("/login")
    await end_session(request, response)
    return response


@router.post("/language")
async def choose_language(request: Request) -> Response:
    """The language switch: remember the chosen UI language in a cookie, then go back."""
    form = await checked_form(request)
    chosen = str(form.get("lang") or "")
    response = redirect(safe_next(str(form.get("next") or "")))
    if chosen in UI_LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response
