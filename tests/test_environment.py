"""environment.yml (conda users) and pyproject.toml (pip users) pin the same packages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _canonical(requirement: str) -> str:
    name, _, version = requirement.partition("==")
    return f"{name.strip().lower().replace('_', '-')}=={version.strip()}"


def test_conda_environment_pins_what_pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = {_canonical(r) for r in pip_section if "==" in r}
    assert conda_pins == {_canonical(r) for r in project["dependencies"]}


def test_every_pin_is_exact():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    loose = [r for r in project["dependencies"] if "==" not in r]
    assert not loose, f"pin these with ==: {loose}"


def test_lock_file_agrees_with_pyproject():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = _canonical(line).split("==")
            lock[name] = version
    for requirement in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
            "dependencies"]:
        name, version = _canonical(requirement).split("==")
        assert lock.get(name) == version, f"requirements.lock has {name} {lock.get(name)}"
