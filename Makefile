# Two commands on a fresh machine:  `make serve`  and  `make test`.
# CPU torch is installed first, from the local wheel folder when the machine has one, so that
# nothing pulls a CUDA build; every other package comes pinned from pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
WHEELS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup index serve test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(WHEELS) torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check $(WHEELS) -e ".[test]"
	touch $(STAMP)

index: $(STAMP)
	$(BIN)/wtkb build

serve: index
	$(BIN)/wtkb serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/wtkb check
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/search.py

clean:
	rm -rf index .pytest_cache
