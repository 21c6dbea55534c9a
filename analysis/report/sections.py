"""The sections of the reports, each a list of blocks a notebook cell displays.

A report notebook builds one :class:`Context` (tables read once, wording of one language,
parameters) and then shows one section per cell: ``show(sections.summary(ctx))``. A block is a
heading (Markdown, so every renderer builds its table of contents from it), a paragraph or list
(HTML), a :class:`~analysis.report.figures.ReportFigure` or a
:class:`~analysis.report.tables.ReportTable`.

Organisation reports never name another organisation: other organisations appear only inside
the benchmark, as anonymous dots, or as 'the benchmark'.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import codebook as codebook_mod
from analysis.paths import resolve
from analysis.report import Text, data, figures, load_text, tables
from analysis.report.findings import key_findings


@dataclass
class Context:
    """Everything the sections of one report need, read once."""

    text: Text
    params: dict
    tables: dict
    organisation: str | None          # None for the pilot study
    organisations: pd.DataFrame       # code, name, ... (organisations.csv)
    labels: dict                      # variable -> label in the report language
    kinds: dict                       # variable -> share | rate | count | score
    constructs: list[str]             # survey constructs, codebook order
    culture: list[str]                # constructs that count towards the perception gap
    commit: str = "unknown"
    data_hash: str = "unknown"
    figure_count: list = field(default_factory=lambda: [0])
    culture_items: dict = field(default_factory=dict)  # item id -> (reverse, min, max)
    structure: dict | None = None     # structure.json: KMO, Bartlett, CFA per construct

    @property
    def min_size(self) -> int:
        return int(self.params.get("benchmark", {}).get("min_group_size", 5))

    @property
    def min_organisations(self) -> int:
        return int(self.params.get("benchmark", {}).get("min_organisations", 5))

    @property
    def name(self) -> str:
        """The organisation's own name (its report may name it), or its code."""
        names = dict(zip(self.organisations["code"], self.organisations["name"], strict=True))
        return names.get(self.organisation, self.organisation or "")

    @property
    def bench(self) -> pd.DataFrame | None:
        return self.tables.get("benchmark")

    def rows(self, kind: str) -> pd.DataFrame:
        """This organisation's benchmark rows of one kind (survey, usage, profile)."""
        if self.bench is None:
            return pd.DataFrame(columns=list(data.BENCHMARK_COLUMNS))
        return data.for_organisation(self.bench, self.organisation, kind, self.constructs)


def context(processed_dir: str | Path, organisation: str | None, params: dict,
            language: str = "nl", commit: str = "unknown", data_hash: str = "unknown"
            ) -> Context:
    """Read the processed tables and the codebook, and collect what the sections need.

    Labels: survey constructs and items from the codebook, usage measures from
    ``analysis.measures`` (the definitions the methods appendix quotes), anything else from
    the text catalogue.
    """
    text = load_text(language)
    tables_ = data.read_tables(processed_dir)
    book = codebook_mod.load(raw_path(params, "codebook"))
    organisations = pd.read_csv(raw_path(params, "organisations"), dtype=str)
    constructs = list(book.constructs)
    labels = {c: text.variable(c, {c: book.constructs[c].name}) for c in constructs}
    kinds = {c: "score" for c in constructs}
    variables = set()
    if "benchmark" in tables_:
        variables |= set(tables_["benchmark"]["variable"])
    if "correlations" in tables_:
        variables |= set(tables_["correlations"]["y"])
    for variable in sorted(variables - set(constructs)):
        labels[variable] = data.measure_label(variable, language) or text.variable(variable)
        kinds[variable] = data.measure_kind(variable)
    culture = [c for c, spec in book.constructs.items() if spec.culture]
    culture_items = {}
    for construct in culture:
        for item in book.items_of(construct):
            culture_items[item.id] = (item.reverse, item.min, item.max)
    for item in book.items.values():
        labels.setdefault(item.id, item.text.get(language) or next(iter(item.text.values())))
    ctx = Context(text, params, tables_, organisation, organisations, labels, kinds,
                  constructs, culture, commit, data_hash, culture_items=culture_items)
    ctx.structure = data.read_structure(Path(processed_dir) / "structure.json")
    return ctx


def culture_gap(ctx: Context, organisation: str | None) -> pd.DataFrame | None:
    """The managers-staff gap on the culture constructs and each culture item, as the benchmark
    stage computed it (``perception_gap.parquet``).

    For an organisation: its rows beside the benchmark of the *other* organisations
    (:func:`data.organisation_gap`); for the pilot study (``organisation=None``): every
    organisation and everyone pooled (:func:`data.pilot_gap`).
    """
    gap = ctx.tables.get("perception_gap")
    if gap is None or not ctx.culture:
        return None
    variables = [*ctx.culture, *ctx.culture_items]
    if organisation is None:
        return data.pilot_gap(gap, variables)
    return data.organisation_gap(gap, organisation, variables, ctx.min_organisations)


def raw_path(params: dict, key: str) -> Path:
    """Where an input named under ``ingest`` lives: inside ``ingest.raw_dir`` when relative."""
    ingest = params.get("ingest", {})
    name = Path(ingest[key])
    if name.is_absolute():
        return name
    return resolve(Path(ingest.get("raw_dir", ".")) / name)


# ---------------------------------------------------------------------------- display helpers

def heading(level: int, title: str):
    """A Markdown heading block (renderers number and list these in the table of contents)."""
    from IPython.display import Markdown

    return Markdown(f"{'#' * level} {title}")


class Block:
    """A paragraph or list with an HTML and a Markdown form.

    nbconvert shows the HTML; Quarto's PDF (Typst) drops raw HTML other than tables and takes the
    Markdown form instead. Text is escaped in both, so catalogue marks like '—*' stay literal.
    """

    def __init__(self, html_: str, markdown: str):
        self.html, self.markdown = html_, markdown

    def _repr_html_(self) -> str:
        return self.html

    def _repr_markdown_(self) -> str:
        return self.markdown


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


