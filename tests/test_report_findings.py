"""Key findings are written from the numbers: three to five, clear differences first by |g|,
suppressed lines never used. Expected sentences are worked out by hand from the rows below."""

import pandas as pd

from analysis.report import load_text
from analysis.report.findings import key_findings

EN = load_text("en")
LABELS = {"culture": "Culture", "time": "Available time", "active": "Active users",
          "safety": "Safety"}
KINDS = {"active": "share"}


def _rows(**changes):
    rows = pd.DataFrame({
        "variable": ["culture", "time", "active", "culture", "safety"],
        "function_group": ["all", "all", "external", "manager", "all"],
        "value": [3.9, 2.4, 0.41, 4.9, 3.5],
        "benchmark": [3.5, 2.9, 0.62, 3.6, 3.45],
        "g": [0.5, -0.8, -0.45, 2.5, 0.1],
        "band": ["above", "below", "below", "above", "in_line"],
        "suppressed": [False, False, False, True, False],
    })
    return rows.assign(**changes)


def test_clear_differences_ordered_by_effect_size_and_tallied():
    findings = key_findings(_rows(), EN, LABELS, KINDS)
    assert findings == [
        "Of the 4 comparisons with the benchmark, 1 lie clearly above, 2 clearly below and 1 "
        "in line.",
        "Everyone: Available time lies clearly below the benchmark (2.40 against 2.90; "
        "g = −0.80).",
        "Everyone: Culture lies clearly above the benchmark (3.90 against 3.50; g = +0.50).",
        "Field services: Active users lies clearly below the benchmark (41% against 62%; "
        "g = −0.45).",
    ]


def test_suppressed_lines_never_appear():
    text = " ".join(key_findings(_rows(), EN, LABELS, KINDS))
    assert "Managers" not in text and "4.90" not in text and "2.50" not in text


def test_at_least_three_findings_when_nothing_is_clear():
    rows = _rows(band="in_line", suppressed=False)
    findings = key_findings(rows, EN, LABELS, KINDS)
    assert 3 <= len(findings) <= 5
    # the largest |g| among in-line lines (the managers' culture, 2.5), then the smallest
    assert "Managers, Culture" in findings[1]
    assert findings[2].startswith("Everyone: Safety is in line")


def test_at_most_five_and_one_per_variable():
    rows = pd.concat([_rows(variable=[f"v{i}"] * 5, suppressed=False) for i in range(4)])
    findings = key_findings(rows, EN, {}, {})
    assert len(findings) == 5
    assert len({f.split(":")[1].split(" lies")[0] for f in findings[1:]}) == 4


def test_no_data():
    assert key_findings(_rows(suppressed=True), EN, LABELS, KINDS) == [EN("findings.none")]
