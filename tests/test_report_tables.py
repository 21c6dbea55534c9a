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
    # two groups: showing the 12 would reveal the 2 as the total minus 12, so both are hidden
    table = tables.counts_table(pd.Series({"internal": 12, "manager": 2}), EN, "Group", "c",
                                min_size=5, labels=EN.group)
    assert table.cells["n"].tolist() == [EN("marks.suppressed"), "< 5"]
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
    # group_measures.parquet rows: A has two open groups and one closed; B one open group
    measures = pd.DataFrame({
        "group_id": ["g1", "g2", "g3", "g4"], "organisation": ["A", "A", "A", "B"],
        "visibility": ["open", "open", "closed", "open"],
        "members_employees": pd.array([3, 9, 4, 10], dtype="Int64"),
        "posts_per_member": pd.array([2 / 3, None, 0.5, 1.0], dtype="Float64"),
        "group_active": pd.array([False, pd.NA, True, True], dtype="boolean")})
    out = data.group_summary(measures).set_index(["organisation", "visibility"])
    # A, open: 2 groups, median of 3 and 9 members = 6, posts per member over the group that
    # has a value = 2/3, active share over the groups with an answer = 0/1
    assert out.loc[("A", "open"), "groups"] == 2 and out.loc[("A", "open"), "members"] == 6
    assert out.loc[("A", "open"), "posts_per_member"] == pytest.approx(2 / 3)
    assert out.loc[("A", "open"), "active_share"] == 0
    assert out.loc[("A", "closed"), "active_share"] == 1
    # A's benchmark is B alone (each other organisation once); B has no closed groups
    bench = data.group_benchmark(data.group_summary(measures), "A").set_index("visibility")
    assert list(bench.index) == ["open"] and bench.loc["open", "members"] == 10
    assert bench.loc["open", "n_organisations"] == 1


def _gap_table():
    # perception_gap.parquet rows: the pooled 'benchmark' row includes A and must not be used
    return pd.DataFrame({
        "organisation": ["A", "B", "C", "D", "benchmark", "A", "B", "C", "D", "benchmark"],
        "variable": ["culture"] * 5 + ["cul_help"] * 5,
        "n_managers": pd.array([6, 7, None, 9, 30, 6, 7, None, 9, 30], dtype="Int64"),
        "mean_managers": [4.0, 4.2, np.nan, 3.9, 4.0, 4.5, 4.0, np.nan, 3.0, 3.8],
        "n_staff": pd.array([20, 30, None, 25, 90, 20, 30, None, 25, 90], dtype="Int64"),
        "mean_staff": [3.0, 3.7, np.nan, 3.5, 3.4, 3.5, 4.0, np.nan, 3.4, 3.6],
        "gap": [1.0, 0.5, np.nan, 0.4, 0.6, 1.0, 0.0, np.nan, -0.4, 0.2],
        "ci_low": [0.2, 0.1, np.nan, 0.0, 0.3, 0.1, -0.4, np.nan, -0.9, 0.0],
        "ci_high": [1.8, 0.9, np.nan, 0.8, 0.9, 1.9, 0.4, np.nan, 0.1, 0.4],
        "p_adj": 0.04, "suppressed": [False, False, True, False, False] * 2})


def test_organisation_gap_leaves_the_organisation_out_by_hand():
    gap = data.organisation_gap(_gap_table(), "A", ["culture", "cul_help"])
    here = gap[gap["scope"] == "organisation"].set_index("variable")
    bench = gap[gap["scope"] == "benchmark"].set_index("variable")
    assert list(gap["variable"]) == ["culture", "culture", "cul_help", "cul_help"]
    assert here.loc["culture", "gap"] == 1.0 and here.loc["culture", "ci_low"] == 0.2
    # by hand: mean of B and D (C is suppressed, A is this organisation, the pooled row is
    # not a leave-one-out benchmark): culture (0.5 + 0.4) / 2, cul_help (0.0 - 0.4) / 2
    assert bench.loc["culture", "gap"] == pytest.approx(0.45)
    assert bench.loc["cul_help", "gap"] == pytest.approx(-0.2)
    assert bench.loc["culture", "managers"] == pytest.approx((4.2 + 3.9) / 2)
    assert bench.loc["culture", "n_organisations"] == 2
    assert bench["ci_low"].isna().all()        # a mean of gaps carries no CI of its own
    # fewer other organisations than min_organisations: no benchmark values at all
    few = data.organisation_gap(_gap_table(), "A", ["culture"], min_organisations=3)
    assert few.loc[few["scope"] == "benchmark", "gap"].isna().all()


