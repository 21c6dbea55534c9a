"""Tests of analysis.codebook: the instrument file is read, and every fault is named.

References: the codebooks in data/raw/demo/ and tests/data/bfi_psych/ (keys from psych's bfi
documentation, quoted in tests/data/bfi_psych/SOURCE.txt), and the format documented in
data/raw/README.md, section 'Codebook'.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from analysis import codebook as cbm
from analysis.errors import InputError

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"

SMALL = {
    "instrument": "small",
    "scale": {"min": 1, "max": 5},
    "constructs": [{"id": "trust", "name": {"nl": "Vertrouwen", "en": "Trust"},
                    "min_share": 0.5},
                   {"id": "ties", "name": {"nl": "Banden", "en": "Ties"}, "culture": True}],
    "items": [
        {"id": "t1", "construct": "trust", "text": {"nl": "a", "en": "a"},
         "sources": {"limesurvey": "TR[SQ001]", "tidy": "t1"}},
        {"id": "t2", "construct": "trust", "reverse": True, "text": {"nl": "b", "en": "b"},
         "sources": {"limesurvey": "TR[SQ002]", "tidy": "t2"}},
        {"id": "k1", "construct": "ties", "min": 0, "max": 10, "text": {"nl": "c", "en": "c"}},
        {"id": "check", "construct": None, "attention_expected": 4,
         "text": {"nl": "Kies 4", "en": "Choose 4"}, "sources": {"limesurvey": "TR[SQ003]"}},
    ],
    "answer_labels": {"Heel vaak": 5},
}


def _problems(raw: dict) -> list:
    with pytest.raises(InputError) as info:
        cbm.from_dict(raw, "book.yaml")
    return info.value.problems


def test_demo_and_bfi_codebooks_load():
    demo = cbm.load(ROOT / "data" / "raw" / "demo" / "codebook.yaml")
    assert len(demo.constructs) == 9 and demo.attention_items[0].id == "attention"
    assert demo.column_map("limesurvey")["VERB[SQ004]"] == "con_4"
    bfi = cbm.load(DATA / "bfi_psych" / "bfi_codebook.yaml")
    # psych's keys (SOURCE.txt): -A1, -C4, -C5, -E1, -E2, -O2, -O5; answers 1-6
    assert sorted(i.id for i in bfi.items.values() if i.reverse) == ["A1", "C4", "C5", "E1",
                                                                    "E2", "O2", "O5"]
    assert {(i.min, i.max) for i in bfi.items.values()} == {(1, 6)}
    assert [i.id for i in bfi.items_of("openness")] == ["O1", "O2", "O3", "O4", "O5"]


def test_from_dict_reads_every_field():
    book = cbm.from_dict(SMALL, "small.yaml")
    assert book.instrument == "small"
    assert book.constructs["trust"].min_share == 0.5 and book.constructs["ties"].culture
    assert book.constructs["ties"].min_share == 0.5  # the default
    assert [i.id for i in book.scale_items] == ["t1", "t2", "k1"]
    assert book.items["t2"].reverse and not book.items["t1"].reverse
    assert (book.items["k1"].min, book.items["k1"].max) == (0, 10)  # own range beats 'scale'
    assert book.items["check"].is_attention_check and book.items["check"].construct is None
    assert book.column_map("tidy") == {"t1": "t1", "t2": "t2"}
    assert book.code_of("heel  VAAK") == 5 and book.code_of("Zeer mee eens") == 5
    assert book.code_of("weet niet") is None and book.code_of("A3") == 3
    with pytest.raises(KeyError):
        book.code_of("soms")


@pytest.mark.parametrize("change, column, expected", [
    (lambda r: r["items"][0].update(construct="trustt"), "item t1.construct", "one of the"),
    (lambda r: r["items"][0].update(construct=None), "item t1.construct", "only attention"),
    (lambda r: r["items"][2].update(likert=False, reverse=True), "item k1.reverse",
     "only on Likert"),
    (lambda r: r["items"][1].update(reverse="yes please"), "item t2.reverse", "true or false"),
    (lambda r: r["items"][0].update(min=5, max=1), "item t1.min/max", "min below max"),
    (lambda r: r["items"][0].update(max="vijf"), "item t1.min/max", "whole numbers"),
    (lambda r: r["items"][3].update(attention_expected=7), "item check.attention_expected",
     "from 1 to 5"),
    (lambda r: r["items"][1]["sources"].update(tidy="t1"), "item t2.sources.tidy",
     "no other item"),
    (lambda r: r["items"][0].update(text={"nl": "alleen Nederlands"}), "item t1.text",
     "'nl' and 'en'"),
    (lambda r: r["items"][1].update(id="t1"), "item t1.id", "unique item id"),
    (lambda r: r["items"][0].update(id="organisation"), "item organisation.id", "other than"),
    (lambda r: r["constructs"][0].update(min_share=1.5), "construct trust.min_share",
     "between 0 and 1"),
    (lambda r: r["constructs"][0].update(name={"en": "Trust"}), "construct trust.name",
     "'nl' and 'en'"),
    (lambda r: r["constructs"].append({"id": "empty", "name": {"nl": "x", "en": "x"}}),
     "construct empty", "at least one item"),
    (lambda r: r["items"].append("t3"), "items[4]", "a mapping"),
])
def test_each_fault_is_named_with_its_field(change, column, expected):
    raw = copy.deepcopy(SMALL)
    change(raw)
    problems = _problems(raw)
    assert any(p.column == column and expected in p.expected for p in problems), problems
    assert all(p.file == "book.yaml" for p in problems)


def test_all_faults_are_reported_at_once():
    raw = copy.deepcopy(SMALL)
    raw["items"][0]["construct"] = "nope"
    raw["constructs"][1]["min_share"] = 0
    assert {p.column for p in _problems(raw)} == {"item t1.construct",
                                                  "construct ties.min_share"}


def test_load_names_the_file_and_the_yaml_line(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        cbm.load(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("constructs:\n  - id: a\n    name: {nl: x, en: y\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        cbm.load(broken)
    (found,) = info.value.problems
    assert found.row is not None and "valid YAML" in found.expected
    listed = tmp_path / "list.yaml"
    listed.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InputError, match="a mapping at top level"):
        cbm.load(listed)


def test_the_documented_example_is_a_valid_codebook():
    text = (ROOT / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Codebook.*?```yaml\n(.*?)```", text, re.S).group(1)
    book = cbm.from_dict(yaml.safe_load(block), "data/raw/README.md")
    assert [i.id for i in book.items.values() if i.reverse] == ["psy_2"]
    assert book.code_of("Eens") == 4 and book.code_of("Geen idee") is None
    assert book.attention_items[0].attention_expected == 4
