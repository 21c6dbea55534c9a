"""The report figures: one colour-blind-safe palette, axis labels with units, caption and alt text.

Every function returns a :class:`ReportFigure`: the PNG, a caption and the alternative text a
screen reader announces. In a notebook it displays as an ``<figure>`` with an embedded image
(a data URI: nothing is loaded from the network) and a ``<figcaption>``; where Quarto is
installed a PNG is offered too, for its PDF, which does not take HTML.

Figures are drawn on :class:`matplotlib.figure.Figure` objects, not through pyplot, so that
nothing is shown twice in a notebook and nothing leaks between reports.

Suppressed values are never drawn as numbers: in heat maps their cells are masked, grey and
hatched with the suppression mark; in dot plots the mark stands where the dot would be.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter, ScalarFormatter  # noqa: E402

from analysis.report import Text  # noqa: E402

# Okabe & Ito (2008) colours, safe for the common colour-vision deficiencies; every colour used
# for marks has a contrast of at least 3:1 against white (WCAG 2.1, 1.4.11).
PALETTE = {
    "organisation": "#0072B2",   # blue: this organisation
    "benchmark": "#000000",      # black: the benchmark
    "range": "#8C8C8C",          # grey: the benchmark's 25th-75th percentile
    "other": "#6E6E6E",          # grey: other organisations (anonymous)
    "highlight": "#D55E00",      # vermillion: the organisation in a scatter
    "suppressed": "#D9D9D9",     # light grey fill, hatched, for hidden cells
}
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
DIVERGING = "RdBu"      # ColorBrewer, colour-blind safe; blue = above, red = below
SEQUENTIAL = "cividis"  # designed for colour-vision deficiency
DPI = 110
FONT = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "font.family": "DejaVu Sans"}


@dataclass
class ReportFigure:
    """A rendered figure with its caption and alternative text."""

    png: bytes
    caption: str
    alt: str
    width_px: int = 0

    def to_html(self) -> str:
        """An accessible ``<figure>``: embedded image with alt text, and a caption."""
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<figure class="report-figure"><img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(self.alt, quote=True)}">'
                f"<figcaption>{html.escape(self.caption)}</figcaption></figure>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/html": self.to_html()}
        if shutil.which("quarto"):
            # Quarto's PDF (Typst) takes images, not HTML; nbconvert uses the HTML only, so the
            # PNG is stored a second time in the notebook only when Quarto will render it
            bundle["image/png"] = base64.b64encode(self.png).decode()
        return bundle


def number_formatter(text: Text) -> FuncFormatter:
    """A tick formatter that writes numbers in the report language: decimal mark and thousands
    separator from the text catalogue, a true minus sign, no trailing zeros, never '−0'.

    No system locale is needed: the marks come from ``text_<language>.yaml``.

    Examples
    --------
    >>> from analysis.report import load_text
    >>> f = number_formatter(load_text("nl"))
    >>> f(0.25), f(1.0), f(-0.4), f(-1e-17), f(2500)
    ('0,25', '1', '−0,4', '0', '2.500')
    """
    decimal, thousands = text.get("decimal"), text.get("thousands")

    def fmt(x, pos=None):
        x = round(float(x), 10)
        if x == 0:
            return "0"
        digits = len(np.format_float_positional(abs(x), trim="-").partition(".")[2])
        out = f"{x:,.{min(digits, 6)}f}"
        return out.translate(str.maketrans({",": thousands, ".": decimal, "-": "−"}))

    return FuncFormatter(fmt)


def localise_axes(fig: Figure, text: Text) -> None:
    """Put :func:`number_formatter` on every numeric axis of ``fig``, colour bars included.

    Axes whose ticks carry fixed labels (function groups, organisations) keep them.
    """
    formatter = number_formatter(text)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(formatter)


def _finish(fig: Figure, caption: str, alt: str, text: Text | None = None) -> ReportFigure:
    if text is not None:
        localise_axes(fig, text)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return ReportFigure(buffer.getvalue(), caption, alt, int(fig.get_figwidth() * DPI))


def _summary(text: Text, labels: pd.Series, values: pd.Series, fmt) -> str:
    """'Highest: X (v). Lowest: Y (w).' for the alt text, over the values that are shown."""
    shown = values.dropna()
    if shown.empty:
        return ""
    hi, lo = shown.idxmax(), shown.idxmin()
    out = text("figures.summary_highest", label=labels[hi], value=fmt(shown[hi]))
    if lo != hi:
        out += " " + text("figures.summary_lowest", label=labels[lo], value=fmt(shown[lo]))
    return out


def benchmark_dots(rows: pd.DataFrame, text: Text, organisation: str, labels: dict,
                   units: dict, caption: str) -> ReportFigure:
    """Dot plot per variable: the organisation's value per function group beside the benchmark.

    Parameters
    ----------
    rows : DataFrame
        Canonical benchmark rows of one organisation (see ``data.normalise_benchmark``).
    labels : dict
        variable -> label shown as panel title.
    units : dict
        variable -> 'share' (plotted as %), 'rate' or 'count'.
    """
    variables = list(dict.fromkeys(rows["variable"]))
    groups = list(dict.fromkeys(rows["function_group"]))
    ncols = min(3, len(variables))
    nrows = int(np.ceil(len(variables) / ncols))
    with matplotlib.rc_context(FONT):
        # a fixed layout (inches): constrained layout costs an extra draw per panel
        panel_h, gap_h, top_h, left_w = 0.3 * len(groups), 0.75, 0.55, 1.75
        width, height = left_w + 2.6 * ncols + 0.25 * (ncols - 1) + 0.15, \
            top_h + nrows * panel_h + nrows * gap_h
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(left=left_w / width, right=1 - 0.15 / width, top=1 - top_h / height,
                            bottom=gap_h * 0.75 / height, wspace=0.25 / 2.6,
                            hspace=gap_h / panel_h)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
        for ax, variable in zip(axes.flat, variables, strict=False):
            part = rows[rows["variable"] == variable].set_index("function_group")
            scale = 100.0 if units.get(variable) == "share" else 1.0
            ys = np.arange(len(groups))
            for y, group in zip(ys, groups, strict=True):
                if group not in part.index:
                    continue
                r = part.loc[group]
                if pd.notna(r["p25"]) and pd.notna(r["p75"]):
                    ax.plot([r["p25"] * scale, r["p75"] * scale], [y, y], lw=5,
                            color=PALETTE["range"], alpha=0.6, solid_capstyle="butt")
                if pd.notna(r["benchmark"]):
                    ax.plot(r["benchmark"] * scale, y, marker="D", ms=5, ls="",
                            color=PALETTE["benchmark"])
                if r["suppressed"]:
                    ax.annotate(text("marks.suppressed"), (0.02, y), xycoords=("axes fraction",
                                "data"), va="center", fontsize=9, color="#333333")
                else:
                    ax.plot(r["value"] * scale, y, marker="o", ms=6, ls="",
                            color=PALETTE["organisation"])
            unit = text("units.share") if scale == 100.0 else text(
                "units.per_month" if units.get(variable) == "rate" else "units.count")
            ax.set_title(labels.get(variable, variable), loc="left")
            ax.set_xlabel(unit)
            ax.set_yticks(ys, [text.group(g) for g in groups])
            ax.set_ylim(len(groups) - 0.5, -0.5)
            ax.grid(axis="x", color="#E5E5E5")
            ax.set_axisbelow(True)
            if scale == 100.0:
                ax.set_xlim(-3, 103)          # room for a whole dot at 0% and 100%
                ax.set_xticks(range(0, 101, 20))
        for ax in list(axes.flat)[len(variables):]:
            ax.set_visible(False)
        handles = [
            matplotlib.lines.Line2D([], [], marker="o", ls="", color=PALETTE["organisation"],
                                    label=text("figures.organisation", organisation=organisation)),
            matplotlib.lines.Line2D([], [], marker="D", ls="", color=PALETTE["benchmark"],
                                    label=text("figures.benchmark")),
            matplotlib.lines.Line2D([], [], lw=5, color=PALETTE["range"], alpha=0.6,
                                    label=text("figures.benchmark_range")),
        ]
        fig.legend(handles=handles, loc="upper center", ncols=3, frameon=False,
                   bbox_to_anchor=(0.5, 1.0))

    shown = rows[~rows["suppressed"]].reset_index(drop=True)
    scaled = shown["value"] * np.where(
        shown["variable"].map(units).eq("share"), 100.0, 1.0)
    names = shown["function_group"].map(text.group) + ", " + shown["variable"].map(
        lambda v: labels.get(v, v))
    fmt = {True: lambda v: text.num(v, 0) + "%", False: lambda v: text.num(v, 2)}
    all_share = shown["variable"].map(units).eq("share").all()
    alt = text("figures.alt_benchmark_dots", n_panels=len(variables),
               variables=", ".join(labels.get(v, v) for v in variables),
               organisation=organisation,
               summary=_summary(text, names, scaled, fmt[bool(all_share)]))
    return _finish(fig, caption, alt, text)


def diff_heatmap(rows: pd.DataFrame, text: Text, labels: dict, caption: str,
                 value: str = "diff", center: float = 0.0, cmap: str = DIVERGING,
                 col_col: str = "function_group", col_labels=None, fmt=None,
                 axis_label: str | None = None, alt_key: str = "figures.alt_heatmap",
                 limits: tuple[float, float] | None = None, reverse=(),
                 min_organisations: int | None = None) -> ReportFigure:
    """Heat map of variables (rows) × function groups (columns), suppressed cells masked.

    A suppressed cell is never coloured as a value: it is drawn light grey, hatched and marked
    with the suppression mark. A difference without a benchmark (``value='diff'`` missing, or
    ``n_organisations`` below ``min_organisations``) is a different thing: its cell is white,
    not hatched, and carries the no-benchmark mark; the caption says what both marks mean.
    A diverging scale is symmetric around ``center``; a sequential one spans ``limits`` when
    given (shares: 0 to 1), else the values shown.

    Variables in ``reverse`` (higher is worse, ``params.yaml`` ``correlate.reverse``) are
    coloured by the negated difference, so that blue always means favourable; the numbers
    printed in the cells stay as they are, and caption and alt text name those rows.
    """
    col_labels = col_labels or text.group
    fmt = fmt or (lambda v: text.signed(v, 2))
    variables = list(dict.fromkeys(rows["variable"]))
    keys = list(dict.fromkeys(rows[col_col]))

    def pivot(column, frame=rows):
        return frame.pivot_table(index="variable", columns=col_col, values=column,
                                 aggfunc="first", dropna=False).reindex(index=variables,
                                                                        columns=keys)

    grid = pivot(value)
    suppressed = pivot("_h", rows.assign(_h=rows["suppressed"].astype(float))).fillna(
        1.0).astype(bool)
    if value == "diff":
        lacking = rows["benchmark"].isna() if "benchmark" in rows else pd.Series(False, rows.index)
        if min_organisations is not None and "n_organisations" in rows:
            lacking |= rows["n_organisations"] < min_organisations
        no_bench = pivot("_b", rows.assign(_b=lacking.astype(float))).fillna(0.0).astype(bool)
        no_bench = (no_bench | grid.isna()) & ~suppressed
    else:
        no_bench = pd.DataFrame(False, index=grid.index, columns=grid.columns)
    hidden = suppressed | (grid.isna() & ~no_bench)
    shown = grid.mask(hidden | no_bench)
    values = shown.to_numpy(dtype=float)
    flipped = [v for v in variables if v in set(reverse)] if value == "diff" else []
    sign = np.array([-1.0 if v in flipped else 1.0 for v in variables])[:, None]
    colour_values = center + sign * (values - center)
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(2.6 + 1.05 * len(keys), 0.9 + 0.36 * len(variables)),
                     layout="constrained")
        ax = fig.subplots()
        if not np.isfinite(values).any():
            vmin, vmax = center - 1, center + 1
        elif cmap == DIVERGING:
            span = float(np.nanmax(np.abs(values - center))) or 1.0
            vmin, vmax = center - span, center + span
        elif limits is not None:
            vmin, vmax = limits
        else:
            vmin, vmax = float(np.nanmin(values)), float(np.nanmax(values))
            vmin, vmax = (vmin - 0.5, vmax + 0.5) if vmin == vmax else (vmin, vmax)
        colours = matplotlib.colormaps[cmap]
        norm = matplotlib.colors.Normalize(vmin, vmax)
        mesh = ax.pcolormesh(np.ma.masked_invalid(colour_values), cmap=colours, norm=norm,
                             edgecolors="white", linewidth=0.8)
        for (i, j), v in np.ndenumerate(values):
            if hidden.iat[i, j]:
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor=PALETTE["suppressed"],
                                       hatch="///", edgecolor="#A6A6A6", lw=0))
                ax.text(j + 0.5, i + 0.5, text("marks.suppressed"), ha="center", va="center",
                        fontsize=8, color="#1A1A1A",
                        bbox={"facecolor": PALETTE["suppressed"], "lw": 0, "pad": 1})
                continue
            if no_bench.iat[i, j]:
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="white", edgecolor="#A6A6A6",
                                       lw=0.6))
                ax.text(j + 0.5, i + 0.5, text("marks.no_benchmark"), ha="center",
                        va="center", fontsize=8, color="#1A1A1A")
                continue
            # dark text on light cells, white on dark ones (relative luminance of the fill)
            r, g, b, _ = colours(norm(colour_values[i, j]))
            light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45
            ax.text(j + 0.5, i + 0.5, fmt(v), ha="center", va="center", fontsize=8,
                    color="#1A1A1A" if light else "#FFFFFF")
        ax.set_xticks(np.arange(len(keys)) + 0.5, [col_labels(k) for k in keys],
                      rotation=20 if len(keys) > 3 else 0, ha="right" if len(keys) > 3
                      else "center")
        ax.set_yticks(np.arange(len(variables)) + 0.5,
                      [labels.get(v, v) + (" ↕" if v in flipped else "") for v in variables])
        ax.set_xlim(0, len(keys))
        ax.set_ylim(len(variables), 0)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.colorbar(mesh, ax=ax, label=axis_label or text("figures.diff_axis"), shrink=0.8)
    notes = []
    if hidden.to_numpy().any():
        notes.append(text("figures.heatmap_suppressed_note"))
    if no_bench.to_numpy().any():
        notes.append(text("figures.heatmap_no_benchmark_note"))
    flipped_note = text("figures.heatmap_reverse_note",
                        variables=", ".join(labels.get(v, v) for v in flipped)) if flipped else ""
    if flipped_note:
        notes.append(flipped_note)
    if notes:
        caption = " ".join([caption, *notes])
    stacked = shown.stack()
    names = pd.Series([f"{col_labels(k)}, {labels.get(v, v)}" for v, k in stacked.index],
                      index=stacked.index)
    alt = text(alt_key, n_constructs=len(variables), n_suppressed=int(hidden.to_numpy().sum()),
               summary=_summary(text, names, stacked, fmt))
    if no_bench.to_numpy().any():
        alt += " " + text("figures.alt_no_benchmark", n=int(no_bench.to_numpy().sum()))
    if flipped_note:
        alt += " " + flipped_note
    return _finish(fig, caption, alt, text)


def gap_bars(gap: pd.DataFrame, text: Text, labels: dict, organisation: str,
             caption: str) -> ReportFigure:
    """Horizontal bars of the managers-minus-staff gap per culture theme or statement, here (with
    its 95% CI) and in the benchmark.

    ``gap`` is the output of ``data.organisation_gap``: ``variable``, ``scope``
    ('organisation' or 'benchmark'), ``gap``, ``ci_low``, ``ci_high``, ``suppressed``. A
    suppressed gap shows the suppression mark, a benchmark without values the no-benchmark mark.
    """
    variables = list(dict.fromkeys(gap["variable"].astype(str)))
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(6.5, 1.1 + 0.55 * len(variables)), layout="constrained")
        ax = fig.subplots()
        ys = np.arange(len(variables))
        for offset, scope, colour, name in [
                (-0.18, "organisation", PALETTE["organisation"],
                 text("figures.organisation", organisation=organisation)),
                (0.18, "benchmark", PALETTE["range"], text("figures.benchmark"))]:
            part = gap[gap["scope"] == scope].set_index(gap["variable"].astype(str)[
                gap["scope"] == scope])
            for y, v in zip(ys, variables, strict=True):
                if v not in part.index:
                    continue
                r = part.loc[v]
                if r["suppressed"] or pd.isna(r["gap"]):
                    mark = "marks.suppressed" if r["suppressed"] else "marks.no_benchmark"
                    ax.text(0, y + offset, " " + text(mark), va="center", fontsize=8)
                    continue
                error = None
                if pd.notna(r.get("ci_low")) and pd.notna(r.get("ci_high")):
                    error = [[r["gap"] - r["ci_low"]], [r["ci_high"] - r["gap"]]]
                ax.barh(y + offset, r["gap"], height=0.34, color=colour, xerr=error,
                        error_kw={"ecolor": "#333333", "elinewidth": 0.9, "capsize": 2},
                        label=name)
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_yticks(ys, [_wrap(labels.get(v, v), 38) for v in variables])
        ax.set_ylim(len(variables) - 0.5, -0.5)
        ax.set_xlabel(text("figures.gap_axis"))
        ax.grid(axis="x", color="#E5E5E5")
        ax.set_axisbelow(True)
        handles, names = ax.get_legend_handles_labels()
        by_name = dict(zip(names, handles, strict=True))
        if "ci_low" in gap and gap["ci_low"].notna().any():
            by_name[text("figures.ci95")] = matplotlib.lines.Line2D([], [], color="#333333",
                                                                    lw=0.9, marker="|")
        fig.legend(by_name.values(), by_name.keys(), frameon=False, loc="outside lower center",
                   ncols=len(by_name))
    here = gap[(gap["scope"] == "organisation") & ~gap["suppressed"].astype(bool)]
    names = here["variable"].astype(str).map(lambda c: labels.get(c, c))
    alt = text("figures.alt_gap", n=len(variables), organisation=organisation,
               summary=_summary(text, names, here["gap"], lambda v: text.signed(v, 2)))
    return _finish(fig, caption, alt, text)


def _wrap(label: str, width: int) -> str:
    """Break a long axis label over lines of at most ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def index_scatter(points: pd.DataFrame, text: Text, caption: str, highlight: str | None = None,
                  highlight_label: str | None = None, name_all: bool = False,
                  names: dict | None = None) -> ReportFigure:
    """Survey index against usage index, one dot per organisation.

    With ``highlight`` (an organisation's report) only that organisation is marked and labelled;
    the others stay anonymous grey dots. With ``name_all`` (the pilot study) every dot is
    labelled with its code or, when ``names`` is given, its name.
    """
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(5.6, 4.2), layout="constrained")
        ax = fig.subplots()
        others = points[points["organisation"] != highlight]
        ax.scatter(others["survey_index"], others["usage_index"], s=45,
                   color=PALETTE["other"] if highlight else PALETTE["organisation"],
                   label=text("figures.other_organisations") if highlight else None)
        if name_all:
            for _, r in points.iterrows():
                label = (names or {}).get(r["organisation"], r["organisation"])
                ax.annotate(label, (r["survey_index"], r["usage_index"]), xytext=(4, 4),
                            textcoords="offset points", fontsize=8)
        here = points[points["organisation"] == highlight]
        if len(here):
            ax.scatter(here["survey_index"], here["usage_index"], s=90, marker="D",
                       color=PALETTE["highlight"], label=highlight_label, zorder=3)
            ax.legend(frameon=False)
        ax.set_xlabel(text("columns.survey_index"))
        ax.set_ylabel(text("columns.usage_index"))
        ax.grid(color="#E5E5E5")
        ax.set_axisbelow(True)
    described = ""
    if len(here):
        r = here.iloc[0]
        described = text("figures.alt_scatter_highlight", organisation=highlight_label,
                         x=text.num(r["survey_index"]), y=text.num(r["usage_index"]))
    alt = text("figures.alt_scatter", n=len(points), highlight=described)
    return _finish(fig, caption, alt, text)


