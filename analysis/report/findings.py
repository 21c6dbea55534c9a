"""Key findings written from the benchmark numbers, never typed in by hand.

A finding is a sentence from the text catalogue filled with one line of the organisation's
benchmark: which variable lies clearly above or below the benchmark, for which function group,
by how much. Suppressed lines and lines without a benchmark are never used.
"""

from __future__ import annotations

import pandas as pd

from analysis.report import Text
from analysis.report.tables import format_value


def key_findings(rows: pd.DataFrame, text: Text, labels: dict, kinds: dict,
                 n_max: int = 5, n_min: int = 3) -> list[str]:
    """Write three to five key findings for one organisation from its benchmark rows.

    The first finding tallies the tested comparisons (clearly above / clearly below / in line;
    a comparison with band ``not_tested``, e.g. a measure without variance, is not counted as
    'in line' but named in a sentence of its own, and never used as a finding); then
    come the clear differences, largest |g| first, at most one per variable so that one theme
    does not crowd out the rest. When fewer than ``n_min`` findings result, the largest
    difference that did not reach a band and the variable closest to the benchmark fill up.

    Parameters
    ----------
    rows : DataFrame
        Canonical benchmark rows of one organisation (``data.normalise_benchmark``).
    labels, kinds : dict
        variable -> label; variable -> 'share', 'rate', 'count' or 'score'.

    Notes
    -----
    Order of clear differences: descending |g|, ties broken by |diff| / benchmark.

    Examples
    --------
    >>> from analysis.report import load_text
    >>> rows = pd.DataFrame({"variable": ["a", "b"], "function_group": ["all", "manager"],
    ...     "value": [3.9, 2.1], "benchmark": [3.5, 2.8], "g": [0.5, -0.9],
    ...     "band": ["above", "below"], "suppressed": [False, False], "diff": [0.4, -0.7]})
    >>> key_findings(rows, load_text("en"), {"a": "Culture", "b": "Time"}, {})[1]
    'Managers: Time lies clearly below the benchmark (2.10 against 2.80; g = −0.90).'
    """
    usable = rows[~rows["suppressed"].astype(bool) & rows["benchmark"].notna()
                  & rows["value"].notna()].copy()
    if usable.empty:
        return [text("findings.none")]

    def fill(key, r):
        kind = kinds.get(r["variable"], "score")
        return text(key, group=text.group(r["function_group"]),
                    variable=labels.get(r["variable"], r["variable"]),
                    value=format_value(r["value"], kind, text),
                    benchmark=format_value(r["benchmark"], kind, text),
                    g=text.signed(r["g"], 2) if pd.notna(r["g"]) else text("marks.not_available"))

    untested = usable["band"].isna() | usable["band"].eq("not_tested")
    n_not_tested = int(untested.sum())
    usable = usable[~untested].copy()
    if usable.empty:
        return [text("findings.none")]
    usable["abs_g"] = usable["g"].abs().fillna(0)
    clear = usable[usable["band"].isin(["above", "below"])].sort_values("abs_g", ascending=False)
    tally = text("findings.tally", n_compared=len(usable),
                 n_above=int((usable["band"] == "above").sum()),
                 n_below=int((usable["band"] == "below").sum()),
                 n_in_line=int((~usable["band"].isin(["above", "below"])).sum()))
    if n_not_tested:
        tally += " " + text("findings.not_tested", n_not_tested=n_not_tested)
    findings = [tally]
    chosen = clear.drop_duplicates("variable").head(n_max - 1)
    findings += [fill(f"findings.{r['band']}", r) for _, r in chosen.iterrows()]
    rest = usable.drop(index=chosen.index)
    rest = rest[~rest["band"].isin(["above", "below"])]
    if len(findings) < n_min and len(rest):
        strongest = rest.sort_values("abs_g", ascending=False).iloc[0]
        findings.append(fill("findings.strongest_in_line", strongest))
        rest = rest.drop(index=strongest.name)
    if len(findings) < n_min and len(rest):
        closest = rest.sort_values("abs_g").iloc[0]
        findings.append(fill("findings.closest", closest))
    return findings[:n_max]
