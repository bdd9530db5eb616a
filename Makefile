# Everything a newcomer needs: `make serve` and `make test`. Only python3 (3.11+) and make required.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test test-fast lint bench reliability build clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

serve: $(STAMP)  ## build (or reuse the cached build) and serve on http://127.0.0.1:7878/
	$(BIN)/kg serve

test: $(STAMP)  ## the whole suite, browser tests included
	$(BIN)/ruff check .
	$(BIN)/pytest

test-fast: $(STAMP)  ## skip slow and browser tests while working
	$(BIN)/pytest -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)  ## print the benchmark tables
	$(BIN)/python -m bench

reliability: $(STAMP)  ## fuzz, load, SIGKILL and cache damage against kg serve; QUICK=1 for the reduced scale
	$(BIN)/python -m reliability $(if $(QUICK),--quick)

build: $(STAMP)
	$(BIN)/kg build

clean:
	rm -rf $(VENV) build dist .pytest_cache