def score_boxes(scores: pd.DataFrame, constructs: list[str], text: Text, labels: dict,
                min_size: int, caption: str, names: dict | None = None) -> ReportFigure:
    """Box plots of construct scores per organisation (pilot study); small organisations hidden.

    An organisation with fewer than ``min_size`` scores on a construct gets no box on that
    panel, only the suppression mark. (seaborn is imported here only: it is slow to import and
    the organisation reports do not need it.)
    """
    import seaborn as sns

    organisations = sorted(scores["organisation"].unique())
    ncols = min(3, len(constructs))
    nrows = int(np.ceil(len(constructs) / ncols))
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(3.1 * ncols, 0.25 * len(organisations) * nrows + 1.0 * nrows),
                     layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        for ax, construct in zip(axes.flat, constructs, strict=False):
            counts = scores.groupby("organisation")[construct].count()
            small = [c for c in organisations if counts.get(c, 0) < min_size]
            shown = scores[~scores["organisation"].isin(small)]
            sns.boxplot(data=shown, x=construct, y="organisation", order=organisations, ax=ax,
                        color="#A6CEE3", linecolor=PALETTE["organisation"], showfliers=False,
                        width=0.6, medianprops={"color": "#000000"})
            for i, code in enumerate(organisations):
                if code in small:
                    ax.text(1.1, i, text("marks.suppressed"), va="center", fontsize=8)
            ax.set_yticks(np.arange(len(organisations)),
                          [(names or {}).get(c, c) for c in organisations])
            ax.set_ylabel("")
            ax.set_xlim(1, 5)
            ax.set_title(labels.get(construct, construct), loc="left")
            ax.set_xlabel(text("units.score"), fontsize=7)
            ax.grid(axis="x", color="#E5E5E5")
        for ax in list(axes.flat)[len(constructs):]:
            ax.set_visible(False)
    means = scores.groupby("organisation")[constructs].mean().mean(axis=1)
    counts = scores.groupby("organisation").size()
    means = means[counts >= min_size]
    alt = text("figures.alt_box", n=len(constructs),
               summary=_summary(text, pd.Series(means.index, index=means.index), means,
                                lambda v: text.num(v, 2)))
    return _finish(fig, caption, alt, text)
