"""``python -m analysis validate``: a summary per export and exit 0, or one line per problem
and exit 1, never a traceback. Expected counts come from the fixtures' SOURCE.txt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.__main__ import main as cli
from analysis.log import logger

DATA = Path(__file__).parent / "data"
LIMESURVEY = DATA / "limesurvey_remotecontrol_export" / "export_responses_code.csv"
PARAMS = """
ingest:
  survey_reader: auto
  codebook: {codebook}
clean:
  completeness: {{enabled: true, min_share_per_construct: 1.0}}
  straightlining: {{enabled: true, max_run: 20, flag_zero_spread: true}}
  speeding: {{enabled: true, min_share_of_median: 0.4}}
  duplicates: {{enabled: true, identical_answers: true}}
  test_responses: {{enabled: true}}
  fieldwork: {{enabled: true, start: "2026-03-02", end: "2026-04-10"}}
"""


@pytest.fixture(autouse=True)
def fresh_log_handlers(monkeypatch):
    """The CLI attaches a handler to the stderr of its time; keep it from outliving a test."""
    monkeypatch.setattr(logger, "handlers", [])


@pytest.fixture
def params(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS.format(codebook=DATA / "surveymonkey_handmade" / "codebook.yaml"))
    return path


def test_real_limesurvey_as_is(params, capsys):
    # 1 response, 70 items, a straight-liner with untrusted timing (SOURCE.txt)
    code = cli(["validate", str(LIMESURVEY), "--params", str(params), "--codebook", "none"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 rows read (limesurvey, 70 items)" in out
    assert "kept 0, excluded 1" in out
    assert "straightlining   1" in out
    assert "timing not trusted: 1 rows" in out


def test_handmade_surveymonkey_with_codebook(params, capsys):
    path = DATA / "surveymonkey_handmade" / "surveymonkey.xlsx"
    code = cli(["validate", str(path), "--params", str(params)])
    out = capsys.readouterr().out
    assert code == 0
    # row 2 has 'Weet niet' for con_2 -> incomplete at share 1.0; the other two are kept
    assert "3 rows read (surveymonkey, 3 items)" in out
    assert "kept 2, excluded 1" in out
    assert "identifier columns dropped: IP Address, Email Address, First Name, Last Name" in out


def test_bad_input_gives_one_line_per_problem(tmp_path, params, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("id;submitdate;x[1];x[2]\n1;2026-03-05 10:00:00;Mee eens;Soms\n"
                   "2;31-02-2026;Mee eens;Mee eens\n", encoding="utf-8")
    missing = tmp_path / "nowhere.csv"
    code = cli(["validate", str(bad), str(missing), "--params", str(params),
                "--codebook", "none"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 3
    assert any("bad.csv, row 1, column 'x[2]': value 'Soms'" in line for line in lines)
    assert any("bad.csv, row 2, column 'submitdate': value '31-02-2026'" in line
               for line in lines)
    assert any("nowhere.csv" in line and "not found" in line for line in lines)


def test_file_without_codebook_columns_says_how_to_read_as_is(tmp_path, params, capsys):
    code = cli(["validate", str(LIMESURVEY), "--params", str(params)])
    err = capsys.readouterr().err
    assert code == 1
    assert "--codebook none" in err


# --- organisation codes against the register, as the ingest stage checks them ---------------

MONKEY = DATA / "surveymonkey_handmade" / "surveymonkey.csv"  # organisations NDM, NDM, SGM
NATIVE = DATA / "platform_native"
DEMO = Path(__file__).parent.parent / "data" / "raw" / "demo"


def _register(folder: Path, codes: list[str]) -> Path:
    path = folder / "organisations.csv"
    path.write_text("code,name,type,size_class,platform\n" + "".join(
        f"{c},Gemeente {c},municipality,small,p\n" for c in codes), encoding="utf-8")
    return path


def test_survey_codes_not_in_the_register_fail_validate(tmp_path, capsys):
    _register(tmp_path, ["ZWK"])
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS.format(codebook=DATA / "surveymonkey_handmade" / "codebook.yaml")
                      .replace("ingest:\n", f"ingest:\n  raw_dir: {tmp_path}\n"
                               "  organisations: organisations.csv\n"))
    code = cli(["validate", str(MONKEY), "--params", str(params)])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    # the file's three data rows say NDM, NDM, SGM (surveymonkey.csv, column 'Organisatie')
    shown = MONKEY.relative_to(DATA.parent.parent).as_posix()
    assert [line.split(": expected")[0] for line in lines] == [
        f"error: {shown}, row {r}, column 'Organisatie': value '{v}'"
        for r, v in ((1, "NDM"), (2, "NDM"), (3, "SGM"))]
    assert cli(["validate", str(MONKEY), "--params", str(params),
                "--organisations", "none"]) == 0  # another study's export: no check
    _register(tmp_path, ["ZWK", "NDM", "SGM"])
    assert cli(["validate", str(MONKEY), "--params", str(params)]) == 0


def test_platform_codes_not_in_the_register_fail_validate(tmp_path, params, capsys):
    folder = tmp_path / "export"
    shutil.copytree(NATIVE, folder)
    users = (folder / "users.csv").read_text().replace("@g02.example.nl,,", "@g02.example.nl,G99,",
                                                       1)  # user u6, data row 6
    (folder / "users.csv").write_text(users)
    argv = ["validate", str(folder), "--params", str(params),
            "--map", str(folder / "function_group_map.csv")]
    assert cli(argv) == 0  # no register named: codes are not checked
    capsys.readouterr()
    code = cli([*argv, "--organisations", str(folder / "organisations.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert "users.csv, row 6, column 'organisation': value 'G99'" in err


def test_demo_folder_validates_and_skips_what_is_no_export(capsys):
    # python -m analysis validate data/raw/demo/*, with the project's params.yaml
    code = cli(["validate", *map(str, sorted(DEMO.iterdir()))])
    out, err = capsys.readouterr()
    assert code == 0, err
    skipped = [line for line in out.splitlines() if "skipped" in line]
    assert skipped == [
        "data/raw/demo/README.md: skipped, a README, not an export",
        "data/raw/demo/codebook.yaml: skipped, a YAML file (a codebook or parameters), "
        "not an export",
        "data/raw/demo/function_group_map.csv: skipped, the function group mapping, "
        "not an export",
        "data/raw/demo/organisations.csv: skipped, the organisation register, not an export"]
    assert "data/raw/demo/survey_limesurvey.csv: 600 rows read (limesurvey, 35 items)" in out
    assert "data/raw/demo/platform: platform export (native)" in out


def test_missing_register_named_by_params_is_an_error(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS.format(codebook=DATA / "surveymonkey_handmade" / "codebook.yaml")
                      .replace("ingest:\n", f"ingest:\n  raw_dir: {tmp_path}\n"
                               "  organisations: nowhere.csv\n"))
    assert cli(["validate", str(MONKEY), "--params", str(params)]) == 1
    assert "nowhere.csv: expected the organisation register (file not found)" in (
        capsys.readouterr().err)
