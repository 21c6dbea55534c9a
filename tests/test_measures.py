"""Tests for analysis.measures: every measure is defined once, completely, in both languages."""

from pathlib import Path

import pytest

from analysis import measures
from analysis.platform_io import read_platform
from analysis.usage import group_measures, user_measures

DATA = Path(__file__).parent / "data"
NATIVE = DATA / "platform_native"
WINDOW = ("2025-09-01", "2026-02-28")


def test_every_measure_is_complete():
    for m in measures.MEASURES.values():
        assert m.level in {"user", "group", "organisation"}, m.id
        assert m.kind in {"share", "rate", "count"}, m.id
        assert m.unit, m.id
        for text in (m.label_nl, m.label_en):
            assert text.strip(), m.id
        # one sentence each, in Dutch and in English
        for text in (m.definition_nl, m.definition_en):
            assert text.endswith(".") and text.count(". ") == 0, (m.id, text)
        assert m.definition_nl != m.definition_en, m.id


def test_ids_are_unique_and_cover_the_issue():
    assert len(measures.ids()) == len(set(measures.ids()))
    wanted = {"microblogs_per_month", "comments_per_month", "likes_per_month",
              "documents_per_month", "pages_per_month", "group_posts_per_month", "questions",
              "active", "contributor", "reader_only", "never_posted", "profile_complete",
              *(f"profile_{f}" for f in measures.PROFILE_FIELDS),
              "open", "members_employees", "members_other", "posts_per_member", "group_active",
              "groups_open", "groups_closed"}
    assert wanted <= set(measures.ids())


def test_engine_columns_are_exactly_the_defined_measures():
    # the engine may not invent a measure that this module does not define, nor drop one
    tables = read_platform(NATIVE, mapping=NATIVE / "function_group_map.csv", key=b"k")
    per_user, _ = user_measures(tables.users, tables.events, tables.memberships, *WINDOW)
    assert list(per_user.columns[:3]) == ["user", "organisation", "function_group"]
    assert set(per_user.columns[3:]) == set(measures.ids("user"))
    per_group = group_measures(tables.groups, tables.events, tables.memberships, tables.users,
                               *WINDOW, 0.05)
    assert set(per_group.columns[3:]) == set(measures.ids("group"))


def test_availability_follows_capabilities():
    # the Viva Engage export has events but no likes, memberships or photos
    yammer = measures.available({"users", "events", "event_types", "posts", "questions",
                                 "groups", "group_activity", "profile", "profile_job_title"})
    assert yammer["microblogs_per_month"] and yammer["questions"]
    assert not yammer["likes_per_month"]
    assert not yammer["group_active"] and not yammer["profile_photo"]
    everything = measures.available({n for m in measures.MEASURES.values() for n in m.needs})
    assert all(everything.values())


def test_table_and_lookup():
    nl, en = measures.table("nl"), measures.table("en")
    assert len(nl) == len(en) == len(measures.MEASURES)
    assert nl.set_index("id").loc["likes_per_month", "label"] == "likes gegeven per maand"
    assert en.set_index("id").loc["reader_only", "label"] == "reader only"
    assert measures.get("contributor").definition("en").startswith("The account created")
    with pytest.raises(KeyError, match="unknown measure"):
        measures.get("logins")
    with pytest.raises(ValueError):
        measures.table("de")