def para(sentence: str, cls: str = "") -> Block:
    """A paragraph block."""
    attr = f' class="{cls}"' if cls else ""
    return Block(f"<p{attr}>{html.escape(sentence)}</p>", _md_escape(sentence))


def bullets(items: list[str]) -> Block:
    """A bulleted list block."""
    return Block("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>",
                 "\n".join(f"- {_md_escape(i)}" for i in items))


def show(blocks) -> None:
    """Display a section's blocks in a notebook cell."""
    from IPython.display import display

    for block in blocks:
        display(block)


def _caption(ctx: Context, key: str, **values) -> str:
    ctx.figure_count[0] += 1
    return ctx.text(key, **values)


# -------------------------------------------------------------------- organisation sections

def title(ctx: Context) -> list:
    """The report's title, subtitle and date."""
    t = ctx.text
    if ctx.organisation is None:
        n = len(ctx.organisations)
        head = t("meta.title_pilot")
        sub = t("meta.subtitle_pilot", n_organisations=n)
    else:
        head = t("meta.title_organisation", organisation=ctx.name)
        sub = t("meta.subtitle_organisation", organisation=ctx.name,
                n_organisations=len(ctx.organisations) - 1)
    return [heading(1, head), para(sub, "subtitle"),
            para(t("meta.generated", date=dt.date.today().isoformat()), "generated")]


def summary(ctx: Context) -> list:
    """Three to five key findings from the benchmark numbers."""
    t = ctx.text
    blocks = [heading(2, t("sections.summary.title")),
              para(t("sections.summary.intro", organisation=ctx.name))]
    rows = ctx.bench
    if rows is None:
        return blocks + [para(t("findings.none"))]
    rows = data.for_organisation(rows, ctx.organisation)
    return blocks + [bullets(key_findings(rows, t, ctx.labels, ctx.kinds))]


def _invited(ctx: Context, organisation: str | None):
    if "invited" not in ctx.organisations.columns:
        return None
    invited = pd.to_numeric(ctx.organisations.set_index("code")["invited"], errors="coerce")
    if organisation is None:
        return float(invited.sum()) if invited.notna().all() else None
    value = invited.get(organisation)
    return None if value is None or pd.isna(value) else float(value)


def response(ctx: Context) -> list:
    """Invited (where known), submitted, kept, the exclusion funnel and kept per function group."""
    t = ctx.text
    counts = data.response_counts(ctx.tables.get("respondents"), ctx.tables.get("kept"),
                                  ctx.tables.get("exclusions"), ctx.organisation,
                                  _invited(ctx, ctx.organisation))
    blocks = [heading(2, t("sections.response.title"))]
    if counts["submitted"] and counts["kept"] is not None:
        blocks.append(para(t("sections.response.intro", submitted=t.num(counts["submitted"], 0),
                             kept=t.num(counts["kept"], 0),
                             kept_share=t.pct(counts["kept"] / counts["submitted"]))))
    if counts["invited"]:
        blocks.append(para(t("sections.response.intro_invited",
                             invited=t.num(counts["invited"], 0),
                             response_rate=t.pct(counts["kept"] / counts["invited"]))))
    steps = {}
    if counts["invited"]:
        steps[t("columns.invited")] = counts["invited"]
    steps[t("columns.submitted")] = counts["submitted"] or 0
    # one line for all excluded responses, then per rule 'of which' (rules overlap, so the
    # rule lines need not add up to the excluded line)
    if counts["kept"] is not None and counts["submitted"]:
        steps[t("columns.excluded")] = counts["submitted"] - counts["kept"]
    for rule, n in counts["by_rule"].items():
        label = rule_label(t, rule)
        steps[t("columns.of_which", rule=label[:1].lower() + label[1:])] = n
    steps[t("columns.kept")] = counts["kept"] or 0
    blocks.append(tables.counts_table(pd.Series(steps), t, t("columns.step"),
                                      t("sections.response.funnel_caption")))
    if counts["by_rule"].empty:
        blocks.append(para(t("sections.response.none_excluded")))
    if len(counts["by_group"]):
        blocks.append(tables.counts_table(counts["by_group"], t, t("columns.function_group"),
                                          t("sections.response.groups_caption"),
                                          min_size=ctx.min_size, labels=t.group))
    return blocks


def rule_label(t: Text, rule: str) -> str:
    """The reader's name of a cleaning rule (the ledger and params.yaml use identifiers)."""
    labels = t.get("rules")
    return labels.get(rule, str(rule).replace("_", " "))


def _benchmark_section(ctx: Context, kind: str, key: str, **intro) -> list:
    t = ctx.text
    blocks = [heading(2, t(f"sections.{key}.title")), para(t(f"sections.{key}.intro", **intro))]
    rows = ctx.rows(kind)
    if rows.empty:
        return blocks + [para(t(f"sections.{key}.none"))]
    variables = list(dict.fromkeys(rows["variable"]))
    shares = [v for v in variables if ctx.kinds.get(v) == "share"]
    for part, caption_key in ((shares, "caption"),
                              ([v for v in variables if v not in shares], "caption_activity")):
        if part:
            blocks.append(figures.benchmark_dots(rows[rows["variable"].isin(part)], t, ctx.name,
                                                 ctx.labels, ctx.kinds,
                                                 t(f"sections.{key}.{caption_key}")))
    blocks += benchmark_tables(ctx, rows, key)
    return blocks


def benchmark_tables(ctx: Context, rows: pd.DataFrame, key: str) -> list:
    """Two tables: everyone against the benchmark in full, then each function group briefly."""
    t = ctx.text
    blocks = [tables.benchmark_table(rows[rows["function_group"] == "all"], t, ctx.name,
                                     ctx.labels, ctx.kinds, ctx.min_size, ctx.min_organisations,
                                     t(f"sections.{key}.table_all", organisation=ctx.name),
                                     show_group=False)]
    per_group = rows[rows["function_group"] != "all"]
    if not per_group.empty:
        blocks.append(tables.group_table(per_group, t, ctx.labels, ctx.kinds, ctx.min_size,
                                         t("sections.table_groups", organisation=ctx.name)))
    return blocks


