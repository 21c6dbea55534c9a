"""Tests for analysis.platform_io: the three export formats, the mapping and pseudonymisation.

Fixtures (tests/data, see SOURCE.txt there): ``platform_native`` (hand-made native export),
``yammer_export`` and ``yammer_export.zip`` (hand-made after the documented Viva Engage network
data export), ``m365_reports`` and ``m365_reports_concealed`` (hand-made after the documented
Microsoft 365 Viva Engage activity reports). Expected values are read off the fixtures by hand.
"""

import shutil
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from analysis import platform_io
from analysis.errors import InputError
from analysis.platform_io import detect_format, read_platform
from analysis.privacy import pseudonymise

DATA = Path(__file__).parent / "data"
NATIVE = DATA / "platform_native"
KEY = b"test-key"


def h(value: str) -> str:
    """The hash the survey side gives the same id (analysis.privacy, namespace '')."""
    return str(pseudonymise(pd.Series([value]), KEY)[0])


@pytest.fixture(scope="module")
def native():
    return read_platform(NATIVE, mapping=NATIVE / "function_group_map.csv", key=KEY,
                         organisations=pd.read_csv(NATIVE / "organisations.csv"))


@pytest.fixture(scope="module")
def yammer():
    return read_platform(DATA / "yammer_export", mapping=DATA / "yammer_export_map.csv", key=KEY)


def _no_identifiers(tables):
    """No name, e-mail address, phone number or message text in any table."""
    for frame in (tables.users, tables.events, tables.groups, tables.memberships):
        text = frame.astype(str).to_numpy().ravel()
        for needle in ("@", "Anna", "Bram", "06-12345678", "Hallo", "Welkom", "Goedemorgen"):
            assert not any(needle in str(v) for v in text), needle


def test_native_tables_follow_the_contract(native):
    assert list(native.users.columns) == [
        "user", "organisation", "function_group", "user_type", "state", "joined_at",
        "deleted_at", "profile_photo", "profile_phone", "profile_job_title",
        "profile_department", "profile_about", "profile_expertise"]
    assert list(native.events.columns) == ["user", "event_type", "created_at", "group_id",
                                           "is_question"]
    assert list(native.groups.columns) == ["group_id", "organisation", "visibility",
                                           "created_at", "deleted"]
    assert list(native.memberships.columns) == ["group_id", "user"]
    platform_io.validate(native)
    _no_identifiers(native)


def test_native_user_hash_matches_the_survey_side(native):
    users = native.users.set_index("user")
    assert users.loc[h("u1"), "user_type"] == "employee"
    assert len(users.index[0]) == 20


def test_mapping_rules(native):
    users = native.users.set_index("user")
    # department Burgerzaken -> external (job title 'Medewerker burgerzaken' is not mapped)
    assert users.loc[h("u1"), ["organisation", "function_group"]].tolist() == ["G01", "external"]
    # job title Teamleider wins over department Burgerzaken
    assert users.loc[h("u3"), "function_group"] == "manager"
    # organisation from the e-mail domain, then the G02-only job title row 'Adviseur'
    assert users.loc[h("u6"), ["organisation", "function_group"]].tolist() == ["G02", "policy"]
    # the G02-only department row ICT
    assert users.loc[h("u9"), "function_group"] == "internal"
    # unmapped: kept as 'unknown' and counted
    assert users.loc[h("u11"), ["organisation", "function_group"]].tolist() == ["G02", "unknown"]
    assert users.loc[h("u5"), "organisation"] == "unknown"
    assert "Employee accounts without a function group in the mapping file, counted as " \
        "'unknown': 2 of 9." in native.notes


def test_native_profile_flags(native):
    users = native.users.set_index("user")
    profile = [c for c in users if c.startswith("profile_")]
    assert users.loc[h("u1"), profile].tolist() == [True] * 6
    # u2: photo 0, no phone, job title, department, about, no expertise
    assert users.loc[h("u2"), ["profile_photo", "profile_phone", "profile_about",
                               "profile_expertise"]].tolist() == [False, False, True, False]


def test_native_events(native):
    events = native.events
    assert len(events) == 18  # 19 rows, one by the unknown user x99
    assert "Events by user ids that users.csv does not list, left out: 1." in native.notes
    u1 = events[events["user"] == h("u1")].sort_values("created_at")
    # question: event 2 by its text ending in '?', event 8 by its flag
    assert int(u1["is_question"].sum()) == 2
    assert set(events["group_id"].dropna()) == {"grp1", "grp2", "grp3"}
    assert len(native.memberships) == 11  # 12 rows, one listed twice


def test_native_events_to_parquet_equal_the_frame(native, tmp_path):
    streamed = read_platform(NATIVE, mapping=NATIVE / "function_group_map.csv", key=KEY,
                             events_out=tmp_path / "events.parquet")
    assert streamed.events == tmp_path / "events.parquet"
    on_disk = pd.read_parquet(streamed.events)
    key = ["user", "created_at", "event_type"]
    a = on_disk.sort_values(key, ignore_index=True)
    b = native.events.sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def _copy(tmp_path) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(NATIVE, folder)
    return folder


