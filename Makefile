# Set-up, demo, tests and benchmarks. Every target creates .venv on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-slow lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,hdf5,images,live,export]'
	touch $(STAMP)

demo: venv
	$(BIN)/python -m pylearn2.scripts.demo

lint: venv
	$(BIN)/ruff check pylearn2 tests benchmarks
	$(BIN)/python -m mypy

# The quick suite (slow tests deselected by pyproject's addopts); test-slow runs only
# the slow ones (subprocesses, two-process runs, full examples). .ci/run runs both.
test: lint
	$(BIN)/python -m pytest

test-slow: venv
	$(BIN)/python -m pytest -m slow

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