def usage(ctx: Context) -> list:
    """Platform use against the benchmark per function group."""
    window = ctx.params.get("usage", {})
    return _benchmark_section(ctx, "usage", "usage", window_start=window.get("window_start"),
                              window_end=window.get("window_end"))


def profiles(ctx: Context) -> list:
    """Profile completion per field and function group against the benchmark."""
    return _benchmark_section(ctx, "profile", "profiles")


def _group_cells(summary_: pd.DataFrame, t: Text, first_col: str, first_values) -> pd.DataFrame:
    return pd.DataFrame({
        first_col: first_values,
        t("columns.groups"): [t.num(v, 0) for v in summary_["groups"]],
        t("columns.members"): [t.num(v, 0) for v in summary_["members"]],
        t("columns.posts_per_member"): [t.num(v, 2) for v in summary_["posts_per_member"]],
        t("columns.active_share"): [t.pct(v) for v in summary_["active_share"]],
    })


def groups(ctx: Context) -> list:
    """Open against closed groups: how many, how large, how active, here and in the benchmark."""
    t = ctx.text
    share = ctx.params.get("usage", {}).get("active_group_share", 0.05)
    blocks = [heading(2, t("sections.groups.title")),
              para(t("sections.groups.intro", active_share=t.pct(share)))]
    measures_ = ctx.tables.get("group_measures")
    if measures_ is None or measures_.empty:
        return blocks + [para(t("sections.groups.none"))]
    summary_ = data.group_summary(measures_)
    here = summary_[summary_["organisation"] == ctx.organisation]
    if here.empty:
        return blocks + [para(t("sections.groups.none"))]
    bench = data.group_benchmark(summary_, ctx.organisation)
    bench = bench[bench["n_organisations"] >= ctx.min_organisations]
    rows = pd.concat([here, bench], ignore_index=True)
    first = [f"{t('visibility.' + v)}: {name}" for v, name in zip(
        rows["visibility"], [ctx.name] * len(here) + [t("figures.benchmark")] * len(bench),
        strict=True)]
    cells = _group_cells(rows, t, t("columns.visibility"), first)
    notes = [t("sections.groups.benchmark_note")]
    if len(bench) < rows["visibility"].nunique():
        notes.append(t("marks.no_benchmark_note", min_organisations=ctx.min_organisations))
    blocks.append(tables.frame_table(cells, _caption(ctx, "sections.groups.caption"), notes,
                                     numeric=list(cells.columns[1:])))
    return blocks


def survey(ctx: Context) -> list:
    """Survey themes against the benchmark (heat map) and the managers-staff perception gap."""
    t = ctx.text
    blocks = [heading(2, t("sections.survey.title")), para(t("sections.survey.intro"))]
    rows = ctx.rows("survey")
    if not rows.empty:
        caption = _caption(ctx, "sections.survey.caption")
        reverse = ctx.params.get("correlate", {}).get("reverse", [])
        blocks.append(figures.diff_heatmap(rows, t, ctx.labels, caption, reverse=reverse,
                                           min_organisations=ctx.min_organisations))
        blocks += benchmark_tables(ctx, rows, "survey")
    blocks += [heading(3, t("sections.survey.gap_title")), para(t("sections.survey.gap_intro"))]
    gap = culture_gap(ctx, ctx.organisation)
    if gap is None:
        return blocks + [para(t("sections.survey.gap_none"))]
    here = gap[gap["scope"] == "organisation"]
    if here.empty or here["suppressed"].all():
        return blocks + [para(t("sections.survey.gap_none"))]
    # benchmark rows without a value (too few organisations) are left out, and said so once
    empty_bench = gap["scope"].eq("benchmark") & gap["gap"].isna() & ~gap["suppressed"].astype(
        bool)
    if empty_bench.any():
        gap = gap[~empty_bench].reset_index(drop=True)
        blocks.append(para(t("sections.survey.gap_no_benchmark",
                             min_organisations=ctx.min_organisations)))
    caption = _caption(ctx, "sections.survey.gap_caption")
    blocks.append(figures.gap_bars(gap, t, ctx.labels, ctx.name, caption))
    blocks.append(_gap_table(gap, ctx, t("sections.survey.gap_table_caption"),
                             {"organisation": ctx.name, "benchmark": t("figures.benchmark")}))
    return blocks


def _gap_table(gap: pd.DataFrame, ctx: Context, caption: str, scopes: dict):
    """Managers, staff, the gap and its 95% CI per culture theme or statement and scope.

    A benchmark row made from other organisations' gaps has no CI (it is a mean of gaps); one
    resting on fewer than ``min_organisations`` gaps carries the no-benchmark mark.
    """
    t = ctx.text
    mark, no_bench, na = t("marks.suppressed"), t("marks.no_benchmark"), \
        t("marks.not_applicable")
    is_bench = gap["scope"].eq("benchmark") & gap["n_organisations"].notna()
    no_values = is_bench & gap["gap"].isna()

    def value(v, suppressed, missing, fmt):
        return mark if suppressed else no_bench if missing else fmt(v)

    rows = list(zip(gap["suppressed"], no_values, strict=True))
    cells = pd.DataFrame({
        t("columns.theme_or_statement"): [ctx.labels.get(str(c), c) for c in gap["variable"]],
        t("columns.organisation"): [scopes.get(s, s) for s in gap["scope"]],
        t("columns.n") + " " + t("columns.managers").lower(): [
            tables.format_n(n, ctx.min_size, t, s) for n, s in
            zip(gap["n_managers"], gap["suppressed"], strict=True)],
        t("columns.n") + " " + t("columns.staff").lower(): [
            tables.format_n(n, ctx.min_size, t, s) for n, s in
            zip(gap["n_staff"], gap["suppressed"], strict=True)],
        t("columns.managers"): [value(v, s, m, t.num) for v, (s, m) in
                                zip(gap["managers"], rows, strict=True)],
        t("columns.staff"): [value(v, s, m, t.num) for v, (s, m) in
                             zip(gap["staff"], rows, strict=True)],
        t("columns.gap"): [value(v, s, m, t.signed) for v, (s, m) in
                           zip(gap["gap"], rows, strict=True)],
        t("columns.ci_gap"): [
            mark if s else na if b else f"{t.signed(lo)} – {t.signed(hi)}"
            if pd.notna(lo) else t("marks.not_available")
            for lo, hi, s, b in zip(gap["ci_low"], gap["ci_high"], gap["suppressed"], is_bench,
                                    strict=True)],
    })
    notes = []
    if is_bench.any():
        notes.append(t("sections.survey.gap_benchmark_note"))
    if gap["suppressed"].any():
        notes.append(t("marks.suppressed_note", min_size=ctx.min_size))
    if no_values.any():
        notes.append(t("marks.no_benchmark_note", min_organisations=ctx.min_organisations))
    return tables.frame_table(cells, caption, notes, list(cells.columns[2:]))