def test_bad_event_type_names_row_column_value(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "events.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",comment,", ",post,")  # data row 3
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_platform(folder, mapping=folder / "function_group_map.csv", key=KEY)
    p = info.value.problems[0]
    assert (p.row, p.column, p.value) == (3, "event_type", "post")
    assert p.file.endswith("events.csv")


def test_bad_user_type_and_missing_column(tmp_path):
    folder = _copy(tmp_path)
    users = pd.read_csv(folder / "users.csv", dtype=str, keep_default_na=False)
    users.loc[4, "user_type"] = "alien"
    users.to_csv(folder / "users.csv", index=False)
    with pytest.raises(InputError) as info:
        read_platform(folder, mapping=folder / "function_group_map.csv", key=KEY)
    assert (info.value.problems[0].row, info.value.problems[0].value) == (5, "alien")
    users.drop(columns=["state"]).to_csv(folder / "users.csv", index=False)
    with pytest.raises(InputError, match="column 'state'"):
        read_platform(folder, mapping=folder / "function_group_map.csv", key=KEY)


def test_bad_mapping(tmp_path):
    mapping = pd.read_csv(NATIVE / "function_group_map.csv", dtype=str, keep_default_na=False)
    mapping.loc[1, "function_group"] = "boss"
    with pytest.raises(InputError) as info:
        platform_io.load_mapping(mapping)
    assert (info.value.problems[0].row, info.value.problems[0].column) == (2, "function_group")
    organisations = pd.DataFrame({"code": ["G01"]})  # G02 is not registered
    with pytest.raises(InputError, match="G02"):
        platform_io.load_mapping(NATIVE / "function_group_map.csv", organisations)


def test_schema_rejects_an_unknown_function_group(native):
    users = native.users.copy()
    users.loc[0, "function_group"] = "boss"
    with pytest.raises(pandera.errors.SchemaError):
        platform_io.USERS_SCHEMA.validate(users)


def test_yammer_folder_and_zip_agree(yammer):
    zipped = read_platform(DATA / "yammer_export.zip", mapping=DATA / "yammer_export_map.csv",
                           key=KEY)
    for name in ("users", "events", "groups", "memberships"):
        pd.testing.assert_frame_equal(getattr(zipped, name), getattr(yammer, name))
    assert detect_format(DATA / "yammer_export.zip") == "yammer"
    assert detect_format(DATA / "yammer_export") == "yammer"


def test_yammer_content(yammer):
    users = yammer.users.set_index("user")
    assert len(users) == 4  # 1004 is 'pending': never joined, left out
    assert users.loc[h("1001"), ["organisation", "function_group"]].tolist() == ["G01", "policy"]
    assert users.loc[h("1003"), ["state", "function_group"]].tolist() == ["deleted", "manager"]
    events = yammer.events.set_index("created_at").sort_index()
    # 9 messages: the bot's and the pending user's are left out
    # reply -> comment, thread start in a group -> group post, outside groups -> microblog
    assert events["event_type"].tolist() == ["microblog", "microblog", "comment", "group_post",
                                             "comment", "microblog", "group_post"]
    kinds = yammer.events.groupby("event_type").size().to_dict()
    assert kinds == {"comment": 2, "group_post": 2, "microblog": 3}
    # questions: 2003 ends in '?' (trailing space), 2005 has message_type 'question'
    assert int(yammer.events["is_question"].sum()) == 2
    groups = yammer.groups.set_index("group_id")
    assert groups.loc["502", "visibility"] == "closed" and groups.loc["503", "deleted"]
    assert groups.loc["501", "organisation"] == "G01"
    assert yammer.memberships.empty
    assert not yammer.available["likes_per_month"]
    assert not yammer.available["group_active"] and not yammer.available["profile_photo"]
    assert yammer.available["profile_job_title"] and yammer.available["questions"]
    assert any("not available (not zero)" in n for n in yammer.notes)
    _no_identifiers(yammer)


def test_m365_reports():
    tables = read_platform(DATA / "m365_reports", mapping=DATA / "m365_map.csv", key=KEY)
    assert tables.format == "m365" and detect_format(DATA / "m365_reports") == "m365"
    users = tables.users.set_index("user")
    anna = users.loc[h("anna@g01.example.nl")]
    assert [anna["organisation"], anna["function_group"]] == ["G01", "internal"]
    assert [anna["report_posted"], anna["report_read"], anna["report_liked"]] == [5, 40, 12]
    # Report Period 180 ending on the refresh date 2026-02-28: 2025-09-02 .. 2026-02-28
    assert anna["report_period_start"] == pd.Timestamp("2025-09-02")
    cor = users.loc[h("cor@g02.example.nl")]
    assert cor["state"] == "deleted" and cor["deleted_at"] == pd.Timestamp("2025-12-31")
    assert tables.events.empty and tables.memberships.empty
    groups = tables.groups.set_index("group_id")
    assert groups.loc["MT", "visibility"] == "closed"
    assert groups.loc["Team Beleid", "member_count"] == 10
    assert not tables.available["microblogs_per_month"] and tables.available["likes_per_month"]
    assert not any("concealed" in n for n in tables.notes)
    _no_identifiers(tables)
    assert "Display Name" not in tables.users and "Owner Principal Name" not in tables.groups


def test_m365_concealed_names_say_so_plainly():
    tables = read_platform(DATA / "m365_reports_concealed", mapping=DATA / "m365_map.csv",
                           key=KEY)
    assert any("concealed (32-character hashes): no join to function groups" in n
               for n in tables.notes)
    assert set(tables.users["function_group"]) == {"unknown"}
    assert len(tables.users) == 4  # the accounts are kept, not joined away


def test_attrs_carry_availability(yammer):
    assert yammer.users.attrs["available"]["likes_per_month"] is False
    assert yammer.users.attrs["format"] == "yammer"


# --- broken exports stop at ingest, naming the file ----------------------------------------

def _read(folder, **kwargs):
    return read_platform(folder, mapping=folder / "function_group_map.csv", key=KEY, **kwargs)


def test_users_csv_with_only_its_header_has_no_employee_accounts(tmp_path):
    folder = _copy(tmp_path)
    header = (folder / "users.csv").read_text().splitlines()[0]
    (folder / "users.csv").write_text(header + "\n")
    with pytest.raises(InputError) as info:
        _read(folder)
    (p,) = info.value.problems
    assert p.file.endswith("users.csv")
    assert "no employee accounts among its 0 user rows" in p.expected


def test_users_csv_without_employees_has_no_employee_accounts(tmp_path):
    folder = _copy(tmp_path)
    users = pd.read_csv(folder / "users.csv", dtype=str, keep_default_na=False)
    users["user_type"] = "citizen"  # all 11 rows of users.csv
    users.to_csv(folder / "users.csv", index=False)
    with pytest.raises(InputError, match="no employee accounts among its 11 user rows"):
        _read(folder)


def test_yammer_export_of_pending_users_only_has_no_employee_accounts(tmp_path):
    folder = tmp_path / "yammer"
    shutil.copytree(DATA / "yammer_export", folder)
    users = pd.read_csv(folder / "Users.csv", dtype=str, keep_default_na=False)
    users["state"] = "pending"  # invited, never joined: no accounts at all
    users.to_csv(folder / "Users.csv", index=False)
    with pytest.raises(InputError, match="no employee accounts") as info:
        read_platform(folder, mapping=DATA / "yammer_export_map.csv", key=KEY)
    assert info.value.problems[0].file.endswith("Users.csv")


@pytest.mark.parametrize("name", ["users.csv", "events.csv", "groups.csv", "memberships.csv"])
def test_zero_byte_export_file_says_the_file_is_empty(tmp_path, name):
    folder = _copy(tmp_path)
    (folder / name).write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty") as info:
        _read(folder)
    (p,) = info.value.problems
    assert p.file.endswith(name)


def test_zero_byte_m365_report_and_mapping_say_the_file_is_empty(tmp_path):
    report = tmp_path / "VivaEngageActivityUserDetail.csv"
    report.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        read_platform(report, mapping=DATA / "m365_map.csv", key=KEY)
    folder = tmp_path / "m365"
    shutil.copytree(DATA / "m365_reports", folder)
    (folder / "VivaEngageGroupsActivityDetail.csv").write_bytes(b"\xef\xbb\xbf")  # a BOM only
    with pytest.raises(InputError, match="the file is empty") as info:
        read_platform(folder, mapping=DATA / "m365_map.csv", key=KEY)
    assert info.value.problems[0].file.endswith("VivaEngageGroupsActivityDetail.csv")
    mapping = tmp_path / "map.csv"
    mapping.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        read_platform(DATA / "m365_reports", mapping=mapping, key=KEY)


def test_unknown_organisation_code_names_users_csv_row_and_column(tmp_path):
    folder = _copy(tmp_path)
    users = pd.read_csv(folder / "users.csv", dtype=str, keep_default_na=False)
    users.loc[2, "organisation"] = "G99"  # data row 3
    users.to_csv(folder / "users.csv", index=False)
    register = pd.read_csv(folder / "organisations.csv")
    with pytest.raises(InputError) as info:
        _read(folder, organisations=register)
    (p,) = info.value.problems
    assert p.file.endswith("export/users.csv")
    assert (p.row, p.column, p.value) == (3, "organisation", "G99")


def test_unknown_organisation_code_in_groups_csv(tmp_path):
    folder = _copy(tmp_path)
    groups = pd.read_csv(folder / "groups.csv", dtype=str, keep_default_na=False)
    groups.loc[1, "organisation"] = "G77"  # data row 2
    groups.to_csv(folder / "groups.csv", index=False)
    with pytest.raises(InputError) as info:
        _read(folder, organisations=pd.read_csv(folder / "organisations.csv"))
    (p,) = info.value.problems
    assert (p.file.rsplit("/", 1)[-1], p.row, p.column, p.value) == (
        "groups.csv", 2, "organisation", "G77")
