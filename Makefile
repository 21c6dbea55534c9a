# The study's front door. `make help` lists the targets.
# Everything runs inside .venv, created from the pinned requirements.lock on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := intranet-benchmark

.DEFAULT_GOAL := help
.PHONY: help install study test test-fast lab bench lint clean-outputs

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Intranet benchmark"
	@touch $(STAMP)

install: $(STAMP)  ## create .venv with the pinned dependencies and the project kernel

study: $(STAMP)  ## run the whole study on the configured exports (dvc repro) and list the reports
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro
	@echo
	@echo "Reports:"
	@find reports -name 'report.html' -o -name 'report.pdf' | sort | sed 's/^/  /'
	@echo "Open reports/index.html in a browser to start."

test: $(STAMP)  ## run the whole test suite (unit tests, notebooks with nbval, end-to-end pipeline)
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: $(STAMP)  ## the test suite without the slow end-to-end runs
	$(BIN)/pytest -n 2 -m "not slow"

lab: $(STAMP)  ## open JupyterLab on the project kernel
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)  ## run the speed and memory benchmarks under benchmarks/ and print their figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)  ## ruff over the package, tests and benchmarks
	$(BIN)/ruff check analysis tests benchmarks

clean-outputs:  ## remove everything the pipeline derived (processed data, reports, metrics)
	rm -rf data/processed/*.parquet data/processed/*.csv data/processed/*.json reports/* notebooks/executed metrics
