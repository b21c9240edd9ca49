"""Model resolution from settings: the LEARNPATH_MODEL syntax and per-agent overrides."""

from __future__ import annotations

import pydantic_ai.models
import pytest
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.tools import ToolDefinition

from learnpath.agents.llm_team import LLMTeam
from learnpath.llm.errors import ModelCallError
from learnpath.llm.models import (
    HTTP_CLIENT_LOGGERS,
    PROXY_VARIABLES,
    ModelCache,
    build_remote_model,
    check_agent_models,
    model_for,
    parse_model_spec,
    spec_for_agent,
)
from learnpath.llm.openai_chat import LeanOpenAI
from tests.unit.conftest_llm import settings


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


@pytest.mark.parametrize("value", [None, "", "  ", "offline", "OFFLINE"])
def test_unset_or_offline_means_the_offline_model(value: str | None) -> None:
    spec = parse_model_spec(value)
    assert (spec.kind, spec.model, spec.label) == ("offline", "offline", "offline")


def test_pydantic_ai_model_strings_pass_through() -> None:
    for value in (
        "openai-chat:gpt-4o",
        "deepseek:deepseek-chat",
        "anthropic:claude-sonnet-4-5",
        "ollama:llama3.2",
    ):
        spec = parse_model_spec(value)
        assert (spec.kind, spec.model, spec.label) == ("pydantic_ai", value, value)


def test_base_url_with_and_without_model_name() -> None:
    named = parse_model_spec("http://gpu-box:8000/v1#Qwen/Qwen2.5-7B-Instruct")
    assert (named.kind, named.model, named.base_url) == (
        "base_url",
        "Qwen/Qwen2.5-7B-Instruct",
        "http://gpu-box:8000/v1",
    )
    plain = parse_model_spec("http://127.0.0.1:8080/v1")
    assert (plain.model, plain.base_url) == ("default", "http://127.0.0.1:8080/v1")


def test_base_url_label_hides_credentials_and_query() -> None:
    spec = parse_model_spec("https://user:s3cret@llm.example.com/v1?key=abc#m")
    assert spec.label == "m@https://llm.example.com/v1"
    assert "s3cret" not in spec.label
    assert "abc" not in spec.label


@pytest.mark.parametrize("value", ["gpt-4o", "nosuchprovider:model", "openai-chat:", "http:///v1"])
def test_bad_model_settings_are_rejected_clearly(value: str) -> None:
    with pytest.raises(ModelCallError) as caught:
        parse_model_spec(value)
    assert caught.value.code == "model_misconfigured"
    assert caught.value.message.startswith("Model configuration error:")


@pytest.mark.parametrize(
    ("value", "class_name"),
    [
        ("anthropic:claude-sonnet-4-5", "AnthropicModel"),
        ("google:gemini-2.5-flash", "GoogleModel"),
        ("deepseek:deepseek-chat", "OpenAIChatModel"),
    ],
)
def test_installed_providers_build_without_a_request(value: str, class_name: str) -> None:
    model = model_for(settings(model=value, model_api_key="k"), "intent")
    assert type(model.wrapped).__name__ == class_name
    assert value.split(":", 1)[1] in model.wrapped.model_name


def test_per_agent_override_wins() -> None:
    config = settings(model="openai-chat:gpt-4o", agent_models={"tutorial": "offline"})
    assert spec_for_agent(config, "tutorial").kind == "offline"
    assert spec_for_agent(config, "intent").model == "openai-chat:gpt-4o"


def test_override_for_an_unknown_agent_is_refused() -> None:
    with pytest.raises(ModelCallError, match=r"unknown agents mentor; known agents are .*tutor"):
        check_agent_models(settings(agent_models={"mentor": "offline"}))
    check_agent_models(settings(agent_models={"tutor": "offline"}))  # the tutor is an agent


