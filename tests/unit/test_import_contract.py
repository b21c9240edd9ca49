"""The import contract in pyproject.toml stays complete as top-level modules come and go."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import learnpath

ROOT = Path(__file__).resolve().parents[2]


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def top_level_modules() -> set[str]:
    return {f"learnpath.{m.name}" for m in pkgutil.iter_modules(learnpath.__path__)}


def test_domain_is_forbidden_every_other_top_level_module() -> None:
    domain = contracts()["domain-alone"]
    assert domain["source_modules"] == ["learnpath.domain"]
    assert set(domain["forbidden_modules"]) == top_level_modules() - {"learnpath.domain"}
