"""End to end: the whole DVC pipeline on a small simulated study of three organisations.

The project's files are copied into a temporary folder (so the real data/processed and reports
are never touched), the simulator writes a three-organisation study into it, and ``dvc repro``
runs every stage exactly as ``make study`` does. The tests then check what a researcher would:
every report exists, a second run reruns nothing, the metrics are there, the notebooks pass
nbval, no identifier from the raw exports reaches a processed table or a report, and bad input
stops the pipeline at ingest with a message that names the file, the row and the column.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


def _run(args, cwd, check=True):
    # PYTHONPATH makes every process and kernel import the copy's analysis package, not the
    # editable install of this checkout, so the copy's outputs land in the copy
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(cwd)}
    env.pop("INTRANET_BENCHMARK_KEY", None)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _copy_project(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.startswith(("tests/", "benchmarks/")) or (
                name.startswith("data/raw/demo/") and not name.endswith("codebook.yaml")):
            continue
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A small three-organisation study, run once through ``dvc repro``."""
    project = tmp_path_factory.mktemp("study")
    _copy_project(project)
    _run([sys.executable, "-m", "analysis", "simulate", "--out", "data/raw/demo",
          "--organisations", "3", "--respondents", "240", "--seed", "11"], cwd=project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["benchmark"]["min_organisations"] = 2  # three organisations: two others to compare
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    _run(["git", "init", "-q"], cwd=project)
    first = _run([str(BIN / "dvc"), "repro"], cwd=project)
    (project / "first_run.log").write_text(first.stdout + first.stderr)
    return project


def test_every_report_exists_and_is_self_contained(study):
    codes = pd.read_csv(study / "data/raw/demo/organisations.csv")["code"]
    for folder in [*codes, "pilot-study"]:
        html = study / "reports" / folder / "report.html"
        pdf = study / "reports" / folder / "report.pdf"
        assert html.stat().st_size > 10_000, f"{html} is missing or nearly empty"
        assert pdf.read_bytes()[:5] == b"%PDF-", f"{pdf} is not a PDF"
        text = html.read_text(encoding="utf-8")
        assert "<html" in text and 'lang="nl"' in text
        for external in ('src="http', "src='http", 'href="http://', "@import url(http"):
            assert external not in text, f"{html} loads {external}... from the network"


def test_second_repro_reruns_nothing(study):
    second = _run([str(BIN / "dvc"), "repro"], cwd=study)
    assert "Running stage" not in second.stdout, second.stdout
    status = _run([str(BIN / "dvc"), "status"], cwd=study)
    assert "up to date" in status.stdout, status.stdout


def test_metrics_list_cleaning_counts_and_reliabilities(study):
    shown = _run([str(BIN / "dvc"), "metrics", "show", "--json"], cwd=study).stdout
    metrics = json.loads(shown)
    flat = json.dumps(metrics)
    for key in ("submitted", "kept", "excluded_by_rule", "alpha", "omega"):
        assert f'"{key}"' in flat, f"dvc metrics show lacks {key}"
    clean = json.loads((study / "metrics/clean.json").read_text())
    # 240 submitted responses go in; the simulator plants about a fifth as careless
    assert clean["submitted"] == 240
    assert 0.65 * 240 < clean["kept"] < 0.9 * 240


def test_no_identifier_leaves_ingest(study):
    raw = study / "data/raw/demo"
    survey = pd.read_csv(raw / "survey_limesurvey.csv", sep=";", dtype=str, encoding="utf-8-sig",
                         keep_default_na=False)
    users = pd.read_csv(raw / "platform/users.csv", dtype=str, keep_default_na=False)
    secrets = set()
    for column in ("email", "ipaddr", "token"):
        secrets |= set(survey[column])
    for column in ("name", "email", "phone", "user_id"):
        secrets |= set(users[column])
    secrets |= set(survey["firstname"] + " " + survey["lastname"])
    secrets = {s for s in secrets if len(s) >= 6 and s != "test"}
    assert len(secrets) > 500

    found = []
    for table in (study / "data/processed").glob("*.parquet"):
        frame = pd.read_parquet(table)
        cells = set(frame.astype(str).to_numpy().ravel()) | set(map(str, frame.columns))
        found += [(table.name, s) for s in secrets & cells]
    for text_file in [*(study / "data/processed").glob("*.csv"),
                      *(study / "reports").rglob("*.html"), *(study / "metrics").glob("*.json")]:
        text = text_file.read_text(encoding="utf-8")
        found += [(text_file.name, s) for s in secrets if s in text]
    assert not found, f"identifiers leaked: {found[:5]}"


def test_the_copy_ran_on_its_own_code(study):
    # the executed notebooks must come from the copy, or the run would have read and written
    # this checkout's data instead of the three-organisation study
    clean = json.loads((study / "metrics/clean.json").read_text())
    assert clean["submitted"] == 240
    users = pd.read_parquet(study / "data/processed/platform_users.parquet")
    assert set(users["organisation"].dropna()) <= {"NDM", "ZWK", "SGM", "unknown"}


def test_stage_notebooks_pass_nbval(study):
    notebooks = sorted(str(p.relative_to(study)) for p in (study / "notebooks").glob("0*.ipynb"))
    assert len(notebooks) == 7
    proc = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                 "--nbval-kernel-name", "intranet-benchmark", "-o", "filterwarnings=",
                 "-o", "addopts=", *notebooks[:6]], cwd=study, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert " passed" in proc.stdout


def test_bad_input_stops_at_ingest_naming_file_row_and_column(study, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(study, broken, ignore=shutil.ignore_patterns(".dvc/cache", "reports"))
    survey = broken / "data/raw/demo/survey_limesurvey.csv"
    lines = survey.read_bytes().split(b"\r\n")  # bytes: keep the export's CRLF and BOM as they are
    row = next(i for i in range(1, len(lines)) if b'"Mee eens"' in lines[i])
    # a label no codebook knows
    lines[row] = lines[row].replace(b'"Mee eens"', b'"Beetje eens"', 1)
    survey.write_bytes(b"\r\n".join(lines))

    proc = _run([str(BIN / "dvc"), "repro"], cwd=broken, check=False)
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "survey_limesurvey.csv" in message and f"row {row}" in message, message[-2000:]
    assert "Beetje eens" in message
    assert not (broken / "data/processed/survey_respondents.parquet").exists(), \
        "a failed ingest left partial outputs behind"
