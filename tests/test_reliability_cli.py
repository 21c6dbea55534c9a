"""Tests of ``python -m analysis reliability`` on the bfi and pingouin reference files.

Expected figures: tests/data/bfi_psych/SOURCE.txt (alphas recomputed independently, pairwise
.703 .727 .762 .814 .600) and tests/data/pingouin_cronbach/SOURCE.txt (pingouin's published
0.7327 pairwise and 0.8017 listwise on the wide file with gaps).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pingouin as pg
import pytest

from analysis import reliability_cli
from analysis.errors import InputError

DATA = Path(__file__).parent / "data"
BFI = ["--codebook", str(DATA / "bfi_psych" / "bfi_codebook.yaml"),
       "--responses", str(DATA / "bfi_psych" / "bfi.csv")]
WIDE = ["--codebook", str(DATA / "pingouin_cronbach" / "cronbach_wide_codebook.yaml"),
        "--responses", str(DATA / "pingouin_cronbach" / "cronbach_wide_missing.csv")]


def _json(capsys, argv) -> dict:
    assert reliability_cli.main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_bfi_table_shows_alpha_ci_and_omega_per_construct(capsys):
    assert reliability_cli.main(BFI) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[3:] if line.strip()}
    # SOURCE.txt alphas to three decimals (0.7030 0.7267 0.7617 0.8140 0.6002)
    for construct, alpha in [("agreeableness", "0.703"), ("conscientiousness", "0.727"),
                             ("extraversion", "0.762"), ("neuroticism", "0.814"),
                             ("openness", "0.600")]:
        assert f" {alpha} " in lines[construct], lines[construct]
    assert "95% CI" in out and "omega" in out and "2800 respondents" in out
    assert "warnings" not in out  # all alphas reach .60 and no item is flagged


def test_bfi_json_has_the_same_figures(capsys):
    result = _json(capsys, BFI)
    rows = {r["construct"]: r for r in result["constructs"]}
    assert rows["neuroticism"]["alpha"] == pytest.approx(0.8140, abs=6e-5)
    assert rows["openness"]["alpha"] == pytest.approx(0.6002, abs=6e-5)
    low, high = rows["agreeableness"]["alpha_ci"]
    assert low < rows["agreeableness"]["alpha"] < high
    assert all(0.5 < r["omega"] < 1 for r in rows.values())
    assert result["reader"] == "tidy" and result["policy"] == "pairwise"
    assert result["min_alpha"] == 0.6  # params.yaml score.min_alpha


def test_missing_reverse_keys_are_flagged(tmp_path, capsys):
    text = (DATA / "bfi_psych" / "bfi_codebook.yaml").read_text(encoding="utf-8")
    unkeyed = tmp_path / "bfi_unkeyed.yaml"
    unkeyed.write_text(text.replace("    reverse: true\n", ""), encoding="utf-8")
    argv = ["--codebook", str(unkeyed), "--responses", BFI[3]]
    result = _json(capsys, argv)
    rows = {r["construct"]: r for r in result["constructs"]}
    # SOURCE.txt: without the keys conscientiousness -0.28, extraversion -0.63, openness -0.13
    assert rows["extraversion"]["alpha"] == pytest.approx(-0.63, abs=0.005)
    assert {"E1", "E2"} <= set(rows["extraversion"]["flagged_items"])
    assert {"C4", "C5"} <= set(rows["conscientiousness"]["flagged_items"])
    assert rows["neuroticism"]["flagged_items"] == {}
    assert any("negative item-rest" in w for w in rows["openness"]["warnings"])
    assert reliability_cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "E1 (-" in out and "negative item-rest correlation" in out


@pytest.mark.parametrize("policy, alpha, n", [("pairwise", 0.732660835214447, 12),
                                              ("listwise", 0.8016949152542373, 9)])
def test_pingouin_wide_file_with_bom_and_gaps(capsys, policy, alpha, n):
    result = _json(capsys, [*WIDE, "--policy", policy])
    (row,) = result["constructs"]
    # pingouin's published values (SOURCE.txt), the policy stated in the output
    assert row["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert (row["n"], row["n_items"], result["policy"]) == (n, 11, policy)


def test_bad_codebook_raises_input_error_naming_the_field(tmp_path):
    text = (DATA / "bfi_psych" / "bfi_codebook.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("construct: openness", "construct: opennes", 1),
                      encoding="utf-8")
    with pytest.raises(InputError) as info:
        reliability_cli.main(["--codebook", str(broken), "--responses", BFI[3]])
    (found,) = info.value.problems
    assert found.column == "item O1.construct" and found.value == "opennes"


def test_command_line_exits_1_with_one_line_per_problem(tmp_path):
    missing = tmp_path / "nothing.csv"
    done = subprocess.run([sys.executable, "-m", "analysis", "reliability", "--codebook",
                           BFI[1], "--responses", str(missing)], capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent, timeout=120)
    assert done.returncode == 1
    assert "error:" in done.stderr and "nothing.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_by_organisation_adds_a_scope_per_organisation(tmp_path, capsys):
    # a small tidy file: two organisations, three items; alpha of 'all' checked by pingouin
    codebook = tmp_path / "small.yaml"
    codebook.write_text(
        "constructs:\n  - {id: trust, name: {nl: Vertrouwen, en: Trust}}\n"
        "items:\n" + "".join(f"  - {{id: t{i}, construct: trust, text: {{nl: t, en: t}}, "
                             f"sources: {{tidy: t{i}}}}}\n" for i in (1, 2, 3)) +
        "background:\n  organisation:\n    sources: {tidy: organisation}\n", encoding="utf-8")
    rows = [("AAA", 1, 2, 1), ("AAA", 2, 2, 3), ("AAA", 4, 5, 4), ("AAA", 5, 4, 5),
            ("BBB", 3, 3, 2), ("BBB", 2, 1, 2), ("BBB", 4, 4, 5), ("BBB", 1, 2, 2)]
    responses = tmp_path / "small.csv"
    responses.write_text("organisation,t1,t2,t3\n" + "".join(
        ",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    result = _json(capsys, ["--codebook", str(codebook), "--responses", str(responses),
                            "--by-organisation"])
    scopes = {r["scope"]: r for r in result["constructs"]}
    assert list(scopes) == ["all", "AAA", "BBB"]
    assert scopes["AAA"]["n"] == scopes["BBB"]["n"] == 4
    frame = pd.DataFrame(rows, columns=["organisation", "t1", "t2", "t3"])
    assert scopes["all"]["alpha"] == pytest.approx(
        pg.cronbach_alpha(frame[["t1", "t2", "t3"]].astype(float))[0], abs=1e-12)
