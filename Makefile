# One set of commands, used by hand, by .ci/run and by pre-commit.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
GOAL   ?= Become a backend engineer in 6 months, 8 h/week, I know some Python

.PHONY: lock install demo test test-slow lint format typecheck bench services

$(BIN)/learnpath: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/learnpath

# requirements.lock pins runtime + dev dependencies with hashes, resolved by a pinned uv.
# `make lock` keeps the current pins and adds what pyproject.toml gained (or drops what it
# lost); `make lock UPGRADE=--upgrade` moves every pin to the newest version in range.
UV_VERSION ?= 0.13.9
LOCK_TOOLS ?= $(VENV)/lock-tools
UPGRADE ?=
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install --quiet 'uv==$(UV_VERSION)'
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
		--universal --python-version 3.11 --no-header --quiet $(UPGRADE) -o requirements.lock

demo: install
	$(BIN)/learnpath generate "$(GOAL)"

test: install
	$(BIN)/pytest -p no:cacheprovider --cov --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS)

test-slow: install
	$(BIN)/pytest -p no:cacheprovider -m slow $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	mkdir -p bench/results
	$(BIN)/python bench/concurrency.py --n 100 --latency-ms 200 --json bench/results/concurrency.json
	$(BIN)/python bench/percall.py --n 10 --json bench/results/percall.json
	$(BIN)/python bench/transport.py --latency-ms 1000 --at-once 400 --rounds 5
	$(BIN)/python bench/goodput.py --per-minute 1200 --roadmaps 20 --window 5 --json bench/results/goodput.json
	$(BIN)/python bench/fairness.py --backlog 2000 --json bench/results/fairness.json
	$(BIN)/python bench/intake.py --seconds 10 --baseline --json bench/results/intake.json

services:
	bash .ci/services.sh