def soft_hard(ctx: Context) -> list:
    """The organisations' survey index against their usage index (this one highlighted), the
    study's question on culture and questions asked, and the strongest survey-usage links.

    Correlations over all organisations name no organisation, so they belong in every report.
    """
    t = ctx.text
    blocks = [heading(2, t("sections.soft_hard.title")),
              para(t("sections.soft_hard.intro", organisation=ctx.name))]
    points = None
    if "org_indices" in ctx.tables:
        points = data.indices(ctx.tables["org_indices"]).dropna()
    if points is None or len(points) < 3:
        blocks.append(para(t("sections.soft_hard.none")))
    else:
        caption = _caption(ctx, "sections.soft_hard.caption")
        blocks.append(figures.index_scatter(points, t, caption, highlight=ctx.organisation,
                                            highlight_label=ctx.name))
        blocks.append(para(_index_correlation(ctx, points)))
    return blocks + questions(ctx) + correlations(ctx)


def _index_correlation(ctx: Context, points: pd.DataFrame) -> str:
    t = ctx.text
    small_n = int(ctx.params.get("correlate", {}).get("small_n", 10))
    key = "correlation_small" if len(points) < small_n else "correlation"
    return t(f"sections.soft_hard.{key}", n=len(points), rho=t.signed(_spearman(points), 2))


def _spearman(points: pd.DataFrame) -> float:
    """Spearman's rho of the two indices: Pearson's r of their (average) ranks."""
    ranks = points[["survey_index", "usage_index"]].rank()
    return float(np.corrcoef(ranks["survey_index"], ranks["usage_index"])[0, 1])


def _level(t: Text, level: str) -> str:
    levels = t.get("levels")
    return levels.get(level, str(level).replace("_", " "))


def _r(t: Text, method: str) -> str:
    return t.get("correlation_symbols").get(method, "r")


def questions(ctx: Context) -> list:
    """The study's question in plain words: where the culture invites questions, are more
    questions asked on the platform? One sentence per level, with r, its CI and n."""
    t = ctx.text
    prm = ctx.params.get("correlate", {})
    method = prm.get("method", "spearman")
    blocks = [heading(3, t("sections.questions.title"))]
    rows = ctx.tables.get("questions")
    if rows is None or rows.empty:
        return blocks + [para(t("sections.questions.none"))]
    rows = data.questions_answer(rows, method)
    culture = prm.get("culture_variable", "cul_questions")
    asked = prm.get("questions_variable", "questions")
    blocks.append(para(t("sections.questions.intro", statement=ctx.labels.get(culture, culture),
                         measure=ctx.labels.get(asked, asked).lower(),
                         method=t.get("correlation_methods").get(method, method))))
    small_n = int(prm.get("small_n", 10))
    lines = []
    for _, r in rows.iterrows():
        answer = t.get("answers").get(r["answer"], r["answer"])
        level = _level(t, r["level"])
        line = t("sections.questions.line", level=level[:1].upper() + level[1:],
                 n=t.num(r["n"], 0),
                 unit=t.get("level_units").get(r["level"], ""), answer=answer,
                 symbol=_r(t, r["method"]), r=t.signed(r["r"]), ci_low=t.signed(r["ci_low"]),
                 ci_high=t.signed(r["ci_high"]))
        if r.get("small_n", False):
            line += " " + t("sections.questions.small_n", small_n=small_n)
        lines.append(line)
    blocks.append(bullets(lines))
    blocks.append(para(t("sections.questions.reading"), "table-note"))
    return blocks


def correlations(ctx: Context, per_level: int = 5) -> list:
    """The strongest survey-usage correlations across all organisations, per level, with their
    CIs, the FDR-adjusted p and the small-n caveat."""
    t = ctx.text
    prm = ctx.params.get("correlate", {})
    method = prm.get("method", "spearman")
    fdr = float(prm.get("fdr_alpha", 0.05))
    blocks = [heading(3, t("sections.correlations.title"))]
    rows = ctx.tables.get("correlations")
    if rows is None or rows.empty:
        return blocks + [para(t("sections.correlations.none"))]
    strongest = data.strongest_correlations(rows, method, per_level)
    blocks.append(para(t("sections.correlations.intro", per_level=per_level,
                         method=t.get("correlation_methods").get(method, method))))
    symbol = _r(t, method)
    for level in [lv for lv in data.LEVELS if lv in set(strongest["level"])]:
        part = strongest[strongest["level"] == level]
        cells = pd.DataFrame({
            t("columns.survey"): [ctx.labels.get(x, x) for x in part["x"]],
            t("columns.usage"): [ctx.labels.get(y, y) for y in part["y"]],
            t("columns.n"): [t.num(n, 0) for n in part["n"]],
            symbol: [t.signed(r) for r in part["r"]],
            # |r| = 1 has no estimable interval (the correlate stage leaves it missing)
            t("columns.ci_r"): [f"{t.signed(lo)} – {t.signed(hi)}" if pd.notna(lo) and
                                pd.notna(hi) else t("marks.not_available")
                                for lo, hi in zip(part["ci_low"], part["ci_high"], strict=True)],
            t("columns.p_adj"): [t.p(p) for p in part["p_adj"]],
            t("columns.clear"): [t("answers.yes") if p < fdr else t("answers.no")
                                 for p in part["p_adj"]],
        })
        notes = [t("sections.correlations.note", fdr_alpha=t.num(fdr))]
        if part["small_n"].any():
            notes.append(t("sections.correlations.small_n",
                           small_n=int(prm.get("small_n", 10))))
        blocks.append(tables.frame_table(
            cells, t("sections.correlations.caption", level=_level(t, level),
                     unit=t.get("level_units").get(level, "")),
            notes, numeric=list(cells.columns[2:])))
    return blocks


