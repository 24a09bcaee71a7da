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
# Front-end files the pages serve from /static/vendor (govuk-frontend without its crown and fonts).
VENDOR := node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
          node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
          node_modules/htmx.org/dist/htmx.min.js
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: setup index serve test lint bench clean chromium screenshots

setup: $(STAMP)

$(STAMP): pyproject.toml package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(WHEELS) torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check $(WHEELS) -e ".[test]"
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf web/static/vendor && mkdir -p web/static/vendor && cp $(VENDOR) web/static/vendor/
	touch $(STAMP)

index: $(STAMP)
	$(BIN)/wtkb build

serve: index
	$(BIN)/wtkb serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests drive Debian's chromium; install it from apt when it is missing (never a download
# of a browser build of Playwright's own).
chromium:
	test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

test: lint chromium
	$(BIN)/wtkb check
	$(BIN)/python -m pytest -q

# The README's screenshots: the browser tests write each page's to docs/screenshots/.
screenshots: $(STAMP) chromium
	WTKB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/load.py

clean:
	rm -rf index .pytest_cache
