"""Report tables and the prepared section data: n in every table, suppressed values marked
(never blank or zero), and counts and gaps checked against hand calculations."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.report import data, load_text, tables

EN = load_text("en")


def _rows():
    # canonical benchmark rows: one shown, one suppressed (n = 3), one without a benchmark
    return data.normalise_benchmark(pd.DataFrame({
        "organisation": ["A", "A", "A"],
        "function_group": ["all", "manager", "policy"],
        "variable": ["culture", "culture", "culture"],
        "n": [40, 3, 12], "mean": [3.61, 4.44, 3.2], "benchmark_mean": [3.40, 3.50, np.nan],
        "p25": [3.3, 3.3, np.nan], "p75": [3.5, 3.6, np.nan], "g": [0.4, 1.2, np.nan],
        "ci_low": [0.05, 0.1, np.nan], "ci_high": [0.37, 1.8, np.nan],
        "band": ["clearly above", "above", None], "suppressed": [False, True, False],
        "n_organisations": [6, 6, 2]}))


def test_benchmark_table_marks_suppressed_and_missing_benchmark():
    table = tables.benchmark_table(_rows(), EN, "Zuidwerk", {"culture": "Culture"}, {}, 5, 5,
                                   "caption")
    cells = table.cells.set_index("Function group")
    assert cells.loc["Everyone", "Zuidwerk"] == "3.61"
    assert cells.loc["Everyone", "Difference"] == "+0.21"          # 3.61 - 3.40 by hand
    assert cells.loc["Everyone", "Verdict"] == "clearly above"
    manager = cells.loc["Managers"]
    assert manager["n"] == "< 5"
    for column in ("Zuidwerk", "Difference", "95% CI difference", "Verdict"):
        assert manager[column] == "—*"
    assert "4.44" not in table.to_html()                            # the hidden value
    assert cells.loc["Policy", "Benchmark"] == "—†"                 # 2 organisations < 5
    assert (table.cells != "").all(axis=None)                      # never blank
    assert any("fewer than 5" in note for note in table.notes)
    assert any("fewer than 5 comparable" in note for note in table.notes)


def test_table_html_has_caption_and_header_cells():
    html = tables.benchmark_table(_rows(), EN, "Z", {}, {}, 5, 5, "Culture here").to_html()
    assert "<caption>Culture here</caption>" in html
    assert html.count('<th scope="col"') == 9
    assert '<th scope="row">' in html


def test_counts_table_hides_small_counts():
    table = tables.counts_table(pd.Series({"internal": 12, "manager": 2}), EN, "Group", "c",
                                min_size=5, labels=EN.group)
    assert table.cells["n"].tolist() == ["12", "< 5"]
    assert table.notes


def test_format_value_by_kind():
    assert tables.format_value(0.456, "share", EN) == "46%"
    assert tables.format_value(2.04, "count", EN) == "2.0"
    assert tables.format_value(3.456, "score", EN) == "3.46"
    assert tables.format_value(np.nan, "score", EN) == "n/a"


def test_normalise_benchmark_names_the_missing_column():
    with pytest.raises(InputError) as err:
        data.normalise_benchmark(pd.DataFrame({"organisation": ["A"], "variable": ["x"]}),
                                 "benchmark.parquet")
    assert "function_group" in str(err.value)


def test_response_counts_by_hand():
    respondents = pd.DataFrame({"organisation": ["A"] * 5 + ["B"],
                                "function_group": ["internal"] * 3 + ["manager"] * 3})
    kept = respondents.iloc[[0, 1, 3]]
    exclusions = pd.DataFrame({"organisation": ["A", "A"],
                               "rules": ["speeding;straightlining", "speeding"]})
    counts = data.response_counts(respondents, kept, exclusions, "A")
    assert (counts["submitted"], counts["kept"]) == (5, 3)
    assert counts["by_rule"].to_dict() == {"speeding": 2, "straightlining": 1}
    assert counts["by_group"].to_dict() == {"internal": 2, "manager": 1}


def test_group_summary_by_hand():
    groups = pd.DataFrame({"group_id": ["g1", "g2", "g3"], "organisation": ["A", "A", "A"],
                           "visibility": ["open", "closed", "open"],
                           "deleted": [False, False, True]})
    users = pd.DataFrame({"user": ["u1", "u2", "u3", "c1"],
                          "user_type": ["employee"] * 3 + ["citizen"]})
    memberships = pd.DataFrame({"group_id": ["g1", "g1", "g1", "g1", "g2", "g2"],
                                "user": ["u1", "u2", "u3", "c1", "u1", "u2"]})
    t = pd.Timestamp
    events = pd.DataFrame({"user": ["u1", "u1", "c1", "u2", "u1"],
                           "group_id": ["g1", "g1", "g1", "g1", "g2"],
                           "created_at": [t("2025-10-01"), t("2025-11-01"), t("2025-10-01"),
                                          t("2024-01-01"), t("2025-12-01")]})
    out = data.group_summary(groups, events, memberships, users, "2025-09-01", "2026-02-28",
                             0.5).set_index("visibility")
    # g1 (open): 3 employee members (the citizen is left out), 2 posts by u1 in the window
    # (u2's post is before it): posts per member 2/3; posters 1 of 3 < 50% -> not active.
    assert out.loc["open", "groups"] == 1 and out.loc["open", "members"] == 3
    assert out.loc["open", "posts_per_member"] == pytest.approx(2 / 3)
    assert out.loc["open", "active_share"] == 0
    # g2 (closed): 2 members, 1 post by u1: 1/2 per member, 1 of 2 posted -> active
    assert out.loc["closed", "posts_per_member"] == pytest.approx(0.5)
    assert out.loc["closed", "active_share"] == 1


def test_perception_gap_by_hand():
    rows = []
    for org, manager, staff in [("A", [4, 5, 4, 5, 4], [3, 3, 3, 3, 3, 3]),
                                ("B", [4, 4, 4, 4, 4], [2, 2, 2, 2, 2]),
                                ("C", [5, 5], [1, 1, 1, 1, 1])]:
        rows += [{"organisation": org, "function_group": "manager", "culture": v}
                 for v in manager]
        rows += [{"organisation": org, "function_group": "policy", "culture": v} for v in staff]
    gap = data.perception_gap(pd.DataFrame(rows), ["culture"], "A", 5).set_index("scope")
    assert gap.loc["organisation", "gap"] == pytest.approx(4.4 - 3.0)
    # C has 2 managers: suppressed and left out of the benchmark, which is B's gap alone
    assert gap.loc["benchmark", "gap"] == pytest.approx(2.0)
    assert gap.loc["benchmark", "n_organisations"] == 1


def test_group_table_puts_n_in_headers_and_marks_suppression():
    table = tables.group_table(_rows()[lambda r: r["function_group"] != "all"], EN,
                               {"culture": "Culture"}, {}, 5, "per group")
    assert list(table.cells.columns) == ["Topic", "Managers (n < 5)", "Policy (n = 12)"]
    assert table.cells.iloc[0].tolist() == ["Culture", "—*", "3.20"]
    assert any("—*" in note for note in table.notes) and any("▲" in n for n in table.notes)
