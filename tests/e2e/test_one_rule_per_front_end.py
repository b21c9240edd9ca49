"""One rule for each input, whichever front end it comes through: quiz answers are scored
(or refused) the same way by the API and the web form, and a new roadmap's request is
checked the same way by the API, the web form and the command line."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import httpx
import pytest
import typer

from learnpath.cli import generate as cli_generate
from learnpath.domain.request import InvalidSubmission, parse_submission
from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, StartServer
from tests.e2e.test_web_pages import browser_client, csrf_of, submit, wait_status

#: TinyTeam's quiz: one question, "2+2?", options "3" (0) and "4" (1), answer 1.
#: (API answers, web form fields, the kind of refusal)
REFUSED_ANSWERS = [
    ([1, 1], {"q0": "1", "q1": "1"}, "too_many"),
    ([2], {"q0": "2"}, "not_an_option"),
    ([1, None, 0], {"q0": "1", "q2": "0"}, "too_many"),
]
WEB_WORDING = {
    ("en", "too_many"): "This quiz has 1 questions, but {answers} answers were sent.",
    ("en", "not_an_option"): "The answer to question 1 is not one of its options.",
    ("zh", "too_many"): "这个测验有 1 道题，但提交了 {answers} 个答案。",
    ("zh", "not_an_option"): "第 1 题的答案不是它的选项之一。",
}


def _finished_roadmap(client: httpx.Client) -> str:
    task_url = submit(client, goal="Learn SQL", weeks="4").headers["location"]
    task_id = task_url.rsplit("/", 1)[1]
    wait_status(client, task_id, "completed")
    return task_id


def _quiz_progress(client: httpx.Client, roadmap_id: str) -> dict[str, Any]:
    rows = client.get(f"{API}/roadmaps/{roadmap_id}/progress").json()["concepts"]
    return {row["concept_id"]: (row["quiz_answers"], row["quiz_score"]) for row in rows}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_quiz_answers_are_scored_and_refused_alike_by_the_api_and_the_web_form(
    live_server: StartServer, language: str
) -> None:
    app = live_server(auth="none", team=TinyTeam(concepts=1))
    with browser_client(app) as client:
        client.cookies.set("lp_lang", language)
        roadmap = _finished_roadmap(client)
        quiz_url = f"/roadmaps/{roadmap}/concepts/c1/quiz"
        for api_answers, fields, kind in REFUSED_ANSWERS:
            refused = client.post(f"{API}{quiz_url}", json={"answers": api_answers})
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "validation_error"
            page = client.get(f"/roadmaps/{roadmap}").text
            shown = client.post(quiz_url, data={"csrf_token": csrf_of(page), **fields})
            assert shown.status_code == 422, shown.text[:300]
            wording = WEB_WORDING[language, kind].format(answers=len(api_answers))
            assert 'id="quiz-error"' in shown.text
            assert wording in html.unescape(shown.text)
            if fields.get("q0") == "1":  # the learner's pick is still checked
                assert re.search(r'name="q0" value="1"\s+checked', shown.text)
            assert _quiz_progress(client, roadmap) == {}, "a refused answer was recorded"

        page = client.get(f"/roadmaps/{roadmap}").text
        assert 'id="quiz-error"' not in page
        answered = client.post(quiz_url, data={"csrf_token": csrf_of(page), "q0": "0"})
        assert answered.status_code == 303
        assert _quiz_progress(client, roadmap) == {"c1": ([0], 0.0)}
        scored = client.post(f"{API}{quiz_url}", json={"answers": [1]}).json()
        assert (scored["score"], scored["correct"], scored["total"]) == (1.0, 1, 1)
        assert _quiz_progress(client, roadmap) == {"c1": ([1], 1.0)}


#: Bad new-roadmap requests (as the API's JSON body) and the fields each one is refused on:
#: one problem at a time, then several at once (every front end names all of them).
BAD_REQUESTS: list[tuple[dict[str, Any], set[str]]] = [
    ({"goal": "ab"}, {"goal"}),
    ({"goal": "Learn SQL", "hours_per_week": 0}, {"hours_per_week"}),
    ({"goal": "Learn SQL", "hours_per_week": 500}, {"hours_per_week"}),
    ({"goal": "Learn SQL", "weeks": 0}, {"weeks"}),
    ({"goal": "Learn SQL", "weeks": 521}, {"weeks"}),
    ({"goal": "Learn SQL", "deadline": "2001-01-01"}, {"deadline"}),
    ({"goal": "Learn SQL", "language": "xx"}, {"language"}),
    ({"goal": "Learn SQL", "level": "expert"}, {"level"}),
    ({"goal": "ab", "deadline": "2001-01-01"}, {"goal", "deadline"}),
    ({"goal": "ab", "hours_per_week": 0, "language": "xx"}, {"goal", "hours_per_week", "language"}),
    ({"goal": "Learn SQL", "weeks": 521, "level": "expert"}, {"weeks", "level"}),
    (
        {"goal": "ab", "hours_per_week": 500, "deadline": "2001-01-01", "level": "expert"},
        {"goal", "hours_per_week", "deadline", "level"},
    ),
]
#: Each field as the command line names it (the web form's fields are the API's).
CLI_FLAGS = {
    "goal": "the goal",
    "hours_per_week": "--hours",
    "weeks": "--weeks",
    "deadline": "--deadline",
    "language": "--language",
    "level": "--level",
}


def _web_form(body: dict[str, Any]) -> dict[str, str]:
    form = {key: str(value) for key, value in body.items()}
    form["timeframe"] = "deadline" if "deadline" in body else "weeks"
    return form


@pytest.mark.parametrize(("body", "fields"), BAD_REQUESTS)
def test_a_bad_request_is_refused_on_the_same_fields_by_api_web_and_cli(
    live_server: StartServer,
    capsys: pytest.CaptureFixture[str],
    body: dict[str, Any],
    fields: set[str],
) -> None:
    app = live_server(auth="none", team=TinyTeam(concepts=1))
    with browser_client(app) as client:
        api = client.post(f"{API}/roadmaps/generate", json=body)
        assert api.status_code == 422, api.text
        assert api.json()["code"] == "validation_error"
        assert {e["loc"][1] for e in api.json()["errors"]} == fields
        # The API's problems are parse_submission's, in its words and order.
        with pytest.raises(InvalidSubmission) as checked:
            parse_submission(body, dt.date.today())
        said_by_the_rule = [(p.field, p.kind, p.message) for p in checked.value.problems]
        said_by_the_api = [
            (".".join(e["loc"][1:]), e["type"], e["message"]) for e in api.json()["errors"]
        ]
        assert said_by_the_api == said_by_the_rule

        web = submit(client, **_web_form(body))
        assert web.status_code == 422, web.text[:300]
        shown = {name for name in CLI_FLAGS if f'id="{name}-error"' in web.text}
        assert shown == fields

        with pytest.raises(typer.Exit) as refused:
            cli_generate.parse_request(**body)
        assert refused.value.exit_code == 2
        said = capsys.readouterr().err
        assert {name for name, flag in CLI_FLAGS.items() if flag in said} == fields


JSON = {"content-type": "application/json"}
#: Bodies that are not a JSON object: (content, headers, where the problem is, its type).
NOT_AN_OBJECT: list[tuple[bytes, dict[str, str], list[str], str]] = [
    (b"[]", JSON, ["body"], "dict_type"),
    (b"null", JSON, ["body"], "dict_type"),
    (b'"Learn SQL"', JSON, ["body"], "dict_type"),
    (b'{"goal": "Learn', JSON, ["body", "9"], "json_invalid"),
    (b"", JSON, ["body"], "missing"),
    (b'{"goal": "Learn SQL"}', {"content-type": "text/plain"}, ["body"], "dict_type"),
]


def test_the_api_refuses_what_is_not_a_request_as_a_validation_error(
    live_server: StartServer,
) -> None:
    """Only a JSON object reaches parse_submission; anything else, an oversized body or text
    the databases cannot store is refused before it, and a refused body uses no key."""
    app = live_server(auth="none", team=TinyTeam(concepts=1))
    url = f"{API}/roadmaps/generate"
    with browser_client(app) as client:
        for content, headers, loc, kind in NOT_AN_OBJECT:
            keyed = {**headers, "Idempotency-Key": "first"}
            refused = client.post(url, content=content, headers=keyed)
            assert refused.status_code == 422, (content, refused.text)
            problem = refused.json()
            assert problem["code"] == "validation_error"
            assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, kind)]

        unstorable = client.post(url, json={"goal": "ab\x00c", "deadline": "2001-01-01"})
        assert unstorable.status_code == 422
        assert [e["loc"] for e in unstorable.json()["errors"]] == [["body", "goal"]]
        too_big = client.post(url, json={"goal": "x" * app.settings.max_body_bytes})
        assert too_big.status_code == 413
        assert too_big.json()["code"] == "payload_too_large"
        assert client.get(f"{API}/tasks").json()["items"] == []

        first = client.post(url, json={"goal": "Learn SQL"}, headers={"Idempotency-Key": "first"})
        assert first.status_code == 202, first.text
        again = client.post(url, json={"goal": "Learn SQL "}, headers={"Idempotency-Key": "first"})
        assert again.status_code == 200
        assert again.json()["task_id"] == first.json()["task_id"]
        other = client.post(url, json={"goal": "Learn Go"}, headers={"Idempotency-Key": "first"})
        assert other.status_code == 409
        assert other.json()["code"] == "idempotency_key_reused"
