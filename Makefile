# Everything a newcomer needs: `make serve` and `make test`. Only python3 (3.11+) and make required.
PYTHON ?= python3
PORT   ?= 7878
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP  := $(VENV)/.installed

.PHONY: serve test test-fast lint bench reliability build clean chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(VENV)/bin/python  ## what `kg serve` needs, nothing more
	@echo "installing pharma-kg into $(VENV) ..."
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): pyproject.toml | $(VENV)/bin/python  ## plus the test and bench tools
	@echo "installing pharma-kg with its test and bench extras into $(VENV) (a minute or two) ..."
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(RUNTIME) $(STAMP)

serve: $(RUNTIME)  ## build (or reuse the cached build) and serve on http://127.0.0.1:$(PORT)/
	$(BIN)/kg serve --port $(PORT)

chromium:  ## Debian's chromium for the browser tests: installed when we are root with apt-get
	@[ -n "$$KG_SKIP_BROWSER" ] || command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "the browser tests need Debian's chromium: run  sudo apt-get install chromium  (or set KG_SKIP_BROWSER=1)"; \
	    exit 1; \
	  fi; }

test: $(STAMP) chromium  ## the whole suite, browser tests included
	$(BIN)/ruff check .
	$(BIN)/mypy src/kg
	$(BIN)/pytest

test-fast: $(STAMP)  ## skip slow and browser tests while working
	$(BIN)/pytest -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy src/kg

bench: $(STAMP)  ## print the benchmark tables
	$(BIN)/python -m bench

.PHONY: bench-scale
bench-scale: $(STAMP)  ## the scale tables: user data at 10k, 100k and 1M triples against the floor peers
	$(BIN)/python -m bench --scale 10000,100000,1000000

reliability: $(STAMP)  ## fuzz, load, SIGKILL and cache damage against kg serve; QUICK=1 for the reduced scale
	$(BIN)/python -m reliability $(if $(QUICK),--quick)

build: $(STAMP)
	$(BIN)/kg build

clean:
	rm -rf $(VENV) build dist .pytest_cache