def methods(ctx: Context) -> list:
    """Reliability, ICCs, cleaning rules, suppression, benchmark definition, window, versions."""
    t = ctx.text
    p = ctx.params
    blocks = [heading(2, t("sections.methods.title"))]

    reliability = ctx.tables.get("reliability")
    if reliability is not None:
        scopes = ["all"] + ([ctx.organisation] if ctx.organisation else [])
        rel = reliability[reliability["scope"].isin(scopes)] if "scope" in reliability else \
            reliability
        blocks.append(heading(3, t("sections.methods.reliability_title")))
        scope_name = {"all": t("function_groups.all")}
        if ctx.organisation:
            scope_name[ctx.organisation] = ctx.name
        cells = pd.DataFrame({
            t("columns.construct"): [ctx.labels.get(c, c) for c in rel["construct"]],
            t("columns.scope"): [scope_name.get(s, s)
                                 for s in rel.get("scope", pd.Series(["all"] * len(rel)))],
            t("columns.n"): [tables.format_n(n, ctx.min_size, t) for n in rel["n"]],
            t("columns.n_items"): [t.num(v, 0) for v in rel["n_items"]],
            t("columns.alpha"): [t.num(v) if n >= ctx.min_size else t("marks.suppressed")
                                 for v, n in zip(rel["alpha"], rel["n"], strict=True)],
            t("columns.alpha_ci"): [
                f"{t.num(lo)} – {t.num(hi)}" if n >= ctx.min_size else t("marks.suppressed")
                for lo, hi, n in zip(rel["alpha_ci_low"], rel["alpha_ci_high"], rel["n"],
                                     strict=True)],
            t("columns.omega"): [t.num(v) if n >= ctx.min_size else t("marks.suppressed")
                                 for v, n in zip(rel.get("omega", pd.Series(np.nan,
                                                 index=rel.index)), rel["n"], strict=True)],
        })
        blocks.append(tables.frame_table(
            cells, t("sections.methods.reliability_caption", organisation=ctx.name or ""),
            numeric=list(cells.columns[2:])))
        blocks.append(para(t("sections.methods.reliability_reading",
                             min_alpha=t.num(p.get("score", {}).get("min_alpha", 0.6)))))
        blocks += reliability_warnings(ctx, rel)

    icc = ctx.tables.get("icc")
    if icc is not None and len(icc):
        blocks.append(heading(3, t("sections.methods.icc_title")))
        blocks.append(_icc_table(icc, ctx))
        blocks.append(para(t("sections.methods.icc_reading")))

    blocks += structure(ctx)
    blocks += definitions(ctx)

    blocks.append(heading(3, t("sections.methods.cleaning_title")))
    counts = data.response_counts(None, None, ctx.tables.get("exclusions"), ctx.organisation)
    rows = []
    for rule, spec in (p.get("clean") or {}).items():
        settings = ", ".join(f"{k} = {v}" for k, v in spec.items()) if isinstance(spec, dict) \
            else str(spec)
        rows.append({t("columns.rule"): rule_label(t, rule),
                     t("columns.setting"): settings,
                     t("columns.n"): t.num(counts["by_rule"].get(rule, 0), 0)})
    if rows:
        blocks.append(tables.frame_table(pd.DataFrame(rows),
                                         t("sections.methods.cleaning_caption"),
                                         numeric=[t("columns.n")]))

    bench = p.get("benchmark", {})
    blocks += [heading(3, t("sections.methods.suppression_title")),
               para(t("sections.methods.suppression_text", min_size=ctx.min_size,
                      mark=t("marks.suppressed")))]
    comparison = t(f"sections.methods.comparison.{bench.get('comparison', 'leave_one_out')}")
    if bench.get("restrict_by"):
        comparison += t("sections.methods.restrict", attribute=bench["restrict_by"])
    blocks += [heading(3, t("sections.methods.benchmark_title")),
               para(t("sections.methods.benchmark_text", comparison=comparison,
                      min_organisations=ctx.min_organisations,
                      band_threshold_g=t.num(bench.get("band_threshold_g", 0.3)),
                      fdr_alpha=t.num(bench.get("fdr_alpha", 0.05))))]
    window = p.get("usage", {})
    blocks += [heading(3, t("sections.methods.window_title")),
               para(t("sections.methods.window_text", window_start=window.get("window_start"),
                      window_end=window.get("window_end")))]
    unknown = t("sections.methods.unknown")
    blocks += [heading(3, t("sections.methods.versions_title")),
               para(t("sections.methods.versions_text", commit=ctx.commit or unknown,
                      data_hash=ctx.data_hash or unknown)),
               _params_block(ctx)]
    return blocks


