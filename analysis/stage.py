"""Run one pipeline stage: execute its notebook with papermill, parameters from params.yaml.

``dvc.yaml`` calls ``python -m analysis.stage STAGE NOTEBOOK EXECUTED`` for every stage. The
stage's entry in ``dvc.yaml`` is the single source of truth: the params keys it lists are
exactly the parameters the notebook receives (a key ``ingest.codebook`` becomes the notebook
parameter ``codebook``), and the outputs it lists are removed again when the stage fails, so a
failed stage leaves no partial outputs behind. The executed notebook, with its parameters and
timings in the metadata, is the stage's provenance record.

Bad input stops the stage with the reader's one-line messages (file, row, column, value) and
exit status 1; the failed notebook is kept as ``<EXECUTED>.failed.ipynb`` for inspection.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import yaml
from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Unicode

from analysis.log import logger, setup
from analysis.paths import ROOT

KERNEL = "intranet-benchmark"


class IpcKernelManager(AsyncKernelManager):
    """A kernel that talks over Unix sockets in the temporary folder instead of TCP ports.

    Several kernels start at once (the render stage runs reports in parallel, the tests run in
    two workers); over TCP each picks a free port and binds it a moment later, and two can pick
    the same one ('Address already in use'). Unix sockets under a unique name cannot collide,
    and the traffic never leaves the machine.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    ip = Unicode(config=True)

    def _ip_default(self):  # traitlets picks this up as the default of ``ip``
        return str(Path(tempfile.gettempdir()) / f"kernel-{uuid.uuid4().hex[:12]}")


def execute_notebook(notebook: Path, executed: Path, parameters: dict, cwd: Path) -> None:
    """Execute a notebook with papermill on the project kernel, over Unix sockets."""
    import papermill as pm

    pm.execute_notebook(notebook, executed, parameters=parameters, kernel_name=KERNEL,
                        cwd=str(cwd), progress_bar=False, log_output=False,
                        kernel_manager_class=IpcKernelManager)


def stage_spec(stage: str, dvc_file: Path = ROOT / "dvc.yaml") -> dict:
    """Return the ``dvc.yaml`` entry of one stage."""
    stages = yaml.safe_load(dvc_file.read_text(encoding="utf-8"))["stages"]
    if stage not in stages:
        raise SystemExit(f"error: no stage {stage!r} in {dvc_file.name}; have {sorted(stages)}")
    return stages[stage]


def _lookup(params: dict, dotted: str):
    value = params
    for part in dotted.split("."):
        value = value[part]
    return value


def stage_parameters(spec: dict, params: dict) -> dict:
    """Map the params keys a stage lists to notebook parameters named by their last part.

    Examples
    --------
    >>> stage_parameters({"params": ["ingest.codebook", "base.seed"]},
    ...                  {"ingest": {"codebook": "c.yaml"}, "base": {"seed": 1}})
    {'codebook': 'c.yaml', 'seed': 1}
    """
    keys = []
    for entry in spec.get("params", []):
        keys += list(entry) if isinstance(entry, dict) else [entry]
    out = {}
    for key in keys:
        name = key.split(".")[-1]
        if name in out:
            raise SystemExit(f"error: two params keys end in {name!r}; rename one in params.yaml")
        out[name] = _lookup(params, key)
    return out


def _outputs(spec: dict) -> list[Path]:
    paths = []
    for entry in spec.get("outs", []) + spec.get("metrics", []) + spec.get("plots", []):
        paths.append(ROOT / (next(iter(entry)) if isinstance(entry, dict) else entry))
    return paths


def run(stage: str, notebook: str, executed: str) -> int:
    """Execute one stage's notebook; on failure remove its outputs and return 1."""
    import papermill as pm

    spec = stage_spec(stage)
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    parameters = stage_parameters(spec, params)
    executed_path = ROOT / executed
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    logger.info("stage %s: executing %s with %s", stage, notebook, sorted(parameters))
    try:
        execute_notebook(ROOT / notebook, executed_path, parameters, ROOT)
    except pm.PapermillExecutionError as exc:
        failed = executed_path.with_suffix(".failed.ipynb")
        if executed_path.exists():
            shutil.move(executed_path, failed)
        for path in _outputs(spec):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        if exc.ename in {"InputError", "RuntimeError"}:
            for line in str(exc.evalue).splitlines():
                print(f"error: {line}", file=sys.stderr)
        else:
            print(f"error: stage {stage} failed: {exc.ename}: {exc.evalue}", file=sys.stderr)
        print(f"error: outputs of stage {stage} removed; the failed notebook is {failed}",
              file=sys.stderr)
        return 1
    executed_path.with_suffix(".failed.ipynb").unlink(missing_ok=True)  # an earlier failure's
    logger.info("stage %s: done, executed notebook %s", stage, executed)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        print("usage: python -m analysis.stage STAGE NOTEBOOK EXECUTED_NOTEBOOK", file=sys.stderr)
        return 2
    setup()
    return run(*argv)


if __name__ == "__main__":
    sys.exit(main())
