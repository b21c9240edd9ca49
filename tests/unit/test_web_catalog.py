"""The UI catalog: both languages hold the same keys, and every key a template uses exists."""

from __future__ import annotations

import re
from importlib.resources import files

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