def reliability_warnings(ctx: Context, rel: pd.DataFrame) -> list:
    """What a reader of the reliability figures should know: alpha below ``score.min_alpha``,
    items that go against the rest of their theme (item-rest r < 0), ICC(1) below zero, and
    any other caveat the score stage wrote in its ``warnings`` columns (quoted as written)."""
    t = ctx.text
    min_alpha = float(ctx.params.get("score", {}).get("min_alpha", 0.6))
    scope_name = {"all": t("function_groups.all"), ctx.organisation: ctx.name}
    lines = []
    for _, r in rel.iterrows():
        label = f"{ctx.labels.get(r['construct'], r['construct'])} " \
                f"({scope_name.get(r.get('scope', 'all'), r.get('scope', 'all'))})"
        if r["n"] < ctx.min_size:
            continue
        if pd.notna(r["alpha"]) and r["alpha"] < min_alpha:
            lines.append(t("sections.methods.warning_alpha", theme=label, alpha=t.num(r["alpha"]),
                           min_alpha=t.num(min_alpha)))
        for caveat in _caveats(r.get("warnings"), ("alpha ", "negative item-rest")):
            lines.append(t("sections.methods.warning_other", theme=label, caveat=caveat))
    items = ctx.tables.get("item_stats")
    if items is not None and "item_rest_r" in items:
        for _, r in items[items["item_rest_r"] < 0].iterrows():
            lines.append(t("sections.methods.warning_item", item=r["item"],
                           statement=ctx.labels.get(r["item"], r["item"]),
                           theme=ctx.labels.get(r["construct"], r["construct"]),
                           r=t.signed(r["item_rest_r"])))
    icc = ctx.tables.get("icc")
    if icc is not None and "icc1" in icc:
        for _, r in icc.iterrows():
            theme = ctx.labels.get(r["construct"], r["construct"])
            if pd.notna(r["icc1"]) and r["icc1"] < 0:
                lines.append(t("sections.methods.warning_icc", theme=theme,
                               icc1=t.signed(r["icc1"], 3)))
            for caveat in _caveats(r.get("warnings"), ("ICC(1) is negative",)):
                lines.append(t("sections.methods.warning_other", theme=theme, caveat=caveat))
    title = heading(4, t("sections.methods.warnings_title"))
    if not lines:
        return [title, para(t("sections.methods.warnings_none"))]
    return [title, para(t("sections.methods.warnings_intro")), bullets(lines)]


def _caveats(text, covered: tuple[str, ...]) -> list[str]:
    """The '; '-separated caveats of a warnings cell, less those written from the numbers."""
    if not isinstance(text, str) or not text.strip():
        return []
    return [c.strip() for c in text.split("; ")
            if c.strip() and not c.strip().startswith(covered)]


def structure(ctx: Context) -> list:
    """The structure of the questionnaire: KMO, Bartlett's test and a one-factor CFA per theme."""
    t = ctx.text
    found = ctx.structure
    blocks = [heading(3, t("sections.methods.structure_title"))]
    if not found:
        return blocks + [para(t("sections.methods.structure_none"))]
    bartlett = found.get("bartlett") or {}
    p_value = bartlett.get("p", np.nan)
    blocks.append(para(t("sections.methods.structure_text", n=t.num(found.get("n"), 0),
                         kmo=t.num(found.get("kmo")), chi2=t.num(bartlett.get("chi2"), 1),
                         df=t.num(bartlett.get("dof"), 0),
                         p=("< " + t.num(0.001, 3)) if p_value < 0.001 else t.num(p_value, 3))))
    cfa = found.get("cfa") or {}
    rows = []
    for construct in [c for c in ctx.constructs if c in cfa] + sorted(set(cfa) - set(
            ctx.constructs)):
        fit = cfa[construct]
        if fit.get("n_items", 0) < 3:
            note = t("sections.methods.cfa_not_identified")
        elif fit.get("dof") == 0:
            note = t("sections.methods.cfa_just_identified")
        elif pd.isna(fit.get("cfi", np.nan)) and pd.isna(fit.get("chi2", np.nan)):
            note = t("sections.methods.cfa_not_estimated")
        else:
            note = ""

        def num(key, digits=2, fit=fit):
            return t.num(fit.get(key, np.nan), digits)

        rows.append({t("columns.construct"): ctx.labels.get(construct, construct),
                     t("columns.n"): t.num(fit.get("n"), 0),
                     t("columns.n_items"): t.num(fit.get("n_items"), 0),
                     "χ²": num("chi2"), "df": num("dof", 0), "p": num("p", 3),
                     "CFI": num("cfi"), "TLI": num("tli"), "RMSEA": num("rmsea", 3),
                     "SRMR": num("srmr", 3), t("columns.note"): note})
    if rows:
        cells = pd.DataFrame(rows)
        if not cells[t("columns.note")].any():
            cells = cells.drop(columns=t("columns.note"))
        blocks.append(tables.frame_table(cells, t("sections.methods.cfa_caption"),
                                         [t("sections.methods.cfa_note")],
                                         numeric=[c for c in cells.columns[1:]
                                                  if c != t("columns.note")]))
    return blocks


def definitions(ctx: Context) -> list:
    """The definition of every usage measure the report shows, quoted from analysis.measures."""
    from IPython.display import HTML

    t = ctx.text
    shown = set()
    if ctx.bench is not None:
        rows = ctx.bench if ctx.organisation is None else ctx.bench[
            ctx.bench["organisation"] == ctx.organisation]
        shown = {v for v in rows["variable"] if v not in ctx.constructs}
    found = data.measure_definitions(shown, t.language)
    if found.empty:
        return []
    items = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text_)}</dd>"
                    for label, text_ in zip(found["label"], found["definition"], strict=True))
    return [heading(3, t("sections.methods.definitions_title")),
            para(t("sections.methods.definitions_intro")),
            HTML(f'<dl class="definitions">{items}</dl>')]


