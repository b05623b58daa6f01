# fidelia_kit: `make run` and `make test` are all a newcomer needs (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast data bench course clean help

help:
	@echo "make run    - install into .venv, write datasets/ if missing, summarise it, run every notebook into outputs/"
	@echo "make test   - install into .venv with the test extras and run the test suite"
	@echo "make test-fast - the same without the slow tests (default world, notebooks, many worlds)"
	@echo "make data   - regenerate the default data set in datasets/"
	@echo "make bench  - run the benchmarks in benchmarks/"
	@echo "make course - build the course site (both languages) into course/_build/site/ (open its index.html)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "fidelia_kit needs Python 3.11 or newer; found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	@test -f datasets/customers.csv || $(BIN)/fidelia data generate --out datasets --force
	$(BIN)/fidelia data summary datasets
	$(BIN)/fidelia run --all --out outputs

test: $(STAMP)
	$(BIN)/python -m ruff check fidelia_kit tests benchmarks
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

data: $(STAMP)
	$(BIN)/fidelia data generate --out datasets --force

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_rfm.py
	$(BIN)/python benchmarks/bench_cluster.py
	$(BIN)/python benchmarks/bench_clv.py
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_start.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_grade.py

course: $(STAMP)
	@test -f datasets/customers.csv || $(BIN)/fidelia data generate --out datasets --force
	$(BIN)/python course/site/build.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