def test_base_url_builds_an_openai_chat_model_at_that_url() -> None:
    model = model_for(settings(model="http://127.0.0.1:9/v1#tiny", model_api_key="sk-test"), "quiz")
    inner = model.wrapped
    assert isinstance(inner, OpenAIChatModel)
    assert inner.model_name == "tiny"
    assert str(inner.client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
    assert inner.client.api_key == "sk-test"
    assert model.display_name == "tiny@http://127.0.0.1:9/v1"


def test_provider_string_gets_the_configured_api_key() -> None:
    model = model_for(settings(model="openai-chat:gpt-4o", model_api_key="sk-configured"), "intent")
    assert isinstance(model.wrapped, OpenAIChatModel)
    assert model.wrapped.model_name == "gpt-4o"
    assert model.wrapped.client.api_key == "sk-configured"


def test_limits_come_from_settings_and_are_shared() -> None:
    config = settings(model_concurrency=5, model_timeout_seconds=7.5, model_retries=4)
    first, second = model_for(config, "intent"), model_for(config, "quiz")
    assert isinstance(first.wrapped, FunctionModel)
    assert first.limiter is second.limiter
    assert first.limiter.limit == 5
    assert (first.timeout, first.policy.retries) == (7.5, 4)


def test_generated_by_names_the_models_in_use() -> None:
    assert LLMTeam(settings()).generated_by == "offline"
    assert LLMTeam(settings(model="openai-chat:gpt-4o", model_api_key="k")).generated_by == (
        "openai-chat:gpt-4o"
    )
    mixed = LLMTeam(
        settings(model="openai-chat:gpt-4o", model_api_key="k", agent_models={"quiz": "offline"})
    )
    assert mixed.generated_by == "openai-chat:gpt-4o + offline"


def test_api_key_never_appears_in_settings_repr_or_labels() -> None:
    config = settings(model="http://127.0.0.1:9/v1#m", model_api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(config)
    assert "sk-very-secret" not in LLMTeam(config).generated_by


def _models_of(team: LLMTeam) -> dict[str, object]:
    agents = {
        "intent": team._intent,
        "validator": team._validator,
        "editor": team._editor,
        "tutorial": team._tutorial,
        "resources": team._resources,
        "quiz": team._quiz,
    }
    return {name: agent.model.wrapped for name, agent in agents.items()}


def test_a_teams_agents_on_one_endpoint_share_one_http_client() -> None:
    team = LLMTeam(settings(model="http://127.0.0.1:9/v1#tiny"))
    inner = _models_of(team)
    assert all(isinstance(m, OpenAIChatModel) for m in inner.values())
    clients = {id(m.client) for m in inner.values() if isinstance(m, OpenAIChatModel)}
    assert len(clients) == 1
    # Each agent still has its own guarded model, so usage is still counted per agent.
    assert team._quiz.model.agent == "quiz" and team._tutorial.model.agent == "tutorial"


def test_agents_on_different_models_of_one_provider_share_the_provider() -> None:
    team = LLMTeam(
        settings(
            model="openai-chat:gpt-4o",
            model_api_key="k",
            agent_models={"tutorial": "openai-chat:gpt-4o-mini"},
        )
    )
    inner = _models_of(team)
    tutorial, quiz = inner["tutorial"], inner["quiz"]
    assert isinstance(tutorial, OpenAIChatModel) and isinstance(quiz, OpenAIChatModel)
    assert (tutorial.model_name, quiz.model_name) == ("gpt-4o-mini", "gpt-4o")
    assert tutorial.client is quiz.client


def test_different_endpoints_and_teams_get_their_own_clients() -> None:
    config = settings(
        model="http://127.0.0.1:9/v1#tiny",
        agent_models={"quiz": "http://127.0.0.1:10/v1#other"},
    )
    first, second = _models_of(LLMTeam(config)), _models_of(LLMTeam(config))
    quiz, tutorial = first["quiz"], first["tutorial"]
    assert isinstance(quiz, OpenAIChatModel) and isinstance(tutorial, OpenAIChatModel)
    assert str(quiz.client.base_url).rstrip("/") == "http://127.0.0.1:10/v1"
    assert quiz.client is not tutorial.client
    # A team runs on one event loop: another team never shares its client.
    other = second["tutorial"]
    assert isinstance(other, OpenAIChatModel) and other.client is not tutorial.client


def _transport_of(model: object) -> object:
    assert isinstance(model, OpenAIChatModel)
    return model.client._client._transport


@pytest.mark.parametrize("value", ["http://127.0.0.1:9/v1#tiny", "openai-chat:gpt-4o"])
async def test_a_teams_openai_compatible_endpoints_talk_through_aiohttp(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    team = LLMTeam(settings(model=value, model_api_key="k"))
    assert type(_transport_of(_models_of(team)["quiz"])).__name__ == "AiohttpTransport"
    await team.aclose()


async def test_behind_a_proxy_a_team_uses_an_httpx_client_it_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    team = LLMTeam(settings(model="http://127.0.0.1:9/v1#tiny"))
    quiz = _models_of(team)["quiz"]
    assert type(_transport_of(quiz)).__name__ != "AiohttpTransport"
    assert isinstance(quiz, OpenAIChatModel) and isinstance(quiz.client, LeanOpenAI)
    http_client = quiz.client._client
    assert not http_client.is_closed
    await team.aclose()
    assert http_client.is_closed


@pytest.mark.parametrize("value", ["http://127.0.0.1:9/v1#tiny", "openai-chat:gpt-4o"])
async def test_a_teams_openai_compatible_models_use_the_lean_client(value: str) -> None:
    team = LLMTeam(settings(model=value, model_api_key="sk-team"))
    quiz = _models_of(team)["quiz"]
    assert isinstance(quiz, OpenAIChatModel) and isinstance(quiz.client, LeanOpenAI)
    assert quiz.client.api_key == "sk-team"
    await team.aclose()


async def test_a_teams_openai_model_reads_the_sdks_variables_without_a_configured_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelCallError) as caught:
        LLMTeam(settings(model="openai-chat:gpt-4o"))
    assert caught.value.code == "model_misconfigured"

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    team = LLMTeam(settings(model="openai-chat:gpt-4o"))
    quiz = _models_of(team)["quiz"]
    assert isinstance(quiz, OpenAIChatModel) and isinstance(quiz.client, LeanOpenAI)
    assert quiz.client.api_key == "api-key-not-set"  # a keyless local server, as pydantic-ai does
    assert str(quiz.client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
    await team.aclose()

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    team = LLMTeam(settings(model="openai-chat:gpt-4o"))
    quiz = _models_of(team)["quiz"]
    assert isinstance(quiz, OpenAIChatModel) and quiz.client.api_key == "sk-from-the-environment"
    await team.aclose()


def test_a_remote_model_customizes_each_parameters_object_once() -> None:
    spec = parse_model_spec("http://127.0.0.1:9/v1#tiny")
    model = ModelCache().model(spec, "k")
    fresh = build_remote_model(spec, "k")  # pydantic-ai's own, customizing every time
    tool = ToolDefinition(
        name="final_result",
        parameters_json_schema={
            "type": "object",
            "properties": {"a": {"type": "string", "default": "x"}},
        },
        strict=True,
    )
    first = ModelRequestParameters(output_mode="tool", output_tools=[tool])
    second = ModelRequestParameters(output_mode="tool", output_tools=[tool])
    customized = model.customize_request_parameters(first)
    assert customized == fresh.customize_request_parameters(first)
    assert customized.output_tools[0].parameters_json_schema != tool.parameters_json_schema
    assert model.customize_request_parameters(first) is customized
    again = model.customize_request_parameters(second)
    assert again is not customized and again == customized
    many = [ModelRequestParameters(output_tools=[tool]) for _ in range(300)]
    for parameters in many:  # more than it keeps: still right for each
        assert model.customize_request_parameters(parameters) == fresh.customize_request_parameters(
            parameters
        )


def test_a_model_built_outside_a_team_keeps_the_sdks_httpx_client() -> None:
    """Nobody would close an aiohttp session opened for it (the tutor's model)."""
    model = build_remote_model(parse_model_spec("http://127.0.0.1:9/v1#tiny"), "k")
    assert type(_transport_of(model)).__name__ != "AiohttpTransport"


def test_the_worker_keeps_the_http_clients_request_lines_out_of_its_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from learnpath.dispatch.celery_app import worker_app

    caplog.set_level(logging.INFO)  # the worker's level
    for name in HTTP_CLIENT_LOGGERS:  # caplog restores each logger's level afterwards
        caplog.set_level(logging.NOTSET, logger=name)
    assert logging.getLogger("httpx2").isEnabledFor(logging.INFO)
    worker_app(settings(broker_url="redis://127.0.0.1:6379/15"))
    assert all(
        not logging.getLogger(name).isEnabledFor(logging.INFO) for name in HTTP_CLIENT_LOGGERS
    )
