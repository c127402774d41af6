# Two commands set up a fresh machine: `make demo` and `make test`. Each creates .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA ?= ../shared/data

.PHONY: install demo test lint bench bench-trace clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,crawl]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/unspin demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: bench-trace

bench-trace: $(STAMP)
	$(BIN)/python bench/trace_bench.py --data $(DATA)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
