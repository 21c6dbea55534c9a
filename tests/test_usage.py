"""Tests for analysis.usage against hand calculations on the hand-made fixtures.

Window 2025-09-01 .. 2026-02-28, both days included: 181 days = 181 / 30.4375 months. Every
expected number below is worked out by hand from tests/data/platform_native (or the Viva
Engage / Microsoft 365 fixtures); the comment beside it shows the arithmetic.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import usage
from analysis.platform_io import read_platform
from analysis.privacy import pseudonymise

DATA = Path(__file__).parent / "data"
NATIVE = DATA / "platform_native"
KEY = b"test-key"
WINDOW = ("2025-09-01", "2026-02-28")
MONTH = 30.4375
FULL = 181 / MONTH  # months of an account present through the whole window


def h(value: str) -> str:
    return str(pseudonymise(pd.Series([value]), KEY)[0])


@pytest.fixture(scope="module")
def native():
    return read_platform(NATIVE, mapping=NATIVE / "function_group_map.csv", key=KEY)


@pytest.fixture(scope="module")
def per_user(native):
    return usage.user_measures(native.users, native.events, native.memberships, *WINDOW)


@pytest.fixture(scope="module")
def per_group(native):
    return usage.group_measures(native.groups, native.events, native.memberships, native.users,
                                *WINDOW, 0.05)


def test_who_counts(per_user):
    measures, exclusions = per_user
    # employees present in the window: u1, u2, u3, u6, u9, u11
    assert set(measures["user"]) == {h(u) for u in ("u1", "u2", "u3", "u6", "u9", "u11")}
    got = {(r.level, r.reason): r.n for r in exclusions.itertuples()}
    assert got == {
        ("account", "not_employee:citizen"): 1,   # u5
        ("account", "not_employee:service"): 1,   # u8
        ("account", "suspended"): 1,              # u4
        ("account", "deleted_without_date"): 1,   # u10
        ("account", "not_in_window"): 1,          # u7 joined 2026-03-05
        ("event", "outside_window"): 2,           # u1: 2025-08-31 23:59:59, 2026-03-01 00:00
        ("event", "by_left_out_account"): 2,      # u4's microblog, u5's group post
    }


def test_rates_per_month_in_the_window(per_user):
    m = per_user.measures.set_index("user")
    u1 = m.loc[h("u1")]
    # u1, present all window: 2 microblogs, 1 comment, 2 likes (the one at 23:59:59 on the
    # last day counts), 1 document, 1 page, 1 group post
    assert u1["months_in_window"] == pytest.approx(FULL)
    assert u1["microblogs_per_month"] == pytest.approx(2 / FULL)
    assert u1["comments_per_month"] == pytest.approx(1 / FULL)
    assert u1["likes_per_month"] == pytest.approx(2 / FULL)
    assert u1["documents_per_month"] == pytest.approx(1 / FULL)
    assert u1["pages_per_month"] == pytest.approx(1 / FULL)
    assert u1["group_posts_per_month"] == pytest.approx(1 / FULL)
    assert u1["posts_per_month"] == pytest.approx(6 / FULL)  # 2 + 1 + 1 + 1 + 1
    assert u1["questions"] == 2  # text ending in '?' and the flagged group post
    # u2 joined 2025-12-01: 31 + 31 + 28 = 90 days; 2 likes
    u2 = m.loc[h("u2")]
    assert u2["months_in_window"] == pytest.approx(90 / MONTH)
    assert u2["likes_per_month"] == pytest.approx(2 / (90 / MONTH))
    # u3 deleted 2025-10-31: 30 + 31 = 61 days; 1 comment and 1 group post
    u3 = m.loc[h("u3")]
    assert u3["months_in_window"] == pytest.approx(61 / MONTH)
    assert u3["posts_per_month"] == pytest.approx(2 / (61 / MONTH))


def test_roles(per_user):
    m = per_user.measures.set_index("user")
    role = {u: (bool(m.loc[h(u), "active"]), bool(m.loc[h(u), "contributor"]),
                bool(m.loc[h(u), "reader_only"]), bool(m.loc[h(u), "never_posted"]))
            for u in ("u1", "u2", "u6", "u9")}
    assert role["u1"] == (True, True, False, False)
    assert role["u2"] == (True, False, True, True)    # only likes
    assert role["u6"] == (True, True, False, False)
    assert role["u9"] == (False, False, False, True)  # no events


def test_profile_completeness(per_user):
    m = per_user.measures.set_index("user")
    assert m.loc[h("u1"), "profile_complete"] == pytest.approx(1.0)  # 6 of 6
    # u2: job title, department, about filled; photo, phone, expertise not: 3 of 6
    assert m.loc[h("u2"), "profile_complete"] == pytest.approx(0.5)
    assert m.loc[h("u2"), "groups_joined"] == 2


def test_group_measures(per_group):
    g = per_group.set_index("group_id")
    assert "grp4" not in g.index  # deleted
    # grp1: members u1, u2, u3 (employees) and u5 (citizen); posts by u1, u3, u5
    assert g.loc["grp1", ["members_employees", "members_other", "group_posts"]].tolist() == [
        3, 1, 3]
    assert g.loc["grp1", "posts_per_member"] == pytest.approx(3 / 4)
    assert g.loc["grp1", "contributing_members"] == pytest.approx(3 / 4)
    assert bool(g.loc["grp1", "group_active"])
    # grp2: u1, u2 (u4 is suspended: no member); u3 posted but is no member
    assert g.loc["grp2", ["members_employees", "group_posts"]].tolist() == [2, 1]
    assert g.loc["grp2", "posts_per_member"] == pytest.approx(1 / 2)
    assert not bool(g.loc["grp2", "group_active"])  # 0 of 2 contributed
    # grp3: u6, u9 and the service account u8; u6 posted: 1/3 >= 5%
    assert g.loc["grp3", "contributing_members"] == pytest.approx(1 / 3)
    assert bool(g.loc["grp3", "group_active"])
    # grp5 has no members: neither active nor inactive
    assert pd.isna(g.loc["grp5", "posts_per_member"]) and pd.isna(g.loc["grp5", "group_active"])


def test_active_share_threshold(native):
    strict = usage.group_measures(native.groups, native.events, native.memberships,
                                  native.users, *WINDOW, 0.5).set_index("group_id")
    assert bool(strict.loc["grp1", "group_active"])       # 0.75 >= 0.5
    assert not bool(strict.loc["grp3", "group_active"])   # 0.33 < 0.5


def test_summarise(per_user, per_group):
    s = usage.summarise(per_user.measures, per_group).set_index(
        ["organisation", "function_group", "measure"])
    # G01 employees: u1 (contributor), u2 (reader only), u3 (contributor)
    assert s.loc[("G01", "all", "active"), "value"] == pytest.approx(1.0)
    assert s.loc[("G01", "all", "contributor"), "value"] == pytest.approx(2 / 3)
    assert s.loc[("G01", "all", "never_posted"), "value"] == pytest.approx(1 / 3)
    assert s.loc[("G01", "all", "active"), "n"] == 3
    # G02 employees: u6 (contributor), u9 and u11 (inactive)
    assert s.loc[("G02", "all", "active"), "value"] == pytest.approx(1 / 3)
    # profile photo: u6 and u9 of the three
    assert s.loc[("G02", "all", "profile_photo"), "value"] == pytest.approx(2 / 3)
    # groups: G01 grp1 open active, grp2 closed inactive; G02 grp3 open, grp5 closed no members
    assert s.loc[("G01", "all", "groups_open"), "value"] == 1
    assert s.loc[("G01", "all", "share_closed_groups_active"), "value"] == 0
    assert s.loc[("G02", "all", "share_closed_groups_active"), "n"] == 0
    assert pd.isna(s.loc[("G02", "all", "share_closed_groups_active"), "value"])


def test_parquet_events_give_the_same_measures(native, per_user, tmp_path):
    path = tmp_path / "events.parquet"
    native.events.to_parquet(path, index=False)
    again = usage.user_measures(native.users, path, native.memberships, *WINDOW)
    pd.testing.assert_frame_equal(again.measures, per_user.measures)


def test_yammer_measures_not_available_are_missing_not_zero(tmp_path):
    tables = read_platform(DATA / "yammer_export", mapping=DATA / "yammer_export_map.csv",
                           key=KEY)
    # the availability travels with the users table through parquet
    tables.users.to_parquet(tmp_path / "users.parquet", index=False)
    users = pd.read_parquet(tmp_path / "users.parquet")
    m = usage.user_measures(users, tables.events, tables.memberships, *WINDOW).measures
    assert m["likes_per_month"].isna().all() and m["groups_joined"].isna().all()
    assert m["profile_photo"].isna().all()
    a = m.set_index("user").loc[h("1001")]
    # 1001: microblog 2001 and group post 2003 (a question)
    assert a["microblogs_per_month"] == pytest.approx(1 / FULL)
    assert a["questions"] == 1
    # 1003 deleted 2025-11-30: 30 + 31 + 30 = 91 days
    assert m.set_index("user").loc[h("1003"), "months_in_window"] == pytest.approx(91 / MONTH)
    g = usage.group_measures(tables.groups, tables.events, tables.memberships, tables.users,
                             *WINDOW, 0.05).set_index("group_id")
    assert g.loc["501", "group_posts"] == 2
    assert g["group_active"].isna().all() and g["posts_per_member"].isna().all()


def test_m365_counts_over_the_report_period():
    tables = read_platform(DATA / "m365_reports", mapping=DATA / "m365_map.csv", key=KEY)
    m = usage.user_measures(tables.users, tables.events, tables.memberships, *WINDOW)
    got = m.measures.set_index("user")
    # Report Period 180 days; anna: 5 posts, 12 likes
    anna = got.loc[h("anna@g01.example.nl")]
    assert anna["posts_per_month"] == pytest.approx(5 / (180 / MONTH))
    assert anna["likes_per_month"] == pytest.approx(12 / (180 / MONTH))
    assert np.isnan(anna["microblogs_per_month"]) and pd.isna(anna["questions"])
    # bram read 15 messages, posted and liked nothing: reader only
    assert bool(got.loc[h("bram@g01.example.nl"), "reader_only"])
    # cor deleted 2025-12-31: 2025-09-02 .. 2025-12-31 = 29 + 31 + 30 + 31 = 121 days
    cor = got.loc[h("cor@g02.example.nl")]
    assert cor["posts_per_month"] == pytest.approx(2 / (121 / MONTH))
    assert not bool(got.loc[h("dirk@g02.example.nl"), "active"])
    g = usage.group_measures(tables.groups, tables.events, tables.memberships, tables.users,
                             *WINDOW, 0.05).set_index("group_id")
    assert g.loc["Team Beleid", "posts_per_member"] == pytest.approx(5 / 10)
    assert "Oud project" not in g.index and pd.isna(g.loc["MT", "group_active"])


def test_m365_period_other_than_window_warns():
    tables = read_platform(DATA / "m365_reports", mapping=DATA / "m365_map.csv", key=KEY)
    with pytest.warns(UserWarning, match="not the window"):
        usage.user_measures(tables.users, tables.events, tables.memberships,
                            "2025-01-01", "2025-06-30")


def test_lazy_csv_events_and_one_aggregate_give_the_same_measures(native, per_user, per_group):
    lazy = read_platform(NATIVE, mapping=NATIVE / "function_group_map.csv", key=KEY,
                         lazy_events=True)
    assert "u1" not in repr(lazy.events)  # the private id map is not shown
    agg = usage.aggregate_events(lazy.events, *WINDOW)
    again = usage.user_measures(lazy.users, agg, lazy.memberships, *WINDOW)
    pd.testing.assert_frame_equal(again.measures, per_user.measures)
    groups = usage.group_measures(lazy.groups, agg, lazy.memberships, lazy.users, *WINDOW, 0.05)
    pd.testing.assert_frame_equal(groups, per_group)
    # read eagerly, the event of the unknown user x99 was dropped at ingest (a note); read
    # lazily, it is counted among the exclusions
    got = {(r.level, r.reason): r.n for r in again.exclusions.itertuples()}
    assert got[("event", "unknown_account")] == 1
    assert got[("event", "outside_window")] == 2


def test_lazy_csv_with_a_bad_row_names_it(tmp_path):
    import shutil

    from analysis.errors import InputError

    folder = tmp_path / "export"
    shutil.copytree(NATIVE, folder)
    path = folder / "events.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace("2026-02-28 23:59:59", "28-02-2026")  # data row 5
    path.write_text("\n".join(lines) + "\n")
    lazy = read_platform(folder, mapping=folder / "function_group_map.csv", key=KEY,
                         lazy_events=True)
    with pytest.raises(InputError) as info:
        usage.aggregate_events(lazy.events, *WINDOW)
    p = info.value.problems[0]
    assert (p.row, p.column, p.value) == (5, "created_at", "28-02-2026")
