"""The reports stakeholders read: one per organisation and the cross-organisation pilot study.

Stage ``render`` of the pipeline. The report notebooks in ``notebooks/`` (templates executed by
papermill once per organisation) call into this package:

- :func:`load_text` opens the wording of one language (``text_nl.yaml``, ``text_en.yaml``): every
  sentence, heading, label and caption of a report lives there, not in code;
- :mod:`~analysis.report.data` reads the processed tables and prepares what each section shows;
- :mod:`~analysis.report.figures` draws the figures (one colour-blind-safe palette), each with a
  caption and alternative text;
- :mod:`~analysis.report.tables` formats tables that always show n and mark suppressed values;
- :mod:`~analysis.report.findings` writes the key findings from the benchmark numbers;
- :mod:`~analysis.report.render` executes the notebooks and turns them into HTML and PDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LANGUAGES = ("nl", "en")


class _Keep(dict):
    """A format mapping that leaves unknown placeholders as they are."""

    def __missing__(self, key):
        return "{" + key + "}"


@dataclass(frozen=True)
class Text:
    """The wording of one language, with number formatting in that language's conventions.

    Look a sentence up with ``text("sections.response.title")`` and fill its placeholders with
    keyword arguments. Numbers go through :meth:`num` and :meth:`pct` so that Dutch reports
    read ``3,4`` and ``12%`` and English ones ``3.4`` and ``12%``.

    Examples
    --------
    >>> nl = load_text("nl")
    >>> nl.num(3.456), nl.pct(0.125), load_text("en").num(1234.5, 1)
    ('3,46', '12%', '1,234.5')
    >>> nl("function_groups.manager")
    'Leidinggevenden'
    """

    language: str
    catalogue: dict = field(repr=False)

    def get(self, key: str):
        """Return the raw entry at a dotted key (a string or a nested mapping)."""
        node = self.catalogue
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"text_{self.language}.yaml has no entry {key!r}")
            node = node[part]
        return node

    def __call__(self, key: str, **values) -> str:
        """Return the sentence at ``key`` with its ``{placeholders}`` filled from ``values``."""
        entry = self.get(key)
        if not isinstance(entry, str):
            raise KeyError(f"text_{self.language}.yaml entry {key!r} is not a sentence")
        return " ".join(entry.split()).format_map(_Keep(values))

    def num(self, value, digits: int = 2) -> str:
        """Format a number with the language's decimal mark and thousands separator."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.get("marks.not_available")
        text = f"{float(value):,.{digits}f}"
        text = text.translate(str.maketrans({",": self.get("thousands"),
                                             ".": self.get("decimal"), "-": "−"}))
        return "0" + text[2:] if text.startswith("−0") and not any(c in "123456789" for c in
                                                                    text) else text

    def signed(self, value, digits: int = 2) -> str:
        """Format a difference with an explicit sign (a true minus sign for negatives); a value
        that rounds to zero reads as plain 0, never '−0' or '+0,00'."""
        text = self.num(abs(value), digits)
        if not any(c in "123456789" for c in text):
            return text
        return ("+" if value > 0 else "−" if value < 0 else "") + text

    def p(self, value) -> str:
        """Format a p value with three decimals, and as '< 0,001' (or '< 0.001') below that."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.get("marks.not_available")
        return self.num(value, 3) if value >= 0.001 else "< " + self.num(0.001, 3)

    def pct(self, share, digits: int | None = None) -> str:
        """Format a share (0..1) as a percentage; one decimal below 10%, none above."""
        if share is None or (isinstance(share, float) and math.isnan(share)):
            return self.get("marks.not_available")
        if digits is None:
            digits = 1 if abs(share) < 0.1 and share != 0 else 0
        return self.num(100 * share, digits) + "%"

    def group(self, function_group: str) -> str:
        """The name of a function group ('all' reads as everyone)."""
        groups = self.get("function_groups")
        return groups.get(function_group, str(function_group))

    def variable(self, variable: str, constructs: dict | None = None) -> str:
        """The label of a variable: a usage measure from the catalogue, a construct from the
        codebook (``constructs``: id -> {'nl': ..., 'en': ...}), otherwise the id made readable."""
        labels = self.get("variables")
        if variable in labels:
            return labels[variable]
        if constructs and variable in constructs:
            names = constructs[variable]
            return names.get(self.language) or next(iter(names.values()))
        return str(variable).replace("_", " ").capitalize()


@cache
def _catalogue(language: str) -> dict:
    path = HERE / f"text_{language}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_text(language: str = "nl") -> Text:
    """Open the report wording of one language ('nl' or 'en').

    Raises
    ------
    ValueError
        For a language without a catalogue.
    """
    if language not in LANGUAGES:
        raise ValueError(f"render.language must be one of {LANGUAGES}, not {language!r}")
    return Text(language, _catalogue(language))
