"""Fakes shipped next to what they fake, for learnpath's own tests and benchmarks."""

from learnpath.testing.fake_llm import FakeLLMServer, RateLimit, Reply, Rule

__all__ = ["FakeLLMServer", "RateLimit", "Reply", "Rule"]
