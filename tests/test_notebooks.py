"""The stage notebooks follow the house rules that papermill and DVC rely on.

Each has one parameters cell of literals with a type hint and a comment, its defaults have the
shape of the values in params.yaml (the demo's settings, so a researcher can run it on its own
in JupyterLab; a study with its own params.yaml passes them through papermill), it declares a
parameter for exactly the params keys its dvc.yaml stage lists, and it is committed without
outputs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.stage import stage_parameters

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _parameters(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: expected one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    values = {}
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), (
            f"{path.name}: parameters cell line {node.lineno} is not 'name: type = literal'")
        values[node.target.id] = ast.literal_eval(node.value)
    lines = cells[0].source.splitlines()
    for node in tree.body:  # the comment closes the statement, also a multi-line one
        assert "  # " in lines[node.end_lineno - 1], (
            f"{path.name}: parameter {node.target.id} lacks a trailing comment")
    return values


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_notebook_parameters_match_dvc_yaml_and_params(name):
    stage = STAGES[name]
    notebook = ROOT / stage["cmd"].split()[4]
    declared = _parameters(notebook)
    expected = stage_parameters(stage, PARAMS)
    assert set(declared) == set(expected), f"{notebook.name} parameters vs dvc.yaml params"
    for name, value in expected.items():
        assert isinstance(declared[name], type(value)) or value is None, (
            f"{notebook.name}: parameter {name} is {type(declared[name]).__name__}, "
            f"params.yaml has {type(value).__name__}")
        if isinstance(value, dict):  # the same keys, so the notebook runs on its own defaults
            assert set(declared[name]) == set(value), f"{notebook.name}: keys of {name}"
    assert str(notebook.relative_to(ROOT)) in stage["deps"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name}: strip outputs before committing (nbstripout)")
    assert nb.metadata["kernelspec"]["name"] == "intranet-benchmark"


def test_every_params_key_a_stage_lists_exists():
    for stage in STAGES.values():
        stage_parameters(stage, PARAMS)  # raises KeyError for a key params.yaml lacks
