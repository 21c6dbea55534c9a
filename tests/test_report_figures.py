"""Report figures: colour-blind-safe palette with enough contrast, alt text and caption on
every figure, images embedded (no network), suppressed cells masked rather than coloured."""

import io

import matplotlib.image
import numpy as np
import pandas as pd

from analysis.report import figures, load_text

EN = load_text("en")


def _luminance(hex_colour):
    # WCAG 2.1 relative luminance (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_mark_colours_contrast_with_white():
    # WCAG 1.4.11 asks 3:1 for graphical objects; white has luminance 1
    for name in ("organisation", "benchmark", "other", "highlight"):
        ratio = 1.05 / (_luminance(figures.PALETTE[name]) + 0.05)
        assert ratio >= 3.0, name
    # by hand: L(#0072B2) = 0.7152 * 0.1683 + 0.0722 * 0.4451 = 0.1525 -> 1.05 / 0.2025 = 5.18
    assert abs(1.05 / (_luminance("#0072B2") + 0.05) - 5.18) < 0.01


def _survey_rows():
    return pd.DataFrame({
        "variable": ["culture", "culture", "time", "time"],
        "function_group": ["all", "manager", "all", "manager"],
        "diff": [0.3, -2.0, -0.1, 0.2],
        "suppressed": [False, True, False, False],
    })


def _pixels(figure):
    return (matplotlib.image.imread(io.BytesIO(figure.png))[..., :3] * 255).round()


def test_heatmap_masks_suppressed_cells():
    labels = {"culture": "Culture", "time": "Time"}
    fig = figures.diff_heatmap(_survey_rows(), EN, labels, "Themes")
    assert "1 cells are hidden" in fig.alt
    assert "−2.00" not in fig.alt and "2.00" not in fig.alt      # the hidden value
    assert "Highest: Everyone, Culture (+0.30)" in fig.alt
    grey = np.all(_pixels(fig) == [0xD9, 0xD9, 0xD9], axis=-1).sum()
    assert grey > 500                                            # the hatched grey cell


def test_heatmap_without_suppression_has_no_grey_cell():
    fig = figures.diff_heatmap(_survey_rows().assign(suppressed=False), EN, {}, "Themes")
    assert np.all(_pixels(fig) == [0xD9, 0xD9, 0xD9], axis=-1).sum() < 50
    assert "0 cells are hidden" in fig.alt


def test_figure_html_is_accessible_and_self_contained():
    rows = pd.DataFrame({"variable": ["active"] * 2, "function_group": ["all", "manager"],
                         "value": [0.6, 0.9], "benchmark": [0.5, 0.5], "p25": [0.4, 0.4],
                         "p75": [0.6, 0.6], "suppressed": [False, True]})
    fig = figures.benchmark_dots(rows, EN, "Zuidwerk", {"active": "Active users"},
                                 {"active": "share"}, "Use")
    html = fig.to_html()
    assert html.startswith('<figure class="report-figure"><img src="data:image/png;base64,')
    assert 'alt="Dot plot, 1 panels (Active users)' in html
    assert "<figcaption>Use</figcaption>" in html
    assert "http" not in html
    assert "90%" not in fig.alt                                   # managers are suppressed
    assert "Highest: Everyone, Active users (60%)" in fig.alt


def test_scatter_names_only_the_highlighted_organisation():
    points = pd.DataFrame({"organisation": ["A", "B", "C"], "survey_index": [0.1, -1, 1],
                           "usage_index": [0.2, -0.5, 0.9]})
    fig = figures.index_scatter(points, EN, "c", highlight="A", highlight_label="Zuidwerk")
    assert "Zuidwerk has survey index 0.10" in fig.alt
    assert "B" not in fig.alt.replace("Box", "")
