"""The codebook: one YAML file that describes a survey instrument.

It says which items there are, what they read in Dutch and English, which construct each item
measures, which items are reverse-keyed, the answer range, and which column of each survey
source holds the item. A researcher brings another instrument by writing another codebook; no
code changes. The file format is documented in ``data/raw/README.md`` (section 'Codebook'),
and ``data/raw/demo/codebook.yaml`` is a worked example.

Every stage that touches items reads the codebook through :func:`load`, which validates it and
says exactly where a problem is.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis.errors import InputError, problem

FUNCTION_GROUPS = ("internal", "external", "policy", "manager")
UNKNOWN_GROUP = "unknown"

# Answer labels that mean 1..5 on the agreement scale, in Dutch and English. Matching ignores
# case, accents, punctuation and repeated spaces (see :func:`normalise_label`).
AGREEMENT_LABELS = {
    1: ["zeer mee oneens", "helemaal mee oneens", "helemaal oneens", "zeer oneens",
        "strongly disagree"],
    2: ["mee oneens", "oneens", "disagree"],
    3: ["neutraal", "niet mee eens niet mee oneens", "niet eens niet oneens",
        "neither agree nor disagree", "neutral"],
    4: ["mee eens", "eens", "agree"],
    5: ["zeer mee eens", "helemaal mee eens", "helemaal eens", "zeer eens", "strongly agree"],
}
# Labels that mean 'no answer': they become missing, never a number.
MISSING_LABELS = ["weet niet", "weet ik niet", "geen mening", "n.v.t.", "nvt",
                  "niet van toepassing", "don't know", "dont know", "do not know", "n/a", "na",
                  "not applicable", "prefer not to say", "zeg ik liever niet"]


def normalise_label(text: object) -> str:
    """Fold an answer label for matching: lower case, no accents, punctuation as spaces.

    Examples
    --------
    >>> normalise_label("  Zeer  mee EENS ")
    'zeer mee eens'
    >>> normalise_label("Néutraal"), normalise_label("n.v.t."), normalise_label("Don't know")
    ('neutraal', 'nvt', 'dont know')
    """
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("'", "").replace("’", "").replace(".", "")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Construct:
    """A scale: a set of items whose (reverse-keyed where marked) mean is the construct score."""

    id: str
    name: dict[str, str]
    min_share: float = 0.5
    culture: bool = False  # counts towards the managers-versus-staff perception gap


@dataclass(frozen=True)
class Item:
    """One statement of the questionnaire."""

    id: str
    construct: str | None
    text: dict[str, str]
    reverse: bool = False
    min: int = 1
    max: int = 5
    likert: bool = True
    attention_expected: int | None = None  # set for an attention-check item
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def is_attention_check(self) -> bool:
        return self.attention_expected is not None


@dataclass(frozen=True)
class Codebook:
    """A validated instrument. Build it with :func:`load` or :func:`from_dict`."""

    path: str
    instrument: str
    constructs: dict[str, Construct]
    items: dict[str, Item]
    background: dict[str, dict]  # organisation / function_group questions and their labels
    answer_labels: dict[str, int]  # normalised label -> code, agreement labels plus own ones
    missing_labels: frozenset[str]

    def items_of(self, construct: str) -> list[Item]:
        """The items of one construct, in codebook order."""
        return [i for i in self.items.values() if i.construct == construct]

    @property
    def scale_items(self) -> list[Item]:
        """Items that belong to a construct (attention checks excluded)."""
        return [i for i in self.items.values() if i.construct is not None]

    @property
    def attention_items(self) -> list[Item]:
        return [i for i in self.items.values() if i.is_attention_check]

    def column_map(self, source: str) -> dict[str, str]:
        """Map each source column to its item id, for one survey source (e.g. 'limesurvey')."""
        return {i.sources[source]: i.id for i in self.items.values() if source in i.sources}

    def code_of(self, label: object) -> int | None:
        """Return a label's answer code, ``None`` for a 'no answer' label; KeyError if unknown.

        Numbers and LimeSurvey answer codes (``A1`` .. ``A5``) are accepted as they are.
        """
        key = normalise_label(label)
        if key in self.missing_labels or key == "":
            return None
        if key in self.answer_labels:
            return self.answer_labels[key]
        if key.isdigit():
            return int(key)
        if len(key) >= 2 and key[0] == "a" and key[1:].isdigit():
            return int(key[1:])
        raise KeyError(label)


def load(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file.

    Raises
    ------
    InputError
        Naming the file, the item or construct (as 'row') and the field (as 'column') at fault.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(problem(path, expected="a codebook YAML file (file not found)")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark else None
        raise InputError(problem(path, row, None, None, f"valid YAML ({exc})")) from None
    return from_dict(raw, path)


# Column names of the answers and scores tables: an item or construct may not take them.
RESERVED_IDS = frozenset({"respondent", "organisation", "function_group", "user"})


def _as_int(value: object) -> int | None:
    """An integer from YAML (``3`` or ``3.0``), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def from_dict(raw: dict, path: str | Path = "<codebook>") -> Codebook:
    """Validate a codebook given as a dictionary (as parsed from YAML).

    Every problem is collected before raising, so that one run names them all. Checked:
    constructs have a unique id and a name in Dutch and English, and a ``min_share`` in (0, 1];
    items have a unique id, a known construct (only attention checks may have none), wording in
    Dutch and English, an integer answer range with ``min`` below ``max``, ``reverse`` and
    ``likert`` as true/false, reverse keys only on Likert items, an attention-check answer inside
    the range, and ``sources`` as a mapping in which no column holds two items; every construct
    has an item; no id is one of the table columns in :data:`RESERVED_IDS`.

    Raises
    ------
    InputError
        One problem per fault, naming the construct or item (as 'column', e.g.
        ``item q7.construct``), the value and what was expected.

    Examples
    --------
    >>> book = from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
    ...                   "items": [{"id": "q1", "construct": "c", "reverse": True,
    ...                              "text": {"nl": "Stelling", "en": "Statement"}}]})
    >>> [item.id for item in book.items_of("c")], book.items["q1"].reverse
    (['q1'], True)
    >>> try:
    ...     from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
    ...                "items": [{"id": "q1", "construct": "d", "text": {"nl": "", "en": ""}}]})
    ... except InputError as error:
    ...     print(*error.problems, sep="\\n")
    <codebook>, column 'item q1.construct': value 'd': expected one of the constructs ['c']
    <codebook>, column 'construct c': expected at least one item
    """
    problems = []

    def bad(where, column, value, expected):
        problems.append(problem(path, None, f"{where}.{column}" if column else where, value,
                                expected))

    if not isinstance(raw, dict):
        raise InputError(problem(path, None, None, type(raw).__name__, "a mapping at top level"))

    constructs = {}
    for i, c in enumerate(raw.get("constructs") or []):
        if not isinstance(c, dict):
            bad(f"constructs[{i}]", None, c, "a mapping with id, name and min_share")
            continue
        cid = c.get("id")
        if not cid:
            bad(f"constructs[{i}]", "id", None, "a construct id")
            continue
        cid = str(cid)
        if cid in RESERVED_IDS:
            bad(f"construct {cid}", "id", cid, f"an id other than {sorted(RESERVED_IDS)}")
        name = c.get("name") or {}
        if not isinstance(name, dict) or not {"nl", "en"} <= set(name):
            bad(f"construct {cid}", "name", name, "a name in both 'nl' and 'en'")
            name = {}
        share = c.get("min_share", 0.5)
        if isinstance(share, bool) or not (isinstance(share, (int, float)) and 0 < share <= 1):
            bad(f"construct {cid}", "min_share", share, "a share between 0 and 1")
            share = 0.5
        culture = c.get("culture", False)
        if not isinstance(culture, bool):
            bad(f"construct {cid}", "culture", culture, "true or false")
        if cid in constructs:
            bad(f"construct {cid}", "id", cid, "a unique construct id")
        constructs[cid] = Construct(cid, dict(name), float(share), bool(culture))
    if not constructs:
        bad("constructs", None, None, "at least one construct")

    scale = raw.get("scale") or {}
    default_min, default_max = _as_int(scale.get("min", 1)), _as_int(scale.get("max", 5))
    if default_min is None or default_max is None:
        bad("scale", "min/max", (scale.get("min"), scale.get("max")), "whole numbers")
        default_min, default_max = 1, 5

    items = {}
    source_columns: dict[tuple[str, str], str] = {}
    for i, it in enumerate(raw.get("items") or []):
        if not isinstance(it, dict):
            bad(f"items[{i}]", None, it, "a mapping with id, construct, text and sources")
            continue
        iid = it.get("id")
        if not iid:
            bad(f"items[{i}]", "id", None, "an item id")
            continue
        iid = str(iid)
        where = f"item {iid}"
        if iid in RESERVED_IDS:
            bad(where, "id", iid, f"an id other than {sorted(RESERVED_IDS)}")
        construct = it.get("construct")
        attention = it.get("attention_expected")
        if construct is None and attention is None:
            bad(where, "construct", None, "a construct (only attention checks may have none)")
        elif construct is not None and construct not in constructs:
            bad(where, "construct", construct, f"one of the constructs {sorted(constructs)}")
        flags = {}
        for flag, default in (("likert", True), ("reverse", False)):
            flags[flag] = it.get(flag, default)
            if not isinstance(flags[flag], bool):
                bad(where, flag, flags[flag], "true or false")
                flags[flag] = default
        likert, reverse = flags["likert"], flags["reverse"]
        if reverse and not likert:
            bad(where, "reverse", True, "reverse keys only on Likert items")
        lo, hi = _as_int(it.get("min", default_min)), _as_int(it.get("max", default_max))
        if lo is None or hi is None:
            bad(where, "min/max", (it.get("min"), it.get("max")), "whole numbers")
            lo, hi = default_min, default_max
        elif lo >= hi:
            bad(where, "min/max", (lo, hi), "min below max")
        if attention is not None and (_as_int(attention) is None
                                      or not lo <= _as_int(attention) <= hi):
            bad(where, "attention_expected", attention, f"an answer code from {lo} to {hi}")
            attention = None
        text = it.get("text") or {}
        if not isinstance(text, dict) or not {"nl", "en"} <= set(text):
            bad(where, "text", text, "wording in both 'nl' and 'en'")
            text = {}
        sources = it.get("sources") or {}
        if not isinstance(sources, dict):
            bad(where, "sources", sources, "a mapping of survey source to column name")
            sources = {}
        for source, column in sources.items():
            other = source_columns.setdefault((str(source), str(column)), iid)
            if other != iid:
                bad(where, f"sources.{source}", column,
                    f"a column no other item reads (item {other} reads it)")
        if iid in items:
            bad(where, "id", iid, "a unique item id")
        items[iid] = Item(iid, construct, dict(text), reverse, lo, hi, likert,
                          None if attention is None else int(attention),
                          {str(k): str(v) for k, v in sources.items()})

    for cid in constructs:
        if not any(item.construct == cid for item in items.values()):
            bad(f"construct {cid}", None, None, "at least one item")

    labels = {normalise_label(lab): code for code, labs in AGREEMENT_LABELS.items()
              for lab in labs}
    for lab, code in (raw.get("answer_labels") or {}).items():
        if _as_int(code) is None:
            bad(f"answer_labels.{lab}", None, code, "a whole answer code")
            continue
        labels[normalise_label(lab)] = int(code)
    missing = {normalise_label(lab) for lab in MISSING_LABELS}
    missing |= {normalise_label(lab) for lab in raw.get("missing_labels") or []}

    if problems:
        raise InputError(problems)
    return Codebook(str(path), str(raw.get("instrument", Path(str(path)).stem)), constructs,
                    items, dict(raw.get("background") or {}), labels, frozenset(missing))
