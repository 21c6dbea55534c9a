"""The simulator is seeded, writes every raw file, and plants the effects it promises."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from analysis import codebook as cb
from analysis.simulate import PLANTED, simulate


def _digest(paths: dict) -> dict:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in paths.items()}


def test_same_seed_gives_identical_files(tmp_path):
    first = simulate(tmp_path / "a", organisations=2, respondents=80, seed=5)
    second = simulate(tmp_path / "b", organisations=2, respondents=80, seed=5)
    assert _digest(first) == _digest(second)
    third = simulate(tmp_path / "c", organisations=2, respondents=80, seed=6)
    assert _digest(first)["survey"] != _digest(third)["survey"]


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), organisations=7, respondents=2000, seed=3)


def test_survey_export_is_shaped_like_limesurvey(demo_like):
    raw = demo_like["survey"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b'";"' in raw
    survey = pd.read_csv(demo_like["survey"], sep=";", dtype=str, encoding="utf-8-sig")
    book = cb.load(demo_like["codebook"])
    assert set(book.column_map("limesurvey")) <= set(survey.columns)
    assert len(survey) == 2000
    assert (survey["token"] == "test").sum() >= 1
    assert survey["token"].duplicated().sum() >= 10  # the same person twice


def test_planted_effects_show_in_the_raw_answers(demo_like):
    # external staff lowest on attitude to the intranet; managers highest on culture
    survey = pd.read_csv(demo_like["survey"], sep=";", dtype=str, encoding="utf-8-sig")
    book = cb.load(demo_like["codebook"])
    codes = {"Zeer mee oneens": 1, "Mee oneens": 2, "Neutraal": 3, "Mee eens": 4,
             "Zeer mee eens": 5}

    def construct_mean(construct):
        cols = []
        for item in book.items_of(construct):
            values = survey[item.sources["limesurvey"]].map(codes)
            cols.append(6 - values if item.reverse else values)
        return pd.concat(cols, axis=1).mean(axis=1)

    attitude = construct_mean("intranet_attitude").groupby(survey["FUNCTIE"]).mean()
    assert attitude.idxmin() == "Externe dienstverlening / buitendienst"
    culture = construct_mean("culture").groupby(survey["FUNCTIE"]).mean()
    assert culture.idxmax() == "Leidinggevende"
    by_org = construct_mean("intranet_attitude").groupby(survey["ORG"]).mean()
    assert by_org.idxmax() == "NDM" and set(by_org.nsmallest(2).index) == {"ZWK", "BRH"}
    assert PLANTED["group_survey"]["culture"]["manager"] > 0


def test_platform_profiles_and_posting(demo_like):
    users = pd.read_csv(demo_like["users"], dtype=str, keep_default_na=False)
    employees = users[users.user_type == "employee"]
    assert (employees.photo == "1").mean() > 0.9
    assert (employees.phone != "").mean() > 0.9
    assert set(users.user_type) >= {"employee", "citizen", "partner"}
    events = pd.read_csv(demo_like["events"], dtype=str, keep_default_na=False)
    posters = events[events.event_type != "like"].user_id.unique()
    never_post = 1 - employees.user_id.isin(posters).mean()
    assert 0.2 < never_post < 0.7  # a sizeable share of users never posts
    groups = pd.read_csv(demo_like["groups"])
    assert (groups.visibility == "open").sum() > (groups.visibility == "closed").sum()
