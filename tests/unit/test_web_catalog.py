"""The UI catalog: both languages hold the same keys, and every key a template uses exists."""

from __future__ import annotations

import ast
import re
from importlib.resources import files
from pathlib import Path

import learnpath
from learnpath.web.i18n import CATALOG, EN, ZH, translate

KEY_CALL = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]""")


def _template_keys() -> set[str]:
    folder = files("learnpath.web").joinpath("templates")
    keys: set[str] = set()
    for entry in folder.iterdir():
        if entry.name.endswith(".html"):
            keys.update(KEY_CALL.findall(entry.read_text(encoding="utf-8")))
    return {key for key in keys if not key.endswith(".")}  # "prefix." ~ value: a label


def test_both_languages_have_the_same_keys() -> None:
    assert set(EN) == set(ZH)
    assert set(CATALOG) == {"en", "zh"}


def test_every_template_key_is_in_the_catalog() -> None:
    used = _template_keys()
    assert len(used) > 50
    assert sorted(used - set(EN)) == []


def test_placeholders_match_across_languages() -> None:
    field = re.compile(r"\{(\w+)\}")
    mismatched = [k for k in EN if set(field.findall(EN[k])) != set(field.findall(ZH[k]))]
    assert mismatched == []


def test_translate_fills_parameters_and_falls_back_to_english() -> None:
    assert translate("zh", "generic.hours", hours=3) == "3 小时"
    assert translate("fr", "generic.hours", hours=3) == "3 h"


def _conflict_codes() -> set[str]:
    """Every ``code=`` given to a ``Conflict`` raised anywhere in the package."""
    codes: set[str] = set()
    for path in Path(learnpath.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Conflict":
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        codes.add(str(keyword.value.value))
    return codes


def test_every_refused_command_is_worded_in_the_catalog() -> None:
    codes = _conflict_codes()
    assert {"not_waiting_for_review", "task_finished", "task_busy"} <= codes
    assert sorted(c for c in codes if f"conflict.{c}" not in EN) == []
