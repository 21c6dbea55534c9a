"""Parameter recovery: the analysis finds the effects the simulator plants, and no others.

The simulator (:mod:`analysis.simulate`) plants effects on a latent scale; what they become on
the observed 1-5 answers (after rounding, clipping and screening) has no closed form. So the
*true value* of each effect is measured once on a very large simulated study with the same
settings (the population), and each small study of demo size (600 responses, seven
organisations) must find the effect with the right sign and, for most seeds, a 95% confidence
interval that covers the population value. The null simulation (``effects=False``) must not
put more organisations clearly above or below the benchmark than the false discovery rate
allows.

Everything runs in-process through the same functions the stage notebooks call.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import (
    benchmark,
    correlate,
    platform_io,
    scales,
    screening,
    survey_io,
    usage,
    variables,
)
from analysis import codebook as cb
from analysis import organisations as org_register
from analysis.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
KEY = b"recovery-test-key"
SEEDS = range(101, 109)

pytestmark = pytest.mark.slow


def study(folder: Path, seed: int, respondents: int = 600, effects: bool = True) -> dict:
    """Simulate one study and run it through ingest, clean, score, usage and benchmark."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # timing and small-n caveats are expected here
        return _study(folder, seed, respondents, effects)


def _study(folder: Path, seed: int, respondents: int, effects: bool) -> dict:
    paths = simulate(folder, organisations=7, respondents=respondents, seed=seed,
                     effects=effects)
    book = cb.load(paths["codebook"])
    register = org_register.read(paths["organisations"])
    survey = survey_io.read_surveys([paths["survey"]], book, key=KEY)
    kept = screening.screen(survey.respondents, survey.answers, book, PARAMS["clean"]).kept
    items = [i.id for i in book.items.values()]
    scores, _ = scales.score(kept[["respondent", *items]], book)
    scores = kept[["respondent", "organisation", "function_group"]].merge(scores)
    platform = platform_io.read_platform(paths["users"].parent, fmt="native",
                                         mapping=paths["function_group_map"], key=KEY,
                                         organisations=register)
    per_user = usage.user_measures(platform.users, platform.events, platform.memberships,
                                   PARAMS["usage"]["window_start"],
                                   PARAMS["usage"]["window_end"]).measures
    values = variables.long_values(scores, per_user, list(book.constructs))
    return {"values": values, "register": register, "scores": scores}


def pooled_gap(values: pd.DataFrame) -> pd.Series:
    """Managers minus staff on culture, everyone pooled (the perception gap's pooled row)."""
    gap = benchmark.perception_gap(values, ["culture"], PARAMS["benchmark"])
    return gap[gap["organisation"] == "benchmark"].iloc[0]


def external_attitude_gap(values: pd.DataFrame) -> tuple[float, float, float]:
    """External staff minus everyone else on attitude to the intranet, with a Welch 95% CI."""
    attitude = values[(values["variable"] == "intranet_attitude")
                      & (values["function_group"] != "unknown")].dropna(subset=["value"])
    outside = attitude["function_group"] == "external"
    a, b = attitude.loc[outside, "value"], attitude.loc[~outside, "value"]
    diff = a.mean() - b.mean()
    se = np.sqrt(a.var() / len(a) + b.var() / len(b))
    return diff, diff - 1.96 * se, diff + 1.96 * se


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    """The true effects on the observed scale: one study of 40,000 responses."""
    values = study(tmp_path_factory.mktemp("population"), seed=1, respondents=40_000)["values"]
    return {"gap": float(pooled_gap(values)["gap"]),
            "external": external_attitude_gap(values)[0]}


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    return [study(tmp_path_factory.mktemp(f"seed{s}"), seed=s) for s in SEEDS]


def test_population_effects_have_the_planted_sign(population):
    assert population["gap"] > 0.2  # managers see the culture more positively
    assert population["external"] < -0.2  # external staff like the intranet least


def test_managers_staff_gap_is_found_and_covered(studies, population):
    covered = 0
    for result in studies:
        row = pooled_gap(result["values"])
        assert row["gap"] > 0 and row["p"] < 0.05, row
        covered += row["ci_low"] <= population["gap"] <= row["ci_high"]
    # 95% intervals: with 8 seeds, 6 or more covering is expected with probability > 0.99
    assert covered >= 6, f"CI covered the population gap in only {covered} of {len(SEEDS)}"


def test_external_staff_lowest_on_attitude_is_found_and_covered(studies, population):
    covered = 0
    for result in studies:
        diff, low, high = external_attitude_gap(result["values"])
        assert high < 0, (diff, low, high)
        covered += low <= population["external"] <= high
    assert covered >= 6, f"CI covered the population difference in only {covered} of 8"


def test_organisation_ranking_and_soft_hard_link(studies):
    top, survey_usage = 0, []
    for result in studies:
        org_means = correlate.organisation_means(result["values"], 5)
        idx = correlate.indices(org_means, survey_variables=PARAMS["correlate"]["survey_index"],
                                usage_variables=PARAMS["correlate"]["usage_index"],
                                reverse=tuple(PARAMS["correlate"]["reverse"]))
        idx = idx.set_index("organisation")
        top += idx["survey_index"].idxmax() == "NDM"
        assert set(idx["survey_index"].nsmallest(3).index) >= {"ZWK", "BRH"} or \
            set(idx["survey_index"].nsmallest(2).index) & {"ZWK", "BRH"}
        survey_usage.append(np.corrcoef(idx["survey_index"], idx["usage_index"])[0, 1])
    assert top >= 6, f"the planted top organisation came first in {top} of 8 seeds"
    # organisations that score higher in the survey use the platform more
    assert np.median(survey_usage) > 0.5 and min(survey_usage) > 0


def test_null_simulation_finds_no_more_than_the_fdr_allows(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged, tested = 0, 0
        for seed in (201, 202, 203):
            result = study(tmp_path / str(seed), seed=seed, effects=False)
            table = benchmark.benchmark(result["values"], result["register"],
                                        PARAMS["benchmark"])
            overall = table[(table["function_group"] == "all") & (table["source"] == "survey")]
            reports = overall.groupby("organisation")["band"].apply(
                lambda b: b.isin(["above", "below"]).any())
            flagged += int(reports.sum())
            tested += len(reports)
    # with no true effect, BH at 5% lets a report contain any discovery with probability about
    # 0.05; 21 reports, so more than 4 would be very unlikely (binomial P(X>4) < 0.01)
    assert flagged <= 4, f"{flagged} of {tested} null reports had a discovery"
