"""Which model each agent talks to, resolved from ``Settings``.

``LEARNPATH_MODEL`` (and each value of ``LEARNPATH_AGENT_MODELS``) takes one of:

* unset, empty or ``offline`` — the built-in offline model (deterministic sample content);
* any pydantic-ai model string ``provider:model``, e.g. ``openai-chat:gpt-4o``,
  ``deepseek:deepseek-chat``, ``anthropic:claude-sonnet-4-5``, ``ollama:llama3.2``;
  ``LEARNPATH_MODEL_API_KEY``, when set, is passed to that provider (otherwise the provider
  reads its own variable, e.g. ``OPENAI_API_KEY``);
* an OpenAI-compatible base URL ``http[s]://host[:port]/path[#model-name]``, e.g.
  ``http://127.0.0.1:8080/v1`` (llama.cpp) or ``http://gpu-box:8000/v1#Qwen/Qwen2.5-7B-Instruct``
  (vLLM). The fragment names the model sent in each request (``default`` when absent); the
  API key is ``LEARNPATH_MODEL_API_KEY`` or a placeholder for servers that need none.

``LEARNPATH_AGENT_MODELS`` maps an agent name (``intent``, ``curriculum``, ``validator``,
``editor``, ``tutorial``, ``resources``, ``quiz``, and the ``tutor`` of ``learnpath ask``) to
its own model, e.g.
``LEARNPATH_AGENT_MODELS='{"tutorial": "openai-chat:gpt-4o-mini"}'``.

A team's agents that name the same model share one pydantic-ai model, and agents on one
provider share one provider object, hence one HTTP client and one connection pool
(``ModelCache``); nothing is built per call.

A team's OpenAI-compatible endpoints (a base URL, or the ``openai`` provider of the
``openai:``, ``openai-chat:`` and ``openai-responses:`` model strings) talk HTTP through
aiohttp, the OpenAI SDK's documented alternative transport (``DefaultAioHttpClient``), not
httpx: with hundreds of requests in flight httpx's connection pool scans every connection
for each request, and a worker spent 3x the CPU per call on it (bench/README.md). aiohttp
does not read the ``HTTP(S)_PROXY`` variables, so when one is set pydantic-ai's httpx client
is used, which does. Their SDK client is ``LeanOpenAI`` (``learnpath.llm.openai_chat``), which
posts plain chat bodies without the SDK's typed transform. The team closes the clients it
opened (``ModelCache.aclose``).

A team's remote models adapt each request's parameters to their provider (pydantic-ai's
``customize_request_parameters``, a walk of every tool's JSON schema) once per parameters
object instead of once per request: the structured agents build their parameters once
(``learnpath.agents.asking``), and the walk was a tenth of a worker's CPU per model call.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic_ai.models import Model, ModelRequestParameters, infer_model
from pydantic_ai.providers import Provider, infer_provider, infer_provider_class

from learnpath.llm.errors import MODEL_MISCONFIGURED, ModelCallError
from learnpath.llm.guard import GuardedModel, Sleep
from learnpath.llm.limits import process_limiter
from learnpath.llm.offline import offline_model
from learnpath.llm.retry import RetryPolicy
from learnpath.llm.usage import UNKNOWN_AGENT
from learnpath.settings import Settings

AGENT_NAMES = ("intent", "curriculum", "validator", "editor", "tutorial", "resources", "quiz")
#: Agents outside the roadmap workflow that may have their own model too.
OTHER_AGENT_NAMES = ("tutor",)
OFFLINE = "offline"
DEFAULT_URL_MODEL = "default"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model setting: what kind, which model, and where (for a base URL)."""

    kind: Literal["offline", "pydantic_ai", "base_url"]
    model: str
    base_url: str | None = None

    @property
    def label(self) -> str:
        """A display name safe to show and log: no credentials, no query string."""
        if self.kind == "base_url" and self.base_url is not None:
            return f"{self.model}@{_safe_url(self.base_url)}"
        return self.model


def parse_model_spec(value: str | None) -> ModelSpec:
    """Parse a ``LEARNPATH_MODEL``-style value (see the module docstring for the syntax)."""
    text = (value or "").strip()
    if not text or text.lower() == OFFLINE:
        return ModelSpec(kind="offline", model=OFFLINE)
    if text.startswith(("http://", "https://")):
        url, _, fragment = text.partition("#")
        parts = urlsplit(url)
        if not parts.hostname:
            raise _misconfigured(f"the model URL {_safe_url(url)!r} has no host")
        return ModelSpec(kind="base_url", model=fragment or DEFAULT_URL_MODEL, base_url=url)
    provider, sep, name = text.partition(":")
    if not sep or not provider or not name:
        raise _misconfigured(
            f"{text!r} is not a model: use provider:model (e.g. openai-chat:gpt-4o), an "
            "OpenAI-compatible base URL such as http://127.0.0.1:8080/v1#model-name, or offline"
        )
    try:
        infer_provider_class(provider)
    except ValueError:
        raise _misconfigured(f"unknown model provider {provider!r} in {text!r}") from None
    except ImportError:
        pass  # a known provider whose SDK is not installed: reported when the model is built
    return ModelSpec(kind="pydantic_ai", model=text)


