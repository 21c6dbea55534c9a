"""``python -m analysis reliability``: how reliable each construct of a codebook is on a file.

Reads any response file the ingest stage can read (:func:`analysis.survey_io.read_survey`:
LimeSurvey, Qualtrics, SurveyMonkey, Microsoft Forms, SPSS, or a tidy CSV such as R's
``write.csv`` output) with the given codebook, and prints per construct the number of
respondents, Cronbach's alpha with its 95% confidence interval, McDonald's omega total and the
flagged items (negative item-rest correlation) with every warning. ``--json`` prints the same
as JSON. Example, with the bfi data of R's psych package kept in the tests::

    python -m analysis reliability --codebook tests/data/bfi_psych/bfi_codebook.yaml \\
        --responses tests/data/bfi_psych/bfi.csv

Nothing is written; the respondent hashes are made with a throw-away key, since they never
leave the command.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import warnings

import yaml

from analysis import codebook as codebook_module
from analysis import scales
from analysis.errors import InputError, problem
from analysis.paths import PARAMS


def _score_params() -> dict:
    """The ``score`` section of params.yaml (empty when the file or section is missing)."""
    try:
        params = yaml.safe_load(PARAMS.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    return params.get("score") or {}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis reliability",
        description="Reliability (alpha with CI, omega, flagged items) of every construct of a "
                    "codebook on a response file.")
    parser.add_argument("--codebook", required=True, help="codebook YAML file")
    parser.add_argument("--responses", required=True,
                        help="survey export or tidy CSV (any file the ingest stage reads)")
    parser.add_argument("--reader", default="auto",
                        help="survey reader: auto (default), limesurvey, qualtrics, "
                             "surveymonkey, msforms, spss, tidy")
    parser.add_argument("--source", default=None,
                        help="which 'sources' entry of the codebook names the columns "
                             "(default: the reader's name)")
    parser.add_argument("--policy", choices=scales.POLICIES, default=None,
                        help="missing answers: pairwise-complete covariances or complete "
                             "respondents only (default: params.yaml score.missing_policy, "
                             "else pairwise)")
    parser.add_argument("--by-organisation", action="store_true",
                        help="also report each organisation of the file")
    parser.add_argument("--min-alpha", type=float, default=None,
                        help="flag alpha below this (default: params.yaml score.min_alpha)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _number(value: object) -> float | None:
    """A float for JSON, ``None`` for missing."""
    value = float(value)
    return None if math.isnan(value) else value


def _result(args: argparse.Namespace) -> dict:
    """Read the files and compute everything the command shows."""
    from analysis.survey_io import read_survey

    codebook = codebook_module.load(args.codebook)
    tables = read_survey(args.responses, codebook, args.reader, key=os.urandom(32),
                         source=args.source)
    answers = tables.answers
    groups = None
    if args.by_organisation:
        groups = tables.respondents["organisation"].set_axis(answers.index)
    params = _score_params()
    min_alpha = float(params.get("min_alpha", scales.MIN_ALPHA) if args.min_alpha is None
                      else args.min_alpha)
    policy = args.policy or params.get("missing_policy", "pairwise")
    if policy not in scales.POLICIES:
        raise InputError(problem(PARAMS, None, "score.missing_policy", policy,
                                 f"one of {list(scales.POLICIES)}"))

    # The caveats are in the table's warnings column; do not print them twice on stderr.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scales.ReliabilityWarning)
        table = scales.reliability(answers, codebook, groups, policy=policy,
                                   min_alpha=min_alpha)
        items = scales.item_statistics(answers, codebook, policy=policy)

    rows = []
    for row in table.itertuples(index=False):
        flagged = items[(items["construct"] == row.construct) & (items["item_rest_r"] < 0)]
        rows.append({
            "construct": row.construct, "scope": row.scope, "n": int(row.n),
            "n_items": int(row.n_items), "alpha": _number(row.alpha),
            "alpha_ci": [_number(row.alpha_ci_low), _number(row.alpha_ci_high)],
            "omega": _number(row.omega),
            # item-rest correlations are over all respondents of the file
            "flagged_items": ({r.item: _number(r.item_rest_r) for r in flagged.itertuples()}
                              if row.scope == "all" else {}),
            "warnings": [w for w in row.warnings.split("; ") if w]})
    return {"codebook": str(args.codebook), "responses": str(args.responses),
            "reader": tables.reader, "respondents": len(answers), "policy": policy,
            "min_alpha": min_alpha, "constructs": rows}


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _text(result: dict) -> str:
    """The result as an aligned table plus one line per warning."""
    lines = [f"{result['responses']} ({result['reader']}, {result['respondents']} respondents), "
             f"codebook {result['codebook']}, missing answers: {result['policy']}", ""]
    width = max(len("construct"), *(len(r["construct"]) for r in result["constructs"]))
    scope_width = max(5, *(len(r["scope"]) for r in result["constructs"]))
    lines.append(f"{'construct':<{width}}  {'scope':<{scope_width}}  {'n':>6}  items  "
                 f"{'alpha':>6}  {'95% CI':<16}  {'omega':>6}  flagged items")
    for r in result["constructs"]:
        low, high = r["alpha_ci"]
        flagged = ", ".join(f"{k} ({v:.2f})" for k, v in r["flagged_items"].items())
        lines.append(f"{r['construct']:<{width}}  {r['scope']:<{scope_width}}  {r['n']:>6}  "
                     f"{r['n_items']:>5}  {_fmt(r['alpha']):>6}  "
                     f"{'[' + _fmt(low) + ', ' + _fmt(high) + ']':<16}  "
                     f"{_fmt(r['omega']):>6}  {flagged}")
    caveats = [f"  {r['construct']} ({r['scope']}): {w}" for r in result["constructs"]
               for w in r["warnings"]]
    if caveats:
        lines += ["", f"warnings (alpha is flagged below {result['min_alpha']:.2f}):", *caveats]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status (bad input raises InputError, exit 1)."""
    args = _parser().parse_args(argv)
    result = _result(args)
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else _text(result))
    return 0
