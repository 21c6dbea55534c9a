"""Report tables: header cells, a caption, n in every table, suppressed values marked.

A :class:`ReportTable` holds cells that are already text (numbers formatted per language) and
renders as an accessible HTML table: ``<caption>``, ``<th scope="col">`` for the header and
``<th scope="row">`` for the first column. A suppressed value is shown as the catalogue's mark
(``—*``) with a footnote that says why; it is never blank and never zero.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from analysis.report import Text

LONG_ROWS = 24  # more rows than this may not fit one page next to a heading: let it break


@dataclass
class ReportTable:
    """A formatted table: string cells, a caption and footnotes."""

    cells: pd.DataFrame
    caption: str
    notes: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)  # columns aligned right

    def to_html(self) -> str:
        """Render as an HTML table with a caption, column and row header cells, and notes.

        Table and notes sit in one ``<figure class="table">`` so that print keeps the caption,
        the rows and the notes together on one page; a table of more than :data:`LONG_ROWS`
        rows is marked ``long`` and may run over pages (its header row repeats).
        """
        kind = "table long" if len(self.cells) > LONG_ROWS else "table"
        out = [f'<figure class="{kind}">', '<table class="report-table">',
               f"<caption>{html.escape(self.caption)}</caption>", "<thead><tr>"]
        for column in self.cells.columns:
            cls = ' class="num"' if column in self.numeric else ""
            out.append(f'<th scope="col"{cls}>{html.escape(str(column))}</th>')
        out.append("</tr></thead><tbody>")
        for _, row in self.cells.iterrows():
            out.append("<tr>")
            for i, (column, value) in enumerate(row.items()):
                cls = ' class="num"' if column in self.numeric else ""
                tag = "th" if i == 0 else "td"
                scope = ' scope="row"' if i == 0 else ""
                out.append(f"<{tag}{scope}{cls}>{html.escape(str(value))}</{tag}>")
            out.append("</tr>")
        out.append("</tbody></table>")
        for note in self.notes:
            out.append(f'<p class="table-note">{html.escape(note)}</p>')
        out.append("</figure>")
        return "".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()


def format_value(value, kind: str, text: Text) -> str:
    """Format one value by kind: 'share' as %, 'count' (a mean count) with 1 decimal,
    'score' and 'rate' with 2 decimals."""
    if pd.isna(value):
        return text("marks.not_available")
    if kind == "share":
        return text.pct(value)
    if kind == "count":
        return text.num(value, 1)
    return text.num(value, 2)


def format_n(n, min_size: int, text: Text, suppressed: bool = False) -> str:
    """n as a whole number, '< min_size' for a group too small to show anything about, and the
    suppression mark when n itself was withheld (missing on a suppressed line)."""
    if pd.isna(n):
        return text("marks.suppressed") if suppressed else text("marks.not_available")
    if n < min_size:
        return text("marks.small_n", min_size=min_size)
    return text.num(n, 0)


def benchmark_table(rows: pd.DataFrame, text: Text, organisation: str, labels: dict,
                    kinds: dict, min_size: int, min_organisations: int,
                    caption: str, show_group: bool = True) -> ReportTable:
    """The organisation against the benchmark, one line per variable and function group.

    Suppressed lines keep their label and n (shown as '< min_size' when small) and carry the
    suppression mark in every value column; lines without a benchmark carry the no-benchmark
    mark in the benchmark columns.

    Parameters
    ----------
    rows : DataFrame
        Canonical benchmark rows of one organisation (``data.normalise_benchmark``).
    kinds : dict
        variable -> 'share', 'rate', 'count' or 'score'.
    """
    mark = text("marks.suppressed")
    no_bench = text("marks.no_benchmark")
    value_col = text("columns.value", organisation=organisation)
    records = []
    any_suppressed = any_no_bench = False
    for _, r in rows.iterrows():
        kind = kinds.get(r["variable"], "score")
        scale = 100.0 if kind == "share" else 1.0
        digits = 0 if kind == "share" else 2
        record = {
            text("columns.variable"): labels.get(r["variable"], r["variable"]),
            text("columns.function_group"): text.group(r["function_group"]),
            text("columns.n"): format_n(r["n"], min_size, text, bool(r["suppressed"])),
        }
        if not show_group:
            del record[text("columns.function_group")]
        has_bench = pd.notna(r["benchmark"]) and not (
            pd.notna(r["n_organisations"]) and r["n_organisations"] < min_organisations)
        if r["suppressed"]:
            any_suppressed = True
            value = diff = ci = band = mark
        else:
            value = format_value(r["value"], kind, text)
            # a difference of shares is in percentage points: say so in the cell (the CI beside
            # it is of that difference, so it goes without, to stay on one line)
            unit = " " + text("units.pp") if kind == "share" else ""
            diff = text.signed(r["diff"] * scale, digits) + unit if has_bench and pd.notna(
                r["diff"]) else no_bench
            if has_bench and pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]):
                ci = f"{text.num(r['ci_low'] * scale, digits)} – " \
                     f"{text.num(r['ci_high'] * scale, digits)}"
            else:
                ci = no_bench if not has_bench else text("marks.not_available")
            band = text(f"bands.{r['band']}") if has_bench and pd.notna(r["band"]) else (
                no_bench if not has_bench else text("bands.none"))
        if has_bench:
            bench = format_value(r["benchmark"], kind, text)
            spread = (f"{format_value(r['p25'], kind, text)} – "
                      f"{format_value(r['p75'], kind, text)}") if pd.notna(r["p25"]) else \
                text("marks.not_available")
        else:
            any_no_bench = True
            bench = spread = no_bench
        record.update({value_col: value, text("columns.benchmark"): bench,
                       text("columns.range"): spread, text("columns.diff"): diff,
                       text("columns.ci"): ci, text("columns.band"): band})
        records.append(record)
    notes = []
    if any_suppressed or (rows["n"] < min_size).any():
        notes.append(text("marks.suppressed_note", min_size=min_size))
    if any_no_bench:
        notes.append(text("marks.no_benchmark_note", min_organisations=min_organisations))
    numeric = [text("columns.n"), value_col, text("columns.benchmark"), text("columns.diff")]
    return ReportTable(pd.DataFrame.from_records(records), caption, notes, numeric)


def counts_table(counts: pd.Series, text: Text, first: str, caption: str, min_size: int | None
                 = None, labels=None) -> ReportTable:
    """A one-column count table (label, n), e.g. exclusions per rule or responses per group.

    With ``min_size`` the counts are parts of a whole whose total the report shows elsewhere
    (respondents per function group): counts below it read '< min_size', and complementary
    suppression (:func:`analysis.confidentiality.suppress`) hides one more count with the
    suppression mark, so that the small one cannot be worked out as the total minus the rest.
    """
    from analysis.benchmark import KEEP_LAST
    from analysis.confidentiality import TOTAL, suppress

    labels = labels or (lambda k: k)
    shown = [text.num(v, 0) for v in counts.to_numpy()]
    notes = []
    if min_size:
        frame = pd.DataFrame({"scope": "counts", "function_group": [TOTAL, *counts.index],
                              "n": [counts.sum(), *counts.to_numpy()]})
        reason = suppress(frame, "n", ["scope"], min_size, hide_n=False,
                          keep_last=KEEP_LAST)["suppression_reason"].fillna("").to_numpy()[1:]
        shown = [text("marks.small_n", min_size=min_size) if r == "group_size"
                 else text("marks.suppressed") if r == "complementary" else s
                 for r, s in zip(reason, shown, strict=True)]
        if (reason != "").any():
            notes.append(text("marks.suppressed_note", min_size=min_size))
    cells = pd.DataFrame({first: [labels(k) for k in counts.index], text("columns.n"): shown})
    return ReportTable(cells, caption, notes, [text("columns.n")])


def frame_table(frame: pd.DataFrame, caption: str, notes=(), numeric=()) -> ReportTable:
    """Wrap a frame of already formatted cells as a report table."""
    return ReportTable(frame.astype(str).reset_index(drop=True), caption, list(notes),
                       list(numeric))


def group_table(rows: pd.DataFrame, text: Text, labels: dict, kinds: dict, min_size: int,
                caption: str) -> ReportTable:
    """Each function group's value per variable, with an arrow where it is clearly above or
    below the benchmark; each column header gives the group's n (the most units of any
    variable).

    Suppressed values carry the suppression mark; arrows are explained in a note.
    """
    groups = list(dict.fromkeys(rows["function_group"]))
    variables = list(dict.fromkeys(rows["variable"]))
    cell = rows.set_index(["variable", "function_group"])
    arrows = {"above": " ▲", "below": " ▼"}
    first = text("columns.variable")

    def header(g):
        # each group's n (the most units of any variable) goes into its column header
        part = rows[rows["function_group"] == g]
        n = format_n(part["n"].max(), min_size, text, bool(part["suppressed"].any()))
        n = f"{text('columns.n')} = {n}" if n[:1].isdigit() else f"{text('columns.n')} {n}"
        return f"{text.group(g)} ({n})"

    records = []
    any_suppressed = False
    for variable in variables:
        record = {first: labels.get(variable, variable)}
        for g in groups:
            if (variable, g) not in cell.index:
                record[header(g)] = text("marks.not_available")
                continue
            r = cell.loc[(variable, g)]
            if r["suppressed"]:
                any_suppressed = True
                record[header(g)] = text("marks.suppressed")
            else:
                record[header(g)] = format_value(r["value"], kinds.get(variable, "score"),
                                                 text) + arrows.get(r["band"], "")
        records.append(record)
    notes = [text("marks.arrows_note")]
    if any_suppressed:
        notes.append(text("marks.suppressed_note", min_size=min_size))
    cells = pd.DataFrame.from_records(records)
    return ReportTable(cells, caption, notes, list(cells.columns[1:]))