def _icc_table(icc: pd.DataFrame, ctx: Context):
    """The ICC table as the score stage wrote it, numbers formatted, other organisations out."""
    t = ctx.text
    icc = icc.copy()
    reliability = ctx.tables.get("reliability")
    if "n" not in icc.columns and "construct" in icc.columns and reliability is not None:
        # every table shows n: the respondents behind each construct, from the reliability table
        overall = reliability[reliability.get("scope", "all") == "all"]
        icc.insert(1, "n", icc["construct"].map(dict(zip(overall["construct"], overall["n"],
                                                         strict=True))))
    # the reader's columns: construct, n and the two ICCs where the score stage wrote them
    shown = [c for c in ("construct", "n", "icc1", "icc2") if c in icc.columns]
    if {"construct", "icc1"} <= set(shown):
        icc = icc[shown]
    codes = set(ctx.organisations["code"]) - {ctx.organisation}
    for column in icc.columns:
        if icc[column].dtype == object and icc[column].isin(codes).any():
            icc = icc[~icc[column].isin(codes)]
    cells = pd.DataFrame({
        column: [ctx.labels.get(v, v) if column in ("construct", "variable") else
                 (t.num(v, 0 if column.startswith("n") else 2)
                  if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                  else v) for v in icc[column]]
        for column in icc.columns})
    cells = cells.rename(columns={"construct": t("columns.construct"), "n": t("columns.n"),
                                  "icc1": "ICC(1)", "icc2": "ICC(2)"})
    return tables.frame_table(cells, t("sections.methods.icc_caption"),
                              numeric=list(cells.columns[1:]))


def _params_block(ctx: Context):
    """The parameters as YAML, without the list of organisations to render (it names others)."""
    from IPython.display import HTML

    shown = {k: v for k, v in ctx.params.items()}
    if ctx.organisation is not None and isinstance(shown.get("render"), dict):
        shown["render"] = {k: v for k, v in shown["render"].items() if k != "organisations"}
    dumped = yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, width=90)
    caption = html.escape(ctx.text("sections.methods.params_caption"))
    return HTML(f'<figure class="params"><figcaption>{caption}</figcaption>'
                f"<pre>{html.escape(dumped)}</pre></figure>")


# --------------------------------------------------------------------------- pilot sections

def _names(ctx: Context) -> dict:
    """code -> what the pilot study shows: the name when params.yaml says so, else the code."""
    if ctx.params.get("render", {}).get("name_organisations_in_pilot"):
        return dict(zip(ctx.organisations["code"], ctx.organisations["name"], strict=True))
    return {c: c for c in ctx.organisations["code"]}


def pilot_benchmark(ctx: Context) -> list:
    """Benchmark tables per function group: mean of organisation means, spread, n organisations."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_benchmark.title")),
              para(t("sections.pilot_benchmark.intro"))]
    bench = ctx.bench
    if bench is None:
        return blocks + [para(t("findings.none"))]
    shown = bench[~bench["suppressed"]]
    for group in [g for g in data.GROUP_ORDER if g in set(bench["function_group"])]:
        part = shown[shown["function_group"] == group]
        per_var = part.groupby("variable", sort=False).agg(
            n_organisations=("organisation", "nunique"), n=("n", "sum"),
            mean=("value", "mean"), p25=("value", lambda v: v.quantile(0.25)),
            p75=("value", lambda v: v.quantile(0.75)))
        order = [v for v in ctx.constructs if v in per_var.index] + data.variable_order(
            set(per_var.index) - set(ctx.constructs))
        per_var = per_var.reindex(order)
        cells = pd.DataFrame({
            t("columns.variable"): [ctx.labels.get(v, v) for v in per_var.index],
            t("columns.n_organisations"): [t.num(v, 0) for v in per_var["n_organisations"]],
            t("columns.n"): [t.num(v, 0) for v in per_var["n"]],
            t("columns.benchmark"): [
                tables.format_value(v, ctx.kinds.get(k, "score"), t) if n >= ctx.min_organisations
                else t("marks.no_benchmark")
                for k, v, n in zip(per_var.index, per_var["mean"], per_var["n_organisations"],
                                   strict=True)],
            t("columns.range"): [
                f"{tables.format_value(a, ctx.kinds.get(k, 'score'), t)} – "
                f"{tables.format_value(b, ctx.kinds.get(k, 'score'), t)}"
                if n >= ctx.min_organisations else t("marks.no_benchmark")
                for k, a, b, n in zip(per_var.index, per_var["p25"], per_var["p75"],
                                      per_var["n_organisations"], strict=True)],
        })
        notes = []
        if bench[(bench["function_group"] == group)]["suppressed"].any():
            notes.append(t("marks.suppressed_note", min_size=ctx.min_size))
        if (per_var["n_organisations"] < ctx.min_organisations).any():
            notes.append(t("marks.no_benchmark_note", min_organisations=ctx.min_organisations))
        blocks += [heading(3, t.group(group)), tables.frame_table(
            cells, t("sections.pilot_benchmark.caption", group=t.group(group)), notes,
            list(cells.columns[1:]))]
    return blocks


def pilot_distributions(ctx: Context) -> list:
    """Box plots of the survey themes per organisation."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_distributions.title")),
              para(t("sections.pilot_distributions.intro"))]
    scores = ctx.tables.get("scores")
    if scores is None:
        return blocks + [para(t("findings.none"))]
    constructs = [c for c in ctx.constructs if c in scores.columns]
    blocks.append(figures.score_boxes(scores, constructs, t, ctx.labels, ctx.min_size,
                                      _caption(ctx, "sections.pilot_distributions.caption"),
                                      _names(ctx)))
    return blocks


