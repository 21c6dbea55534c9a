"""The report wording: both catalogues complete and alike, every key the code uses present,
numbers formatted in each language's conventions (checked by hand against Dutch and English
typographic practice: decimal comma and thousands point in Dutch, the reverse in English)."""

import re
import string
from pathlib import Path

import pytest

from analysis.report import HERE, load_text


def _keys(node, prefix=""):
    if isinstance(node, dict):
        out = set()
        for key, value in node.items():
            out |= _keys(value, f"{prefix}{key}.")
        return out
    return {prefix[:-1]}


def _placeholders(sentence):
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name}


def test_catalogues_have_the_same_keys_and_placeholders():
    nl, en = load_text("nl"), load_text("en")
    assert _keys(nl.catalogue) == _keys(en.catalogue)
    for key in _keys(nl.catalogue):
        a, b = nl.get(key), en.get(key)
        if isinstance(a, str):
            assert _placeholders(a) == _placeholders(b), key


def test_every_key_the_code_looks_up_exists_in_both_languages():
    # literal look-ups such as t("sections.summary.title") or text("marks.suppressed")
    pattern = re.compile(r'\b(?:t|text|ctx\.text)\(\s*f?"([a-z_]+(?:\.[a-z_{}\[\]\'"]+)+)"')
    used = set()
    for path in HERE.glob("*.py"):
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    literal = {k for k in used if "{" not in k}
    assert len(literal) > 40  # the scan found the look-ups (it must not pass vacuously)
    for language in ("nl", "en"):
        text = load_text(language)
        for key in literal:
            text.get(key)


def test_sections_have_titles_in_both_languages():
    for language in ("nl", "en"):
        text = load_text(language)
        for section in ("summary", "response", "usage", "profiles", "groups", "survey",
                        "soft_hard", "methods", "pilot_benchmark", "limitations"):
            assert text(f"sections.{section}.title")


def test_numbers_follow_the_language():
    nl, en = load_text("nl"), load_text("en")
    assert nl.num(1234.5) == "1.234,50"
    assert en.num(1234.5) == "1,234.50"
    assert nl.num(-0.25) == "−0,25"          # a true minus sign
    assert nl.num(-0.001) == "0,00"          # no negative zero
    assert nl.pct(0.5) == "50%" and nl.pct(0.055) == "5,5%"
    assert en.signed(0.3) == "+0.30" and en.signed(-0.3) == "−0.30"


def test_placeholders_are_filled_and_unknown_keys_fail():
    en = load_text("en")
    assert en("meta.title_organisation", organisation="Zuidwerk") == "Intranet benchmark: Zuidwerk"
    with pytest.raises(KeyError):
        en("sections.nothing.here")
    with pytest.raises(ValueError):
        load_text("de")


def test_catalogue_files_are_the_only_wording():
    # the two catalogues sit beside the code, one per language
    assert sorted(p.name for p in Path(HERE).glob("text_*.yaml")) == ["text_en.yaml",
                                                                      "text_nl.yaml"]
