"""Survey readers: real exports (Qualtrics, LimeSurvey, SPSS), hand-made SurveyMonkey and
Microsoft Forms files, and Dutch-Excel quirks written on the spot.

Expected values come from the files' SOURCE.txt (the original authors' published results:
qualtRics' test-read-survey.R, pyreadstat's expected CSVs) or are hand-counted from the bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis import codebook as cb
from analysis.errors import InputError
from analysis.privacy import pseudonymise
from analysis.survey_io import (
    NS_PLATFORM_USER,
    RESPONDENTS_SCHEMA,
    as_is_codebook,
    detect_reader,
    read_export,
    read_survey,
    read_surveys,
)

DATA = Path(__file__).parent / "data"
QUALTRICS = DATA / "qualtrics_qualtRics_sample"
LIMESURVEY = DATA / "limesurvey_remotecontrol_export" / "export_responses_code.csv"
SPSS = DATA / "spss_pyreadstat"
MONKEY = DATA / "surveymonkey_handmade"
FORMS = DATA / "msforms_handmade"
KEY = b"test-key"

SMALL_BOOK = {
    "constructs": [{"id": "connectedness", "name": {"nl": "Verbondenheid", "en": "Conn."}}],
    "items": [
        {"id": "con_1", "construct": "connectedness",
         "text": {"nl": "Ik voel me verbonden met mijn collega's.", "en": "Connected."},
         "sources": {"limesurvey": "VERB[SQ001]", "tidy": "con_1", "qualtrics": "QID7"}},
        {"id": "con_2", "construct": "connectedness",
         "text": {"nl": "Ik weet wat er speelt in andere afdelingen.", "en": "I know."},
         "sources": {"limesurvey": "VERB[SQ002]", "tidy": "con_2", "qualtrics": "QID8"}},
        {"id": "con_4", "construct": "connectedness", "reverse": True,
         "text": {"nl": "Ik voel me vaak een eilandje.", "en": "An island."},
         "sources": {"limesurvey": "VERB[SQ004]", "tidy": "con_4", "qualtrics": "QID9"}},
    ],
    "background": {
        "organisation": {"sources": {"limesurvey": "ORG", "tidy": "organisation"}},
        "function_group": {"sources": {"limesurvey": "FUNCTIE", "tidy": "function_group"},
                           "labels": {"Beleid": "policy", "Leidinggevende": "manager"}},
        "platform_user": {"sources": {"limesurvey": "KOPPELING"}},
    },
}


@pytest.fixture
def book():
    return cb.from_dict(SMALL_BOOK)


# --- Qualtrics ------------------------------------------------------------------------------

def test_qualtrics_current_layout_reads_one_by_twenty():
    # qualtRics test-read-survey.R: read_survey("sample.csv") -> 1 row x 20 columns
    export = read_export(QUALTRICS / "sample.csv")
    assert export.reader == "qualtrics"
    assert export.shape == (1, 20)
    assert export.import_ids["Q1"] == "QID1"
    assert export.question_text["Duration (in seconds)"] == "Dauer (in Sekunden)"


def test_qualtrics_legacy_layout_reads_one_by_fifteen():
    # qualtRics: read_survey("sample_legacy.csv", legacy = TRUE) -> 1 x 15 (trailing comma gone)
    export = read_export(QUALTRICS / "sample_legacy.csv")
    assert export.shape == (1, 15)
    assert export.headings[-1] == "LocationAccuracy"
    tables = read_survey(QUALTRICS / "sample_legacy.csv", None, key=KEY)
    # V8 = StartDate, a datetime (qualtRics); value read off the file
    assert tables.respondents.started_at[0] == pd.Timestamp("2017-07-18 08:28:09")
    assert list(tables.answers.columns) == ["respondent", "Q1"]


def test_qualtrics_as_is_tables_drop_identifiers():
    tables = read_survey(QUALTRICS / "sample.csv", None, key=KEY)
    assert tables.answers["Q1"].tolist() == [2]  # QID1 answer in the data row
    assert tables.respondents.duration_s[0] == 38.0  # 'Duration (in seconds)' cell
    assert tables.respondents.started_at[0] == pd.Timestamp("2017-07-18 08:28:09")
    assert {"IPAddress", "RecipientEmail", "LocationLatitude"} <= set(tables.dropped_columns)
    cells = pd.concat([tables.respondents.astype(str), tables.answers.astype(str)], axis=1)
    text = " ".join(map(str, cells.to_numpy().ravel()))
    for secret in ("192.0.2.10", "52.09", "5.12", "R_2YPOQ602ER1jkf1"):
        assert secret not in text


def test_qualtrics_items_matched_by_import_id_not_duplicated_tags(tmp_path, book):
    # Two columns share the export tag 'Q7'; the ImportIds tell them apart.
    lines = [
        "StartDate,EndDate,Status,ResponseId,Q7,Q7,Q9",
        "Start,End,Type,Id,a,b,c",
        '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}",'
        '"{""ImportId"":""status""}","{""ImportId"":""_recordId""}",'
        '"{""ImportId"":""QID8""}","{""ImportId"":""QID7""}","{""ImportId"":""QID9""}"',
        "2026-03-03 10:00:00,2026-03-03 10:05:00,IP Address,R_1,2,5,1",
        "2026-03-03 11:00:00,2026-03-03 11:05:00,Survey Preview,R_2,3,4,1",
    ]
    path = tmp_path / "tags.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tables = read_survey(path, book, key=KEY)
    assert tables.answers["con_1"].tolist() == [5, 4]  # QID7 is the second 'Q7'
    assert tables.answers["con_2"].tolist() == [2, 3]
    assert tables.respondents.is_test.tolist() == [False, True]  # preview counts as a test


# --- LimeSurvey -----------------------------------------------------------------------------

def test_limesurvey_real_export_as_is():
    # SOURCE.txt: 1 response, 79 columns, 70 items q1[vis1]..q10[wor7] all '1', submitdate
    # 1980-01-01 (placeholder)
    assert detect_reader(LIMESURVEY) == "limesurvey"
    export = read_export(LIMESURVEY)
    assert export.shape == (1, 79)
    tables = read_survey(LIMESURVEY, None, key=KEY)
    assert tables.answers.shape == (1, 71)
    assert (tables.answers.drop(columns="respondent") == 1).all(axis=None)
    row = tables.respondents.iloc[0]
    assert not row.timing_trusted
    assert pd.isna(row.submitted_at)
    RESPONDENTS_SCHEMA.validate(tables.respondents)


def _write(path: Path, lines: list[str], encoding="utf-8", newline="\r\n") -> Path:
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    return path


def test_limesurvey_dutch_excel_file(tmp_path, book):
    # Question-text headings, cp1252, ';', decimal comma, dd-mm-jjjj dates, a quoted line break,
    # labels with odd case and accents, 'n.v.t.' as missing.
    head = ('"Antwoord ID";"Toegangscode";"Datum verstuurd";"Datum gestart";"ORG";"FUNCTIE";'
            '"Verbondenheid [Ik voel me verbonden met mijn collega\'s.]";'
            '"Verbondenheid [Ik weet wat er speelt in andere afdelingen.]";'
            '"Verbondenheid [Ik voel me vaak een eilandje.]";"Opmerking";"Totale tijd"')
    rows = [
        '"1";"abc";"05-03-2026 10:20";"05-03-2026 10:00";"NDM";"Beleid";"ZEER mee eens";'
        '"Néutraal";"n.v.t.";"één\nregel";"1200,5"',
        '"2";"test";"06-03-2026 09:00:30";"06-03-2026 08:59";"NDM";"";"Mee  oneens";'
        '"Zeer mee oneens";"Strongly agree";"";"90"',
    ]
    path = _write(tmp_path / "lime.csv", [head, *rows], encoding="cp1252")
    tables = read_survey(path, book, reader="limesurvey", key=KEY)
    assert tables.answers[["con_1", "con_2", "con_4"]].astype("float").fillna(-1).to_numpy(
    ).tolist() == [[5, 3, -1], [2, 1, 5]]
    resp = tables.respondents
    assert resp.submitted_at.tolist() == [pd.Timestamp("2026-03-05 10:20"),
                                          pd.Timestamp("2026-03-06 09:00:30")]
    assert resp.duration_s.tolist() == [1200.5, 90.0]
    assert resp.function_group.tolist() == ["policy", "unknown"]
    assert resp.is_test.tolist() == [False, True]
    assert resp.source_row.tolist() == [1, 2]


def test_limesurvey_codes_bom_and_comma(tmp_path, book):
    head = ("id,token,submitdate,startdate,ORG,FUNCTIE,KOPPELING,"
            "VERB[SQ001],VERB[SQ002],VERB[SQ004]")
    rows = ["7,t1,2026-03-05 10:20:00,2026-03-05 10:00:00,ZWK,Leidinggevende,u42,A1,A5,A3",
            "8,,1980-01-01 00:00:00,,ZWK,Leidinggevende,,A2,,A4"]
    path = tmp_path / "codes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join([head, *rows]).encode() + b"\n")
    tables = read_survey(path, book, key=KEY)
    assert tables.answers["con_1"].tolist() == [1, 2]
    assert tables.answers["con_2"].isna().tolist() == [False, True]
    # the platform side hashes the same account id with namespace "": the hashes must join
    assert tables.respondents.platform_user[0] == pseudonymise(pd.Series(["u42"]), KEY,
                                                                NS_PLATFORM_USER)[0]
    assert pd.isna(tables.respondents.platform_user[1])
    assert tables.respondents.timing_trusted.tolist() == [True, False]  # placeholder date
    assert tables.respondents.duration_s[0] == 1200.0  # submit minus start


def test_unknown_label_names_file_row_column_value(tmp_path, book):
    head = "id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    rows = ["1;2026-03-05 10:20:00;NDM;Mee eens;Mee eens;Mee eens",
            "2;2026-03-05 10:20:00;NDM;Mee eens;Heel erg mee eens;Mee eens"]
    path = _write(tmp_path / "bad.csv", [head, *rows])
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    (p,) = caught.value.problems
    assert (p.file.endswith("bad.csv"), p.row, p.column, p.value) == (
        True, 2, "VERB[SQ002]", "Heel erg mee eens")


def test_code_outside_range_and_bad_date_are_reported(tmp_path, book):
    head = "id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    rows = ["1;gisteren;NDM;7;1;1"]
    path = _write(tmp_path / "range.csv", [head, *rows])
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    found = {(p.row, p.column, p.value) for p in caught.value.problems}
    assert found == {(1, "submitdate", "gisteren"), (1, "VERB[SQ001]", 7)}


def test_missing_codebook_item_names_the_heading_in_the_header(tmp_path, book):
    # the codebook's limesurvey names of con_2 and con_4 (SMALL_BOOK); header line 1
    path = _write(tmp_path / "short.csv", ["id;submitdate;ORG;VERB[SQ001]", "1;;NDM;A1"])
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    found = [(p.file.rsplit("/", 1)[-1], p.row, p.column) for p in caught.value.problems]
    assert found == [("short.csv", 1, "VERB[SQ002]"), ("short.csv", 1, "VERB[SQ004]")]
    assert "header row 1, for codebook item 'con_2'" in caught.value.problems[0].expected
    assert "row 1, column 'VERB[SQ002]': expected this column in header row 1" in str(
        caught.value)


def test_missing_items_beyond_twenty_are_counted(tmp_path):
    # 25 items, the file has none of the last 24: 20 named, then 'for 4 more'
    raw = {"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
           "items": [{"id": f"i{k}", "construct": "c", "text": {"nl": f"t{k}", "en": f"t{k}"},
                      "sources": {"limesurvey": f"Q[SQ{k:03d}]"}} for k in range(1, 26)]}
    path = _write(tmp_path / "few.csv", ["id;Q[SQ001]", "1;A1"])
    with pytest.raises(InputError) as caught:
        read_survey(path, cb.from_dict(raw), "limesurvey", key=KEY)
    problems = caught.value.problems
    assert [p.column for p in problems[:20]] == [f"Q[SQ{k:03d}]" for k in range(2, 22)]
    assert len(problems) == 21
    assert problems[-1].row is None
    assert "for 4 more codebook items without a column" in problems[-1].expected


# --- the organisation column the codebook names (background.organisation.sources) ----------

def test_missing_organisation_column_stops_in_read_survey(tmp_path, book):
    # SMALL_BOOK: background.organisation.sources.limesurvey = 'ORG'
    head = "id;submitdate;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    path = _write(tmp_path / "no_org.csv", [head, "1;2026-03-05 10:20:00;A1;A2;A3"])
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    (p,) = caught.value.problems
    assert (p.file.endswith("no_org.csv"), p.row, p.column, p.value) == (True, 1, "ORG", None)
    assert "header row 1" in p.expected
    assert "background.organisation.sources.limesurvey" in p.expected


def test_blank_organisation_rows_are_listed_up_to_twenty(tmp_path, book):
    head = "id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    rows = [f"{k};2026-03-05 10:20:00;{'NDM' if k % 2 else ''};A1;A2;A3" for k in range(1, 51)]
    path = _write(tmp_path / "blanks.csv", [head, *rows])
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    problems = caught.value.problems
    # rows 2, 4, ..., 50 are blank: 25 of them; 20 named, then one line for the other 5
    assert [(p.row, p.column, p.value) for p in problems[:20]] == [
        (r, "ORG", "") for r in range(2, 42, 2)]
    assert len(problems) == 21
    assert (problems[-1].row, problems[-1].column) == (None, "ORG")
    assert "for 5 more rows with a blank organisation" in problems[-1].expected


def test_organisation_codes_checked_against_the_register(tmp_path, book):
    head = "id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    rows = ["1;2026-03-05 10:20:00;NDM;A1;A2;A3", "2;2026-03-05 10:20:00;XYZ;A1;A2;A3"]
    path = _write(tmp_path / "codes.csv", [head, *rows])
    register = pd.DataFrame({"code": ["NDM", "ZWK"]})
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY, organisations=register)
    (p,) = caught.value.problems
    assert (p.row, p.column, p.value) == (2, "ORG", "XYZ")
    assert read_survey(path, book, key=KEY).respondents.organisation.tolist() == ["NDM", "XYZ"]


def test_codebook_naming_no_organisation_column_reads_without_one(tmp_path):
    # no background section: nothing to demand; organisation stays missing
    raw = {k: v for k, v in SMALL_BOOK.items() if k != "background"}
    head = "id;submitdate;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    path = _write(tmp_path / "plain.csv", [head, "1;2026-03-05 10:20:00;A1;A2;A3"])
    tables = read_survey(path, cb.from_dict(raw), key=KEY)
    assert tables.respondents.organisation.isna().all()


# --- broken files: empty, cut off --------------------------------------------------------------

@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx", "empty.sav"])
def test_zero_byte_file_says_the_file_is_empty(tmp_path, book, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty") as caught:
        read_survey(path, book, key=KEY)
    assert caught.value.problems[0].file.endswith(name)


def test_truncated_last_line_names_its_row(tmp_path, book):
    # the third data row is cut off after two of its six fields (a download cut short)
    head = "id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    rows = ["1;2026-03-05 10:20:00;NDM;A1;A2;A3", "2;2026-03-05 10:20:00;NDM;A1;A2;A3",
            "3;2026-03-05 10:2"]
    path = _write(tmp_path / "cut.csv", [head, *rows], newline="\n")
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    (p,) = caught.value.problems
    assert (p.row, p.value) == (3, "3;2026-03-05 10:2")
    assert "6 fields, as in the header; found 2" in p.expected
    assert "line 4 of the file" in p.expected


def test_truncated_inside_quotes_names_its_row(tmp_path, book):
    # cut inside the quoted last field: the field count is right, the closing quote is gone;
    # a quoted line break in row 1 makes data row 2 start on line 4
    head = '"id";"submitdate";"ORG";"VERB[SQ001]";"VERB[SQ002]";"VERB[SQ004]"'
    rows = ['"1";"2026-03-05 10:20:00";"N\nDM";"A1";"A2";"A3"',
            '"2";"2026-03-05 10:20:00";"NDM";"A1";"A2";"A']
    path = tmp_path / "cut.csv"
    path.write_text("\n".join([head, *rows]), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_survey(path, book, key=KEY)
    (p,) = caught.value.problems
    assert p.row == 2
    assert "the file ends inside a quoted field" in p.expected
    assert "data row 2 starts on line 4" in p.expected


def test_qualtrics_ragged_row_counts_three_header_rows(tmp_path):
    lines = ["StartDate,ResponseId,Q1", "Start,Id,Vraag",
             '"{""ImportId"":""startDate""}","{""ImportId"":""_recordId""}",'
             '"{""ImportId"":""QID1""}"',
             "2026-03-03 10:00:00,R_1,2", "2026-03-03 10:00:00,R_2,3,4"]
    path = _write(tmp_path / "q.csv", lines, newline="\n")
    with pytest.raises(InputError) as caught:
        read_survey(path, None, key=KEY)
    assert caught.value.problems[0].row == 2  # line 5: data row 2 under three header rows


def test_suggestion_for_a_file_without_codebook_columns_holds_for_every_command():
    # the reliability command has no '--codebook none'; the advice names validate's
    with pytest.raises(InputError) as caught:
        read_survey(LIMESURVEY, cb.from_dict(SMALL_BOOK), key=KEY)
    message = str(caught.value)
    assert "python -m analysis validate FILE --codebook none" in message
    assert "codebook=None" not in message


# --- SPSS -----------------------------------------------------------------------------------

def test_spss_sample_matches_expected_csv():
    # pyreadstat test_data/basic: read_sav(sample.sav) renders as sample.csv
    frame = read_export(SPSS / "sample.sav").frame
    expected = pd.read_csv(SPSS / "sample.csv", encoding="utf-8-sig")
    assert frame.shape == expected.shape == (5, 7)
    for column in ("mynum", "mylabl", "myord"):
        np.testing.assert_allclose(frame[column].to_numpy(float), expected[column].to_numpy())
    assert frame["mychar"].tolist() == expected["mychar"].tolist()
    assert frame["dtime"].astype(str).str[:19].tolist()[:4] == [
        s.replace("T", " ")[:19] for s in expected["dtime"][:4]]


def test_spss_user_missing_codes_become_missing():
    # sample_missing.csv shows SPSS' own rendering: user-missing cells are '#NULL!'
    frame = read_export(SPSS / "sample_missing.sav").frame
    expected = pd.read_csv(SPSS / "sample_missing.csv", na_values=["#NULL!"])
    for column in ("mynum", "mylabl", "myord"):
        np.testing.assert_allclose(frame[column].to_numpy(float), expected[column].to_numpy(),
                                   equal_nan=True)
    # missing_test.sav: 1 is declared missing -> [NaN, 2.0] (missing_sav_unformatted.csv)
    frame = read_export(SPSS / "missing_test.sav").frame
    expected = pd.read_csv(SPSS / "missing_sav_unformatted.csv")
    np.testing.assert_allclose(frame["var1"], expected["var1"], equal_nan=True)
    tables = read_survey(SPSS / "missing_test.sav", None, key=KEY)
    assert tables.answers["var1"].isna().tolist() == [True, False]


def test_spss_categories_follow_codes_not_alphabet():
    # sample.sav myord: 1 low, 2 medium, 3 high (alphabetically: high, low, medium)
    labelled = read_export(SPSS / "sample.sav").labelled()
    assert list(labelled["myord"].cat.categories) == ["low", "medium", "high"]
    assert labelled["myord"].cat.ordered
    assert labelled["myord"].tolist() == ["low", "medium", "high", "low", "low"]
    cats = read_export(SPSS / "ordered_category.sav").labelled()["Col1"]
    assert list(cats.cat.categories) == ["high", "low", "medium"]  # codes 1, 2, 3


def test_spss_weet_niet_code_is_missing(tmp_path, book):
    # 9 = 'weet niet' labelled but not declared missing; 8 declared user-missing.
    frame = pd.DataFrame({"v1": [1.0, 9.0, 5.0], "v2": [2.0, 3.0, 8.0], "v4": [4.0, 4.0, 1.0]})
    path = tmp_path / "weetniet.sav"
    labels = {1.0: "Zeer mee oneens", 5.0: "Zeer mee eens", 9.0: "Weet niet"}
    pyreadstat.write_sav(frame, str(path), variable_value_labels={c: labels for c in frame},
                         missing_ranges={"v2": [8.0]})
    raw = dict(SMALL_BOOK)
    raw["items"] = [dict(i, sources={"spss": s}) for i, s in
                    zip(SMALL_BOOK["items"], ["v1", "v2", "v4"], strict=True)]
    tables = read_survey(path, cb.from_dict(raw), key=KEY)
    got = tables.answers[["con_1", "con_2", "con_4"]].astype(float).fillna(-1).to_numpy()
    assert got.tolist() == [[1, 2, 4], [-1, 3, 4], [5, -1, 1]]


# --- SurveyMonkey and Microsoft Forms (hand-made, see their SOURCE.txt) -----------------------

@pytest.mark.parametrize("name", ["surveymonkey.csv", "surveymonkey.xlsx"])
def test_surveymonkey(name):
    assert detect_reader(MONKEY / name) == "surveymonkey"
    tables = read_survey(MONKEY / name, cb.load(MONKEY / "codebook.yaml"), key=KEY)
    got = tables.answers[["con_1", "con_2", "con_4"]].astype(float).fillna(-1).to_numpy()
    assert got.tolist() == [[4, 5, 2], [5, -1, 3], [1, 2, 5]]
    assert tables.respondents.function_group.tolist() == ["internal", "unknown", "policy"]
    assert tables.respondents.duration_s[0] == 398.0  # 09:15:02 -> 09:21:40
    assert {"IP Address", "Email Address", "First Name", "Last Name"} == set(
        tables.dropped_columns)


def test_msforms():
    path = FORMS / "msforms.xlsx"
    assert detect_reader(path) == "msforms"
    tables = read_survey(path, cb.load(FORMS / "codebook.yaml"), key=KEY)
    got = tables.answers[["con_1", "con_2", "con_4"]].astype(float).fillna(-1).to_numpy()
    assert got.tolist() == [[4, 5, 2], [3, -1, 1]]
    assert tables.respondents.function_group.tolist() == ["manager", "external"]
    assert tables.respondents.duration_s.tolist() == [398.0, 417.0]
    assert set(tables.dropped_columns) == {"Email", "Name"}


# --- tidy CSV, R's write.csv ------------------------------------------------------------------

def test_tidy_reads_r_write_csv(tmp_path, book):
    lines = ['"","respondent","organisation","function_group","con_1","con_2","con_4"',
             '"1","r1","NDM","policy",5,4,NA',
             '"2","r2","NDM",NA,1,2,3']
    path = _write(tmp_path / "r.csv", lines, newline="\n")
    assert detect_reader(path) == "tidy"
    tables = read_survey(path, book, key=KEY)
    assert tables.answers["con_4"].isna().tolist() == [True, False]
    assert tables.respondents.function_group.tolist() == ["policy", "unknown"]
    as_is = as_is_codebook(read_export(path))
    assert list(as_is.items) == ["con_1", "con_2", "con_4"]  # row names and text left out


def test_read_surveys_hashes_unique_across_files(tmp_path, book):
    lines = ["id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]",
             "1;2026-03-05 10:20:00;NDM;A1;A2;A3"]
    a = _write(tmp_path / "a.csv", lines)
    b = _write(tmp_path / "b.csv", lines)
    tables = read_surveys([a, b], book, key=KEY)
    assert tables.respondents.respondent.is_unique
    assert tables.respondents.source_file.tolist() == ["a.csv", "b.csv"]
    sub = tmp_path / "sub"
    sub.mkdir()
    c = _write(sub / "a.csv", lines)
    with pytest.raises(InputError, match="unique"):
        read_surveys([a, c], book, key=KEY)


# --- the bundled demo export: privacy and the whole funnel ------------------------------------

DEMO = Path(__file__).parent.parent / "data" / "raw" / "demo"


def test_demo_export_keeps_no_direct_identifier():
    import csv

    from analysis.screening import screen

    book = cb.load(DEMO / "codebook.yaml")
    tables = read_survey(DEMO / "survey_limesurvey.csv", book, key=KEY)
    with (DEMO / "survey_limesurvey.csv").open(encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.DictReader(handle, delimiter=";"))
    secrets = {row[c] for row in raw for c in ("ipaddr", "firstname", "lastname", "email",
                                                "KOPPELING", "token") if row[c]}
    assert set(tables.dropped_columns) == {"ipaddr", "firstname", "lastname", "email"}
    with pytest.warns(UserWarning, match="speeding not judged"):
        result = screen(tables.respondents, tables.answers, book, {
            "completeness": {"min_share_per_construct": 1.0}, "speeding": {},
            "test_responses": {}, "duplicates": {}})
    for frame in (tables.respondents, tables.answers, result.kept, result.ledger):
        cells = {str(v) for v in frame.to_numpy().ravel()}
        assert not cells & secrets
    # the funnel adds up, and the test rows are those the raw file marks with token 'test'
    counts = result.counts
    assert counts["submitted"] == len(raw) == counts["kept"] + counts["excluded"]
    assert len(result.ledger) == counts["excluded"]
    assert counts["excluded_by_rule"]["test_responses"] == sum(r["token"] == "test" for r in raw)
    blank_group = sum(r["FUNCTIE"] == "" for r in raw)
    assert (tables.respondents.function_group == "unknown").sum() == blank_group


def test_missing_function_group_column_is_logged_not_silent(tmp_path, book, caplog):
    # the codebook names FUNCTIE for limesurvey; a file without it keeps every respondent as
    # 'unknown' (nothing lost) and says so in the log that ingest and validate print
    import logging

    head = "id;submitdate;ORG;VERB[SQ001];VERB[SQ002];VERB[SQ004]"
    path = _write(tmp_path / "no_group.csv", [head, "1;2026-03-05 10:20:00;NDM;A1;A2;A3"])
    logger = logging.getLogger("analysis")
    logger.addHandler(caplog.handler)
    try:
        tables = read_survey(path, book, key=KEY)
    finally:
        logger.removeHandler(caplog.handler)
    assert tables.respondents["function_group"].tolist() == ["unknown"]
    assert any("'FUNCTIE'" in r.getMessage() and "no_group.csv" in r.getMessage()
               for r in caplog.records)
