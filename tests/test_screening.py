"""The carefulness screen, on tiny frames whose right answers are counted by hand.

Every expected number below is a hand calculation on the frame built in the test (the
comment says how), or a fact of the real LimeSurvey export stated in its SOURCE.txt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import codebook as cb
from analysis.errors import InputError
from analysis.screening import LEDGER_COLUMNS, longest_run, screen
from analysis.survey_io import read_survey

DATA = Path(__file__).parent / "data"
LIMESURVEY = DATA / "limesurvey_remotecontrol_export" / "export_responses_code.csv"

BOOK = cb.from_dict({
    "constructs": [{"id": "a", "name": {"nl": "A", "en": "A"}},
                   {"id": "b", "name": {"nl": "B", "en": "B"}}],
    "items": [
        {"id": "a1", "construct": "a", "text": {"nl": ".", "en": "."}},
        {"id": "a2", "construct": "a", "text": {"nl": ".", "en": "."}},
        {"id": "a3", "construct": "a", "reverse": True, "text": {"nl": ".", "en": "."}},
        {"id": "b1", "construct": "b", "text": {"nl": ".", "en": "."}},
        {"id": "b2", "construct": "b", "text": {"nl": ".", "en": "."}},
        {"id": "att", "construct": None, "attention_expected": 4,
         "text": {"nl": ".", "en": "."}},
    ],
})
OFF = {rule: {"enabled": False} for rule in ("completeness", "straightlining", "speeding",
                                             "attention_check", "duplicates",
                                             "test_responses", "fieldwork")}


def tables(rows: list[list], **columns):
    """Respondents r1.. with answers a1 a2 a3 b1 b2 att (None = missing) and given columns."""
    n = len(rows)
    ids = [f"{i:020x}" for i in range(1, n + 1)]
    respondents = pd.DataFrame({
        "respondent": pd.array(ids, dtype="string"),
        "organisation": pd.array(["X"] * n, dtype="string"),
        "function_group": pd.array(columns.pop("function_group", ["policy"] * n),
                                   dtype="string"),
        "source_file": pd.array(["f.csv"] * n, dtype="string"),
        "source_row": np.arange(1, n + 1),
        "token": pd.array(columns.pop("token", [f"{i:020x}" for i in range(101, 101 + n)]),
                          dtype="string"),
        "started_at": pd.NaT,
        "submitted_at": pd.to_datetime(columns.pop("submitted_at", ["2026-03-10"] * n)),
        "duration_s": columns.pop("duration_s", [300.0] * n),
        "timing_trusted": columns.pop("timing_trusted", [True] * n),
        "is_test": columns.pop("is_test", [False] * n),
        "platform_user": pd.array([None] * n, dtype="string"),
    })
    assert not columns
    answers = pd.DataFrame(rows, columns=list(BOOK.items), dtype="Int8")
    answers.insert(0, "respondent", respondents["respondent"])
    return respondents, answers


def rules(**on):
    out = dict(OFF)
    out.update(on)
    return out


def test_longest_run_by_hand():
    # [1,1,2,2,2] -> 3; [3,nan,3,3,1] -> the nan breaks the run: 2; [5] -> 1; nothing -> 0
    nan = np.nan
    values = np.array([[1, 1, 2, 2, 2], [3, nan, 3, 3, 1], [5, nan, nan, nan, nan],
                       [nan, nan, nan, nan, nan]])
    assert longest_run(values).tolist() == [3, 2, 1, 0]


def test_straightlining_run_and_zero_spread():
    resp, ans = tables([[3, 3, 3, 3, 3, 4],      # all 3: run 5, zero spread
                        [1, 1, 1, 1, 2, 4],      # run 4 > max_run 3, spread 1
                        [1, 2, 1, 2, 1, 4]])     # run 1: kept
    result = screen(resp, ans, BOOK, rules(straightlining={"max_run": 3,
                                                            "flag_zero_spread": True}))
    assert result.flags["straightlining"].tolist() == [True, True, False]
    assert result.ledger["details"].tolist() == [
        "straightlining: longest run 5 of 5, zero spread",
        "straightlining: longest run 4 of 5"]
    # with a long max_run only the zero-spread row goes
    result = screen(resp, ans, BOOK, rules(straightlining={"max_run": 20}))
    assert result.counts["excluded_by_rule"] == {"straightlining": 1}


def test_straightlining_reverse_pairs_only():
    # row 1: all 3 including the reverse item a3 -> careless; row 2: a3 missing, the rest 4
    resp, ans = tables([[3, 3, 3, 3, 3, 4], [4, 4, None, 4, 4, 4]])
    result = screen(resp, ans, BOOK, rules(straightlining={
        "max_run": 20, "flag_zero_spread": True, "reverse_pairs_only": True}))
    assert result.flags["straightlining"].tolist() == [True, False]


def test_completeness_per_construct_share():
    # construct a has 3 items, b has 2. Share 1.0: any gap excludes; share 0.5: a needs 2 of 3
    # (1.5 rounded up), b needs 1 of 2.
    resp, ans = tables([[1, 2, None, 4, 5, 4],  # a 2/3, b 2/2
                        [1, None, None, 4, None, 4],  # a 1/3, b 1/2
                        [1, 2, 3, 4, 5, None]])  # complete (att is no construct item)
    full = screen(resp, ans, BOOK, rules(completeness={"min_share_per_construct": 1.0}))
    assert full.flags["completeness"].tolist() == [True, True, False]
    half = screen(resp, ans, BOOK, rules(completeness={"min_share_per_construct": 0.5}))
    assert half.flags["completeness"].tolist() == [False, True, False]
    assert half.ledger["details"][0] == "completeness: a 1/3"


def test_speeding_against_median_of_trusted():
    # 5 answered items each. Seconds per item: 60, 60, 50, 10, 1 (untrusted). Median of the
    # trusted four = (60 + 50) / 2 = 55; threshold 0.4 * 55 = 22 -> only the 10 s/item row.
    row = [1, 2, 3, 4, 5, 4]
    resp, ans = tables([row] * 5, duration_s=[300.0, 300.0, 250.0, 50.0, 5.0],
                       timing_trusted=[True, True, True, True, False])
    ans.loc[:, "b2"] = [5, 4, 3, 2, 1]  # no identical vectors
    with pytest.warns(UserWarning, match="speeding not judged for 1 of 5"):
        result = screen(resp, ans, BOOK, rules(speeding={"min_share_of_median": 0.4}))
    assert result.flags["speeding"].tolist() == [False, False, False, True, False]
    assert result.ledger["details"][0] == (
        "speeding: 10.0 s per item, threshold 22.0 s (median 55.0)")


def test_attention_check_wrong_answer_fails_missing_does_not():
    resp, ans = tables([[1, 2, 3, 4, 5, 4], [1, 2, 3, 4, 5, 2], [1, 2, 3, 4, 5, None]])
    result = screen(resp, ans, BOOK, rules(attention_check={}))
    # row 2 answered 2 where 4 was instructed; row 3 left the check blank (not a failure)
    assert result.flags["attention_check"].tolist() == [False, True, False]
    assert result.ledger["details"].tolist() == ["attention_check: att answered 2, expected 4"]


def test_duplicates_token_and_identical_answers_keep_first():
    resp, ans = tables([[1, 2, 3, 4, 5, 4], [2, 2, 3, 4, 5, 4], [1, 2, 3, 4, 5, 4],
                        [5, 4, 3, 2, 1, 4]],
                       token=["a" * 20, "b" * 20, "c" * 20, "a" * 20])
    result = screen(resp, ans, BOOK, rules(duplicates={"identical_answers": True}))
    # row 3 repeats row 1's answers; row 4 repeats row 1's token
    assert result.flags["duplicates"].tolist() == [False, False, True, True]
    without = screen(resp, ans, BOOK, rules(duplicates={"identical_answers": False}))
    assert without.flags["duplicates"].tolist() == [False, False, False, True]


def test_fieldwork_and_test_responses():
    resp, ans = tables([[1, 2, 3, 4, 5, 4], [2, 2, 3, 4, 5, 4], [3, 2, 3, 4, 5, 4]],
                       submitted_at=["2026-03-01 23:59", "2026-04-10 23:00", None],
                       is_test=[False, True, False])
    result = screen(resp, ans, BOOK, rules(
        fieldwork={"start": "2026-03-02", "end": "2026-04-10"}, test_responses={}))
    # 1 March is before the start; 10 April is the last day (inclusive); no date: not judged
    assert result.flags["fieldwork"].tolist() == [True, False, False]
    assert result.flags["test_responses"].tolist() == [False, True, False]
    assert result.counts["kept"] == 1


def test_ledger_lists_every_rule_and_unknown_group_is_counted():
    resp, ans = tables([[3, 3, 3, 3, 3, 1], [1, 2, 3, 4, 5, 4], [1, 2, 3, 4, 1, 4]],
                       function_group=["policy", "unknown", "unknown"])
    result = screen(resp, ans, BOOK, rules(straightlining={"max_run": 20},
                                           attention_check={}))
    assert list(result.ledger.columns) == LEDGER_COLUMNS
    assert result.ledger["rules"].tolist() == ["straightlining;attention_check"]
    assert result.counts == {"submitted": 3, "kept": 2, "excluded": 1,
                             "excluded_by_rule": {"straightlining": 1, "attention_check": 1},
                             "unknown_function_group": 2}
    assert list(result.kept.columns) == [*resp.columns, *BOOK.items]
    assert result.kept["function_group"].tolist() == ["unknown", "unknown"]


def test_unknown_rule_is_an_input_error():
    resp, ans = tables([[1, 2, 3, 4, 5, 4]])
    with pytest.raises(InputError, match="clean.speedin"):
        screen(resp, ans, BOOK, {"speedin": {"enabled": True}})


def test_real_limesurvey_straightliner_with_untrusted_timing():
    # SOURCE.txt: one response answering 1 to all 70 items, submit date 1980-01-01
    t = read_survey(LIMESURVEY, None, key=b"k")
    with pytest.warns(UserWarning, match="speeding not judged for 1 of 1"):
        result = screen(t.respondents, t.answers, t.codebook, {
            "straightlining": {"max_run": 20, "flag_zero_spread": True},
            "speeding": {"min_share_of_median": 0.4},
            "fieldwork": {"start": "2026-03-02", "end": "2026-04-10"}})
    assert result.counts["excluded_by_rule"] == {"straightlining": 1, "speeding": 0,
                                                 "fieldwork": 0}
    assert result.ledger["details"][0] == (
        "straightlining: longest run 70 of 70, zero spread")