def spec_for_agent(settings: Settings, agent: str) -> ModelSpec:
    """The model an agent uses: its override in ``agent_models``, else ``settings.model``."""
    return parse_model_spec(settings.agent_models.get(agent, settings.model))


def check_agent_models(settings: Settings) -> None:
    """Refuse overrides for agents that do not exist (a typo would silently be ignored)."""
    unknown = sorted(set(settings.agent_models) - {*AGENT_NAMES, *OTHER_AGENT_NAMES})
    if unknown:
        raise _misconfigured(
            f"LEARNPATH_AGENT_MODELS names unknown agents {', '.join(unknown)}; "
            f"known agents are {', '.join((*AGENT_NAMES, *OTHER_AGENT_NAMES))}"
        )


#: The loggers of the HTTP clients under the model SDKs, which log every request at INFO.
HTTP_CLIENT_LOGGERS = ("httpx", "httpx2")


def quiet_http_client_logs() -> None:
    """Keep the HTTP clients' line per request out of learnpath's INFO logs.

    At hundreds of model calls a second those lines were most of a worker's log and a
    measurable share of its CPU; the calls are counted in ``step_runs`` and the metrics,
    and the guard logs every failed attempt.
    """
    for name in HTTP_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


#: Proxy settings that httpx reads from the environment and aiohttp does not.
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
)