def test_pilot_gap_keeps_every_organisation_and_the_pooled_row_last():
    gap = data.pilot_gap(_gap_table(), ["culture"])
    assert list(gap["scope"]) == ["A", "B", "C", "D", "benchmark"]
    assert gap.loc[gap["scope"] == "C", "suppressed"].item()


def test_strongest_correlations_per_level_drop_mirrored_pairs():
    rows = pd.DataFrame({
        "level": ["organisation"] * 3 + ["individual"] * 2,
        "x": ["culture", "culture", "time", "culture", "time"],
        "y": ["contributor", "never_posted", "likes_per_month", "questions", "questions"],
        "method": "spearman", "n": [7, 7, 7, 180, 180], "r": [0.8, -0.8, -0.9, 0.3, 0.1],
        "ci_low": 0.0, "ci_high": 1.0, "p_adj": 0.01, "small_n": [True] * 3 + [False] * 2})
    out = data.strongest_correlations(rows, "spearman", per_level=2)
    # |r| first within each level; never_posted mirrors contributor (same x, n and |r|)
    assert out[["level", "y"]].values.tolist() == [
        ["organisation", "likes_per_month"], ["organisation", "contributor"],
        ["individual", "questions"], ["individual", "questions"]]
    assert data.strongest_correlations(rows, "pearson").empty


def test_questions_answer_keeps_the_configured_method_in_level_order():
    rows = pd.DataFrame({"level": ["individual", "organisation", "organisation"],
                         "method": ["spearman", "pearson", "spearman"], "r": [0.3, 0.7, 0.6]})
    out = data.questions_answer(rows, "spearman")
    assert out["level"].tolist() == ["organisation", "individual"]
    assert out["r"].tolist() == [0.6, 0.3]


def test_measure_labels_and_definitions_come_from_the_measures_module():
    from analysis import measures

    assert data.measure_label("contributor", "nl") == "Bijdrager"
    defs = data.measure_definitions({"questions", "culture", "active"}, "en")
    assert defs["variable"].tolist() == ["questions", "active"]      # measures' own order
    assert defs["definition"].iloc[1] == measures.get("active").definition("en")


def test_group_table_puts_n_in_headers_and_marks_suppression():
    table = tables.group_table(_rows()[lambda r: r["function_group"] != "all"], EN,
                               {"culture": "Culture"}, {}, 5, "per group")
    assert list(table.cells.columns) == ["Topic", "Managers (n < 5)", "Policy (n = 12)"]
    assert table.cells.iloc[0].tolist() == ["Culture", "—*", "3.20"]
    assert any("—*" in note for note in table.notes) and any("▲" in n for n in table.notes)


def test_group_counts_hide_a_second_group_when_one_is_small():
    # hand case: 66 kept = 23 + 12 + 16 + 13 + 2. Showing '< 5' for the 2 while showing the
    # other four lets a reader compute 66 - 64 = 2; the smallest other group that is not the
    # managers (12, external) must be hidden too.
    from analysis.report import load_text
    from analysis.report.tables import counts_table

    text = load_text("nl")
    counts = pd.Series({"internal": 23, "external": 12, "policy": 16, "manager": 13,
                        "unknown": 2})
    table = counts_table(counts, text, "Functiegroep", "caption", min_size=5)
    shown = dict(zip(table.cells["Functiegroep"], table.cells["n"], strict=True))
    assert shown["unknown"] == text("marks.small_n", min_size=5)
    assert shown["external"] == text("marks.suppressed")
    assert shown["internal"] == "23" and shown["manager"] == "13"