def pilot_scatter(ctx: Context) -> list:
    """The organisation-level scatter of survey index against usage index, all labelled."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_scatter.title"))]
    if "org_indices" not in ctx.tables:
        return blocks + [para(t("sections.soft_hard.none"))] + questions(ctx) + correlations(ctx)
    points = data.indices(ctx.tables["org_indices"]).dropna()
    if len(points) < 3:
        return blocks + [para(t("sections.soft_hard.none"))] + questions(ctx) + correlations(ctx)
    blocks.append(figures.index_scatter(points, t,
                                        _caption(ctx, "sections.pilot_scatter.caption"),
                                        name_all=True, names=_names(ctx)))
    blocks.append(para(_index_correlation(ctx, points)))
    return blocks + questions(ctx) + correlations(ctx)


def pilot_contrasts(ctx: Context) -> list:
    """Mean theme score per function group across all organisations (small groups hidden)."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_contrasts.title")),
              para(t("sections.pilot_contrasts.intro"))]
    scores = ctx.tables.get("scores")
    if scores is None:
        return blocks + [para(t("findings.none"))]
    constructs = [c for c in ctx.constructs if c in scores.columns]
    long = scores.melt(id_vars=["function_group"], value_vars=constructs, var_name="variable")
    agg = long.groupby(["function_group", "variable"])["value"].agg(["mean", "count"])
    agg = agg.reset_index()
    agg["suppressed"] = agg["count"] < ctx.min_size
    order = {g: i for i, g in enumerate(data.GROUP_ORDER)}
    agg = agg.sort_values("function_group", key=lambda s: s.map(order))
    agg["variable"] = pd.Categorical(agg["variable"], constructs)
    agg = agg.sort_values(["function_group", "variable"],
                          key=lambda s: s.map(order) if s.name == "function_group" else s)
    agg["variable"] = agg["variable"].astype(str)
    blocks.append(figures.diff_heatmap(
        agg, t, ctx.labels, _caption(ctx, "sections.pilot_contrasts.caption"), value="mean",
        cmap=figures.SEQUENTIAL, fmt=lambda v: t.num(v, 2), axis_label=t("units.score"),
        alt_key="figures.alt_contrasts"))
    contrasts = ctx.tables.get("group_contrasts")
    if contrasts is not None:
        tested = data.pooled_contrasts(contrasts, constructs, t)
        n_per_variable = agg.groupby("variable")["count"].sum()
        cells = pd.DataFrame({
            t("columns.construct"): [ctx.labels.get(v, v) for v in tested["variable"]],
            t("columns.n"): [t.num(n_per_variable.get(v, 0), 0) for v in tested["variable"]],
            t("columns.welch_f"): [f"{t.num(f, 1)} ({t.num(a, 0)}; {t.num(b, 0)})"
                                   for f, a, b in zip(tested["F"], tested["df1"],
                                                      tested["df2"], strict=True)],
            t("columns.p_adj"): [t.p(p) for p in tested["p_adj"]],
            t("columns.pairs"): ["; ".join(p) or t("sections.pilot_contrasts.no_pairs")
                                 for p in tested["pairs"]],
        })
        blocks.append(tables.frame_table(
            cells, _caption(ctx, "sections.pilot_contrasts.table_caption"),
            [t("sections.pilot_contrasts.table_note")], numeric=list(cells.columns[1:4])))
    return blocks


def pilot_groups(ctx: Context) -> list:
    """Open and closed groups per organisation (from the usage stage's group table)."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_groups.title"))]
    measures_ = ctx.tables.get("group_measures")
    if measures_ is None or measures_.empty:
        return blocks + [para(t("sections.groups.none"))]
    share = ctx.params.get("usage", {}).get("active_group_share", 0.05)
    summary_ = data.group_summary(measures_)
    names = _names(ctx)
    first = [f"{names.get(o, o)}: {t('visibility.' + v)}"
             for o, v in zip(summary_["organisation"], summary_["visibility"], strict=True)]
    cells = _group_cells(summary_, t, t("columns.organisation"), first)
    blocks += [para(t("sections.groups.intro", active_share=t.pct(share))),
               tables.frame_table(cells, _caption(ctx, "sections.pilot_groups.caption"),
                                  numeric=list(cells.columns[1:]))]
    return blocks


def pilot_profiles(ctx: Context) -> list:
    """Profile completion per organisation and field, as the benchmark table holds it (employee
    accounts; cells the benchmark stage suppressed stay hidden)."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_profiles.title"))]
    if ctx.bench is None:
        return blocks + [para(t("sections.profiles.none"))]
    agg = data.pilot_profiles(ctx.bench)
    if agg.empty:
        return blocks + [para(t("sections.profiles.none"))]
    order = {v: i for i, v in enumerate(data.variable_order(set(agg["variable"])))}
    agg = agg.sort_values(["variable", "organisation"], key=lambda c: c.map(order)
                          if c.name == "variable" else c)
    names = _names(ctx)
    blocks.append(figures.diff_heatmap(
        agg, t, ctx.labels, _caption(ctx, "sections.pilot_profiles.caption"), value="mean",
        cmap=figures.SEQUENTIAL, fmt=lambda v: t.pct(v), col_col="organisation", limits=(0, 1),
        col_labels=lambda c: names.get(c, c), axis_label=t("figures.share_axis"),
        alt_key="figures.alt_profiles"))
    return blocks


def pilot_gap(ctx: Context) -> list:
    """The managers-staff gap on the culture themes and statements per organisation."""
    t = ctx.text
    blocks = [heading(2, t("sections.pilot_gap.title")), para(t("sections.survey.gap_intro"))]
    gap = culture_gap(ctx, None)
    if gap is None or gap.empty:
        return blocks + [para(t("sections.survey.gap_none"))]
    scopes = {**_names(ctx), "benchmark": t("sections.pilot_gap.pooled")}
    blocks.append(_gap_table(gap, ctx, _caption(ctx, "sections.pilot_gap.caption"), scopes))
    return blocks


def limitations(ctx: Context) -> list:
    """The number of organisations, the spread of usable responses and of response rates."""
    t = ctx.text
    blocks = [heading(2, t("sections.limitations.title")),
              para(t("sections.limitations.organisations",
                     n_organisations=len(ctx.organisations)))]
    kept = ctx.tables.get("kept")
    if kept is not None:
        per_org = kept["organisation"].value_counts()
        blocks.append(para(t("sections.limitations.response", kept_min=t.num(per_org.min(), 0),
                             kept_max=t.num(per_org.max(), 0))))
        rates = [per_org.get(c, 0) / _invited(ctx, c) for c in ctx.organisations["code"]
                 if _invited(ctx, c)]
        if rates:
            blocks.append(para(t("sections.limitations.response_rates",
                                 rate_min=t.pct(min(rates)), rate_max=t.pct(max(rates)))))
        else:
            blocks.append(para(t("sections.limitations.no_invited")))
    blocks.append(para(t("sections.limitations.selection")))
    return blocks