class ModelCache:
    """The models one team builds: one per distinct spec, one provider per endpoint.

    A provider owns its HTTP client, so sharing it gives every agent on that endpoint one
    connection pool (and keep-alive connections reused across agents). A cache belongs to
    one team: a team runs on one event loop, and a provider's client must not be shared by
    loops that run at the same time.

    With ``own_clients``, OpenAI-compatible providers get an aiohttp client (see the module
    docstring) that ``aclose`` closes; whoever builds such a cache must call it. Without,
    providers keep the SDK's own httpx client.
    """

    def __init__(
        self,
        *,
        own_clients: bool = False,
        http_client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self._models: dict[tuple[ModelSpec, str | None], Model] = {}
        self._providers: dict[tuple[str, str | None], Provider[Any]] = {}
        self._own_clients = own_clients
        self._http_client_factory = http_client_factory
        self._clients: list[Any] = []

    def model(self, spec: ModelSpec, api_key: str | None) -> Model:
        key = (spec, api_key)
        model = self._models.get(key)
        if model is None:
            if spec.kind == "offline":
                model = offline_model()
            else:
                model = build_remote_model(spec, api_key, providers=self)
                customize_once(model)
            self._models[key] = model
        return model

    def provider(self, name: str, api_key: str | None, build: Callable[[], Provider[Any]]) -> Any:
        key = (name, api_key)
        provider = self._providers.get(key)
        if provider is None:
            provider = self._providers[key] = build()
        return provider

    def http_client(self) -> Any:
        """The HTTP client for a new OpenAI-compatible provider, owned by this cache: aiohttp's,
        or pydantic-ai's httpx client when a proxy is configured (``http_client_factory``
        when given). None when the cache does not own its clients (the provider builds its
        own)."""
        if not self._own_clients:
            return None
        if self._http_client_factory is not None:
            client = self._http_client_factory()
        elif any(os.environ.get(name) for name in PROXY_VARIABLES):
            from pydantic_ai.models import create_async_httpx2_client

            client = create_async_httpx2_client()
        else:
            from openai import DefaultAioHttpClient

            client = DefaultAioHttpClient()
        self._clients.append(client)
        return client

    def openai_provider(self, *, base_url: str | None, api_key: str | None) -> Provider[Any]:
        """pydantic-ai's ``OpenAIProvider`` for ``base_url`` (the ``OPENAI_BASE_URL`` variable
        or OpenAI's when None): over a ``LeanOpenAI`` client and an HTTP client of this cache's
        when it owns its clients, otherwise as pydantic-ai builds it."""
        from pydantic_ai.providers.openai import OpenAIProvider

        if not self._own_clients or (
            api_key is None
            and "OPENAI_API_KEY" not in os.environ
            and base_url is None
            and "OPENAI_BASE_URL" not in os.environ
        ):  # the provider raises its own missing-key error in the second case
            return OpenAIProvider(base_url=base_url, api_key=api_key)
        if api_key is None and "OPENAI_API_KEY" not in os.environ:
            api_key = "api-key-not-set"  # pydantic-ai's placeholder for keyless local servers
        from learnpath.llm.openai_chat import LeanOpenAI

        client = LeanOpenAI(base_url=base_url, api_key=api_key, http_client=self.http_client())
        return OpenAIProvider(openai_client=client)

    async def aclose(self) -> None:
        """Close the HTTP clients this cache opened (their connections, their sessions)."""
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()


def build_remote_model(
    spec: ModelSpec, api_key: str | None, *, providers: ModelCache | None = None
) -> Model:
    """The pydantic-ai model for a non-offline spec. Nothing is sent until it is used.

    With ``providers``, the provider (and its HTTP client) is reused for the same endpoint.
    """
    cache = providers if providers is not None else ModelCache()
    if spec.kind == "base_url":
        from pydantic_ai.models.openai import OpenAIChatModel

        base_url = spec.base_url

        def build() -> Provider[Any]:
            return cache.openai_provider(base_url=base_url, api_key=api_key or "not-needed")

        provider = cache.provider(f"url:{base_url}", api_key, build)
        return OpenAIChatModel(spec.model, provider=provider)
    if spec.kind == "pydantic_ai":
        try:
            return infer_model(spec.model, provider_factory=_provider_factory(api_key, cache))
        except ImportError:
            name = spec.model.partition(":")[0]
            raise _misconfigured(
                f"the {name!r} provider's SDK is not installed; install "
                f"pydantic-ai-slim[{name}] or choose another model"
            ) from None
        except Exception as exc:  # provider constructors raise assorted errors (missing key…)
            raise _misconfigured(
                f"cannot set up the model {spec.model!r} ({type(exc).__name__}); check "
                "LEARNPATH_MODEL and LEARNPATH_MODEL_API_KEY"
            ) from None
    raise ValueError("the offline model is built by learnpath.llm.offline_model")


def _provider_factory(api_key: str | None, cache: ModelCache) -> Any:
    from pydantic_ai.providers.openai import OpenAIProvider

    def factory(name: str) -> Provider[Any]:
        def build() -> Provider[Any]:
            provider_class: Any = infer_provider_class(name)
            if provider_class is OpenAIProvider:  # openai, openai-chat, openai-responses
                result: Provider[Any] = cache.openai_provider(base_url=None, api_key=api_key)
            elif api_key is None:
                result = infer_provider(name)
            else:
                result = provider_class(api_key=api_key)
            return result

        provider: Provider[Any] = cache.provider(f"provider:{name}", api_key, build)
        return provider

    return factory


class _CustomizedOnce:
    """A model's ``customize_request_parameters``, run once per parameters object.

    The result depends only on the parameters and the model's profile, and neither changes:
    pydantic-ai builds new parameters rather than changing them, and so do learnpath's
    agents. The parameters are held with their result, so an id is never mistaken for
    another object's; a team builds a few dozen of them (one per agent, output style and
    instructions text), and the memory is dropped past ``LIMIT`` should a caller build new
    parameters per request.
    """

    LIMIT = 256

    def __init__(
        self, customize: Callable[[ModelRequestParameters], ModelRequestParameters]
    ) -> None:
        self._customize = customize
        self._done: dict[int, tuple[ModelRequestParameters, ModelRequestParameters]] = {}

    def __call__(self, model_request_parameters: ModelRequestParameters) -> ModelRequestParameters:
        parameters = model_request_parameters
        found = self._done.get(id(parameters))
        if found is not None and found[0] is parameters:
            return found[1]
        customized = self._customize(parameters)
        if len(self._done) >= self.LIMIT:
            self._done.clear()
        self._done[id(parameters)] = (parameters, customized)
        return customized


def customize_once(model: Model) -> None:
    """Make ``model`` customize each parameters object once (see ``_CustomizedOnce``).

    ``customize_request_parameters`` is the hook pydantic-ai documents for subclasses; the
    model's own ``request`` calls it, so it is replaced on the instance, whatever the
    provider's model class.
    """
    model.customize_request_parameters = _CustomizedOnce(  # type: ignore[method-assign]
        model.customize_request_parameters
    )


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _misconfigured(detail: str) -> ModelCallError:
    return ModelCallError(MODEL_MISCONFIGURED, f"Model configuration error: {detail}.")


def policy_from(settings: Settings) -> RetryPolicy:
    """The transport retry policy configured by ``LEARNPATH_MODEL_RETRIES``."""
    return RetryPolicy.from_settings(settings)


def model_for(
    settings: Settings,
    agent: str,
    *,
    sleep: Sleep = asyncio.sleep,
    cache: ModelCache | None = None,
) -> GuardedModel:
    """The guarded model ``agent`` runs on: offline or remote, behind the shared limiter.

    Agents built with one ``cache`` share their inner models and providers (see ``ModelCache``).
    """
    spec = spec_for_agent(settings, agent)
    inner = (cache if cache is not None else ModelCache()).model(spec, settings.model_api_key)
    return guarded(settings, inner, spec.label, sleep=sleep)


def guarded(
    settings: Settings,
    inner: Model,
    label: str,
    *,
    sleep: Sleep = asyncio.sleep,
    agent: str = UNKNOWN_AGENT,
) -> GuardedModel:
    """``inner`` behind the process's shared limiter, timeout and retry policy."""
    return GuardedModel(
        inner,
        display_name=label,
        limiter=process_limiter(settings.model_concurrency),
        timeout=settings.model_timeout_seconds,
        policy=policy_from(settings),
        sleep=sleep,
        agent=agent,
    )
