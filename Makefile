# One set of commands, used by hand, by .ci/run and by pre-commit.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
GOAL   ?= Become a backend engineer in 6 months, 8 h/week, I know some Python

.PHONY: install demo test test-slow lint format typecheck bench services

$(BIN)/learnpath: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/learnpath

demo: install
	$(BIN)/learnpath generate "$(GOAL)" --weeks 26

test: install
	$(BIN)/pytest -p no:cacheprovider --cov --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS)

test-slow: install
	$(BIN)/pytest -p no:cacheprovider -m slow $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	mkdir -p bench/results
	$(BIN)/python bench/concurrency.py --n 100 --latency-ms 200 --json bench/results/concurrency.json

services:
	bash .ci/services.sh
