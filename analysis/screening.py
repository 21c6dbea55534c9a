"""The carefulness screen (clean stage): which responses stay, which go, and why.

Each rule and its threshold lives in ``params.yaml`` (section ``clean``) and can be switched
off. A response that breaks any enabled rule is excluded; the exclusion ledger lists every
excluded response with *all* the rules it broke and the figures behind them, and the counts
(submitted, kept, excluded, excluded per rule) become the funnel in the reports. Nothing is
dropped silently: a blank function group stays in as ``unknown`` and is counted.

Rules (names as in ``params.yaml`` and the ledger):

``completeness``
    each construct has at least ``min_share_per_construct`` of its items answered (``null``:
    the construct's own ``min_share`` from the codebook).
``straightlining``
    the longest run of identical consecutive answers exceeds ``max_run``; or, with
    ``flag_zero_spread``, all answered items got the same answer (with
    ``reverse_pairs_only``, only when the codebook has reverse-keyed items, which then got the
    same answer as their opposites).
``speeding``
    seconds per answered item below ``min_share_of_median`` times the median of the
    responses whose timing is trusted; responses with untrusted timing are not judged.
``attention_check``
    an attention-check item (codebook ``attention_expected``) answered otherwise than
    instructed; a check left unanswered is not a failure (completeness judges gaps).
``duplicates``
    the same token (invitation or tool id) seen before, or, with ``identical_answers``, the
    same answer vector as an earlier response; the first in source order stays.
``test_responses``
    marked as a test at ingest (a test token, a Qualtrics preview).
``fieldwork``
    submitted before ``start`` or after ``end`` (inclusive dates); responses without a
    trustworthy submit date are not judged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.codebook import UNKNOWN_GROUP, Codebook
from analysis.errors import InputError, problem
from analysis.log import logger

RULES = ("completeness", "straightlining", "speeding", "attention_check", "duplicates",
         "test_responses", "fieldwork")
LEDGER_COLUMNS = ["respondent", "source_file", "source_row", "organisation", "function_group",
                  "rules", "details"]


@dataclass
class ScreenResult:
    """What the screen decided: the kept responses, the ledger of the excluded, the counts."""

    kept: pd.DataFrame
    ledger: pd.DataFrame
    counts: dict
    flags: pd.DataFrame  # one bool column per rule, one row per submitted response


def _check_rules(rules: dict) -> None:
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise InputError([problem("params.yaml", None, f"clean.{name}", name,
                                  f"one of the rules {', '.join(RULES)}") for name in unknown])


def _enabled(rules: dict, name: str) -> dict | None:
    rule = rules.get(name)
    if rule is None or not rule.get("enabled", True):
        return None
    return rule


def _details(flag: np.ndarray, text: pd.Series) -> np.ndarray:
    """An object array: ``text`` (indexed by flagged row) at the flagged rows, '' elsewhere."""
    out = np.full(len(flag), "", dtype=object)
    out[np.flatnonzero(flag)] = text.to_numpy(dtype=object)
    return out


def _completeness(values: np.ndarray, items: list[str], codebook: Codebook, rule: dict):
    answered = ~np.isnan(values)
    short_by = {}
    for cid, construct in codebook.constructs.items():
        cols = [j for j, i in enumerate(items) if codebook.items[i].construct == cid]
        if not cols:
            continue
        share_needed = rule.get("min_share_per_construct")
        share_needed = construct.min_share if share_needed is None else float(share_needed)
        n_answered = answered[:, cols].sum(axis=1)
        short_by[cid] = (n_answered < share_needed * len(cols) - 1e-9, n_answered, len(cols))
    flag = np.zeros(len(values), dtype=bool)
    for short, _, _ in short_by.values():
        flag |= short
    rows = np.flatnonzero(flag)
    text = pd.Series("", index=rows, dtype=object)
    for cid, (short, n_answered, n_items) in short_by.items():
        hit = short[rows]
        part = f"{cid} " + pd.Series(n_answered[rows], index=rows).astype(str) + f"/{n_items}"
        text = text.where(~hit, text + np.where(text == "", "", ", ") + part)
    return flag, _details(flag, text)


def longest_run(values: np.ndarray) -> np.ndarray:
    """Length of the longest run of identical consecutive answers in each row.

    Missing answers (NaN) break a run and do not start one.

    Examples
    --------
    >>> longest_run(np.array([[1, 1, 2, 2, 2], [3, np.nan, 3, 3, 1.]])).tolist()
    [3, 2]
    """
    n, k = values.shape
    best = np.zeros(n, dtype=np.int64)
    run = np.zeros(n, dtype=np.int64)
    for j in range(k):  # loop over items, vectorised over respondents
        present = ~np.isnan(values[:, j])
        same = present & (values[:, j] == values[:, j - 1]) if j else np.zeros(n, bool)
        run = np.where(same, run + 1, np.where(present, 1, 0))
        best = np.maximum(best, run)
    return best


def _straightlining(values: np.ndarray, items: list[str], codebook: Codebook, rule: dict):
    run = longest_run(values)
    max_run = rule.get("max_run")
    too_long = run > max_run if max_run is not None else np.zeros(len(values), bool)
    n_answered = (~np.isnan(values)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing rows
        spread = np.nanmax(values, axis=1) - np.nanmin(values, axis=1)
    zero = (spread == 0) & (n_answered >= 2)
    if rule.get("reverse_pairs_only", False):
        reverse = np.array([codebook.items[i].reverse for i in items])
        if not reverse.any():
            warnings.warn("straightlining.reverse_pairs_only is set but the codebook has no "
                          "reverse-keyed items: zero spread flags nobody", stacklevel=3)
            zero = np.zeros(len(values), bool)
        else:  # zero spread counts only when reverse items were answered too
            zero &= (~np.isnan(values[:, reverse])).any(axis=1) & (
                ~np.isnan(values[:, ~reverse])).any(axis=1)
    zero &= bool(rule.get("flag_zero_spread", True))
    flag = too_long | zero
    rows = np.flatnonzero(flag)
    text = ("longest run " + pd.Series(run[rows]).astype(str) + " of "
            + pd.Series(n_answered[rows]).astype(str)
            + np.where(zero[rows], ", zero spread", ""))
    return flag, _details(flag, text)


def _speeding(respondents: pd.DataFrame, values: np.ndarray, rule: dict):
    n_answered = (~np.isnan(values)).sum(axis=1)
    per_item = respondents["duration_s"].to_numpy(dtype="float64", na_value=np.nan) / np.where(
        n_answered > 0, n_answered, np.nan)
    trusted = respondents["timing_trusted"].to_numpy(dtype=bool) & ~np.isnan(per_item)
    untrusted = int((~trusted).sum())
    if untrusted:
        warnings.warn(f"speeding not judged for {untrusted} of {len(trusted)} responses: their "
                      "timing is not trustworthy (no duration or a placeholder submit date)",
                      stacklevel=3)
    if not trusted.any():
        return np.zeros(len(values), bool), np.full(len(values), "", dtype=object)
    median = float(np.median(per_item[trusted]))
    threshold = float(rule.get("min_share_of_median", 0.4)) * median
    flag = trusted & (per_item < threshold)
    text = (pd.Series(per_item[flag]).round(1).astype(str)
            + f" s per item, threshold {threshold:.1f} s (median {median:.1f})")
    return flag, _details(flag, text)


def _attention(values: np.ndarray, items: list[str], codebook: Codebook):
    flag = np.zeros(len(values), dtype=bool)
    first_failure = np.full(len(values), -1)
    checks = codebook.attention_items
    for k, item in enumerate(checks):
        answer = values[:, items.index(item.id)]
        # answered otherwise than instructed; an unanswered check is completeness's business
        failed = ~np.isnan(answer) & (answer != item.attention_expected)
        first_failure = np.where(failed & (first_failure < 0), k, first_failure)
        flag |= failed
    rows = np.flatnonzero(flag)
    text = pd.Series("", index=rows, dtype=object)
    for k, item in enumerate(checks):
        answer = values[rows, items.index(item.id)]
        shown = pd.Series(np.nan_to_num(answer).astype(np.int64).astype(str), index=rows)
        text = text.where(first_failure[rows] != k, f"{item.id} answered " + shown
                          + f", expected {item.attention_expected}")
    return flag, _details(flag, text)


def _duplicates(respondents: pd.DataFrame, answers: pd.DataFrame, items: list[str], rule: dict):
    token = respondents["token"].reset_index(drop=True)
    by_token = token.notna() & token.duplicated(keep="first")
    details = np.where(by_token, "token seen before", "")
    flag = by_token.to_numpy()
    if rule.get("identical_answers", True) and items:
        block = answers[items].reset_index(drop=True)
        answered = block.notna().any(axis=1)
        same = pd.util.hash_pandas_object(block, index=False)
        same = answered & same.duplicated(keep="first")
        details = np.where(same & (details == ""), "identical answers to an earlier response",
                           np.where(same, np.char.add(details.astype(str),
                                                      "; identical answers"), details))
        flag = flag | same.to_numpy()
    return flag, details


def _fieldwork(respondents: pd.DataFrame, rule: dict):
    submitted = respondents["submitted_at"]
    start = pd.Timestamp(rule["start"]) if rule.get("start") else None
    end = pd.Timestamp(rule["end"]) if rule.get("end") else None
    day = submitted.dt.normalize()
    before = (day < start) if start is not None else pd.Series(False, index=submitted.index)
    after = (day > end) if end is not None else pd.Series(False, index=submitted.index)
    flag = (before | after).fillna(False).to_numpy(dtype=bool)
    text = "submitted " + submitted.dt.strftime("%Y-%m-%d").fillna("")
    details = np.where(flag, text + f" outside {rule.get('start')}..{rule.get('end')}", "")
    return flag, details


def screen(respondents: pd.DataFrame, answers: pd.DataFrame, codebook: Codebook,
           rules: dict) -> ScreenResult:
    """Apply the carefulness screen and return the kept responses, the ledger and the counts.

    Parameters
    ----------
    respondents, answers : DataFrame
        The ingest tables (``analysis.survey_io.read_survey``), joined on ``respondent``.
    codebook : Codebook
        Gives constructs, reverse keys and attention-check items.
    rules : dict
        ``params.yaml``'s ``clean`` section; a missing rule or ``enabled: false`` is off.

    Returns
    -------
    ScreenResult
        ``kept`` (respondent columns plus item columns of the kept responses), ``ledger``
        (:data:`LEDGER_COLUMNS`), ``counts`` (``submitted``, ``kept``, ``excluded``,
        ``excluded_by_rule`` for every enabled rule, ``unknown_function_group`` among the
        kept) and ``flags`` (one boolean column per enabled rule).

    Notes
    -----
    Speeding: with :math:`t_i` = duration / answered items of response *i* and *m* the median
    of :math:`t_i` over responses with trusted timing, response *i* is speeding when
    :math:`t_i < s \\cdot m` for the share *s* (``min_share_of_median``). This is the
    relative-speed screen of Leiner (2019); straight-lining by longest string follows
    Curran (2016) and Meade & Craig (2012).

    References
    ----------
    Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey
    data. *Journal of Experimental Social Psychology*, 66, 4-19.
    Leiner, D. J. (2019). Too fast, too straight, too weird: Non-reactive indicators for
    meaningless data in internet surveys. *Survey Research Methods*, 13(3), 229-248.
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
    *Psychological Methods*, 17(3), 437-455.

    Examples
    --------
    >>> from analysis.survey_io import read_survey
    >>> t = read_survey("tests/data/limesurvey_remotecontrol_export/export_responses_code.csv",
    ...                 None, key=b"k")
    >>> r = screen(t.respondents, t.answers, t.codebook, {"straightlining": {"max_run": 20}})
    >>> r.counts["excluded_by_rule"]
    {'straightlining': 1}
    """
    _check_rules(rules)
    if len(respondents) != len(answers) or not (
            respondents["respondent"].to_numpy() == answers["respondent"].to_numpy()).all():
        answers = respondents[["respondent"]].merge(answers, on="respondent", how="left",
                                                    validate="one_to_one")
    respondents = respondents.reset_index(drop=True)
    answers = answers.reset_index(drop=True)
    items = [i for i in codebook.items if i in answers.columns]
    scale = [i.id for i in codebook.scale_items if i.id in answers.columns]
    values = answers[scale].to_numpy(dtype="float64", na_value=np.nan)
    every = answers[items].to_numpy(dtype="float64", na_value=np.nan)

    results = {}
    if (rule := _enabled(rules, "completeness")) is not None:
        results["completeness"] = _completeness(values, scale, codebook, rule)
    if (rule := _enabled(rules, "straightlining")) is not None:
        results["straightlining"] = _straightlining(values, scale, codebook, rule)
    if (rule := _enabled(rules, "speeding")) is not None:
        results["speeding"] = _speeding(respondents, values, rule)
    if (rule := _enabled(rules, "attention_check")) is not None and codebook.attention_items:
        results["attention_check"] = _attention(every, items, codebook)
    if (rule := _enabled(rules, "duplicates")) is not None:
        results["duplicates"] = _duplicates(respondents, answers, items, rule)
    if _enabled(rules, "test_responses") is not None:
        test = respondents["is_test"].to_numpy(dtype=bool)
        results["test_responses"] = (test, np.where(test, "marked as test at ingest", ""))
    if (rule := _enabled(rules, "fieldwork")) is not None:
        results["fieldwork"] = _fieldwork(respondents, rule)

    flags = pd.DataFrame({name: flag for name, (flag, _) in results.items()},
                         index=respondents.index, dtype=bool)
    excluded = flags.any(axis=1).to_numpy() if len(flags.columns) else np.zeros(
        len(respondents), bool)

    # The ledger: every excluded response with all the rules it broke.
    rows = np.flatnonzero(excluded)
    rule_text = pd.Series("", index=rows, dtype=object)
    detail_text = pd.Series("", index=rows, dtype=object)
    for name, (flag, details) in results.items():
        hit = flag[rows]
        sep = np.where(rule_text == "", "", ";")
        rule_text = rule_text.where(~hit, rule_text + sep + name)
        dsep = np.where(detail_text == "", "", "; ")
        detail_text = detail_text.where(~hit, detail_text + dsep + f"{name}: "
                                        + pd.Series(details[rows], index=rows).astype(str))
    ledger = respondents.loc[rows, ["respondent", "source_file", "source_row", "organisation",
                                    "function_group"]].copy()
    ledger["rules"] = rule_text.astype("string")
    ledger["details"] = detail_text.astype("string")
    ledger = ledger.reset_index(drop=True)

    kept = respondents.loc[~excluded].merge(answers[["respondent", *items]], on="respondent",
                                            how="left", validate="one_to_one")
    counts = {
        "submitted": int(len(respondents)),
        "kept": int(len(kept)),
        "excluded": int(excluded.sum()),
        "excluded_by_rule": {name: int(flag.sum()) for name, (flag, _) in results.items()},
        "unknown_function_group": int((kept["function_group"] == UNKNOWN_GROUP).sum()),
    }
    logger.info("screen: %d submitted, %d kept, %d excluded (%s)", counts["submitted"],
                counts["kept"], counts["excluded"],
                ", ".join(f"{k} {v}" for k, v in counts["excluded_by_rule"].items()))
    return ScreenResult(kept, ledger, counts, flags)
