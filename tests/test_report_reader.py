"""What a municipal manager stumbles over in the reports: no-benchmark cells told apart from
suppressed ones, untested comparisons not counted as 'in line', reversed themes coloured the
right way round, Dutch decimal commas on figure axes, no 'n.b.', no '−0', percentage points
named. Expected values are worked out by hand in the comments."""

import io

import matplotlib.image
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.report import data, figures, load_text, tables
from analysis.report.findings import key_findings

EN, NL = load_text("en"), load_text("nl")


def _pixels(figure):
    return (matplotlib.image.imread(io.BytesIO(figure.png))[..., :3] * 255).round()


def _heat_rows(**changes):
    rows = pd.DataFrame({
        "variable": ["culture", "culture", "barriers", "barriers"],
        "function_group": ["all", "manager", "all", "manager"],
        "diff": [0.6, np.nan, -0.6, -0.3],
        "benchmark": [3.0, np.nan, 2.5, 2.4],
        "n_organisations": [6, 2, 6, 6],
        "suppressed": [False, False, False, False],
    })
    return rows.assign(**changes)


def test_heatmap_marks_no_benchmark_apart_from_suppression():
    fig = figures.diff_heatmap(_heat_rows(), EN, {}, "Themes", min_organisations=5)
    # the manager/culture cell has no benchmark (2 organisations < 5): white, not hatched grey
    assert np.all(_pixels(fig) == [0xD9, 0xD9, 0xD9], axis=-1).sum() < 50
    assert "0 cells are hidden" in fig.alt and "1 cells have no benchmark" in fig.alt
    assert "—†" in fig.caption and "Grey hatched" not in fig.caption
    hidden = figures.diff_heatmap(_heat_rows(suppressed=[False, True, False, False]), EN, {},
                                  "Themes", min_organisations=5)
    assert "1 cells are hidden" in hidden.alt and "no benchmark" not in hidden.alt
    assert "Grey hatched (—*)" in hidden.caption
    # too few organisations with a value present is also 'no benchmark', not 'hidden'
    few = figures.diff_heatmap(_heat_rows(n_organisations=[6, 2, 6, 3]), EN, {}, "T",
                               min_organisations=5)
    assert "2 cells have no benchmark" in few.alt


def _red_pixels(fig):
    px = _pixels(fig)
    return int(((px[..., 0] - px[..., 2]) > 80).sum())


def test_heatmap_colours_reverse_constructs_by_what_is_favourable():
    rows = _heat_rows(diff=[0.6, 0.3, -0.6, -0.3], benchmark=3.0, n_organisations=6)
    plain = figures.diff_heatmap(rows, EN, {}, "Themes")
    flipped = figures.diff_heatmap(rows, EN, {"barriers": "Barriers"}, "Themes",
                                   reverse=["barriers"])
    # without the flip the two negative barrier cells are red; with it every cell is blue
    # (lower barriers are better), apart from the colour bar's red half
    assert _red_pixels(plain) > _red_pixels(flipped) + 2000
    assert "For Barriers (↕) higher is worse" in flipped.caption
    assert "higher is worse" in flipped.alt and "higher is worse" not in plain.alt
    assert "−0.60" in flipped.alt                    # the printed value keeps its sign


def test_number_formatter_uses_the_catalogue_decimal_mark():
    f = figures.number_formatter(NL)
    assert [f(0.25), f(1.0), f(-0.4), f(-1e-17), f(12500)] == ["0,25", "1", "−0,4", "0",
                                                               "12.500"]
    assert figures.number_formatter(EN)(0.25) == "0.25"
    fig = Figure()
    ax = fig.subplots()
    mesh = ax.pcolormesh(np.array([[-0.4, 0.25], [0.6, 1.0]]))
    fig.colorbar(mesh, ax=ax)
    ax.set_yticks([0.5, 1.5], ["Beleid", "Buitendienst"])       # fixed labels stay
    figures.localise_axes(fig, NL)
    fig.canvas.draw()
    labels = [t.get_text() for a in fig.axes for t in a.get_xticklabels() + a.get_yticklabels()]
    assert "Beleid" in labels
    numeric = [s for s in labels if any(c.isdigit() for c in s)]
    assert numeric and not any("." in s for s in numeric)
    assert any("," in s for s in numeric)                        # colour bar 0,2 0,4 ...


def test_untested_comparisons_are_not_counted_in_line():
    rows = pd.DataFrame({
        "variable": ["culture", "time", "profile_department"],
        "function_group": ["all", "all", "all"],
        "value": [3.9, 2.8, 1.0], "benchmark": [3.5, 2.9, 1.0], "g": [0.5, -0.1, np.nan],
        "band": ["above", "in_line", "not_tested"], "suppressed": [False] * 3,
    })
    findings = key_findings(rows, EN, {}, {})
    # 2 tested (1 above, 1 in line); the untested one named apart, never a finding
    assert findings[0].startswith("Of the 2 comparisons with the benchmark, 1 lie clearly "
                                  "above, 0 clearly below and 1 in line. 1 other comparisons "
                                  "were not tested")
    assert not any("Profile department" in f for f in findings)


def test_dutch_marks_and_signs():
    assert NL.get("marks.not_available") != "n.b."
    assert "n.b." not in (NL.get("marks.not_available_note")
                          + NL("sections.methods.cfa_note"))
    # a difference that rounds to zero is 0, not −0 or +0
    assert NL.signed(-0.001) == "0,00" and NL.signed(-0.4, 0) == "0"
    assert NL.signed(0.004) == "0,00" and NL.signed(-0.006) == "−0,01"
    assert NL.num(-0.001, 1) == "0,0"


def test_share_differences_say_percentage_points():
    rows = data.normalise_benchmark(pd.DataFrame({
        "organisation": ["A", "A"], "function_group": ["all", "all"],
        "variable": ["share_active", "culture"], "n": [40, 40], "mean": [0.62, 3.6],
        "benchmark_mean": [0.50, 3.4], "p25": [0.4, 3.3], "p75": [0.6, 3.5], "g": [0.4, 0.3],
        "ci_low": [0.02, 0.0], "ci_high": [0.22, 0.4], "band": ["above", "in_line"],
        "suppressed": [False, False], "n_organisations": [6, 6]}))
    table = tables.benchmark_table(rows, NL, "Zuidwerk", {}, {"share_active": "share"}, 5, 5,
                                   "c")
    diff = table.cells[NL("columns.diff")].tolist()
    assert diff == ["+12 procentpunt", "+0,20"]           # 62% - 50% = 12 points by hand
    assert table.cells[NL("columns.ci")].iloc[0] == "2 – 22"
    en = tables.benchmark_table(rows, EN, "Z", {}, {"share_active": "share"}, 5, 5, "c")
    assert en.cells["Difference"].iloc[0] == "+12 pp"
