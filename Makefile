# The two commands of the README: `make run` and `make test`. Both set up what is missing
# (system packages, .venv, the project) and skip what is done.
# The first Python >= 3.11 that actually runs (pyenv shims may exist for absent versions).
PY := $(shell for p in python3 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup sysdeps lint bench screenshots install-prod lock

run: setup
	$(BIN)/handover init --demo
	$(BIN)/handover demo
	$(BIN)/handover serve

# The suite on as many processes as the machine has cores (2 here); `make test WORKERS=0` runs it
# in one. Each test file stays on one process: its module fixtures (a served demo, a browser) are
# made once.
WORKERS ?= 2

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

# axe-core for the browser tests' accessibility check, from the npm registry at the version and
# hash of tests/e2e/axe/package-lock.json; the tests inject it into the pages (never served).
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js

setup: sysdeps $(STAMP) $(AXE)

$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	npm ci --prefix tests/e2e/axe --no-audit --no-fund
	touch $(AXE)

sysdeps:
	@sh scripts/system-deps.sh

# Exact versions with hashes (requirements.lock, made by `make lock`), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# A production server: the locked runtime dependencies only (no pytest, Playwright, ruff) and the
# project as a regular install; system packages as for `make run`, without the browser.
install-prod:
	@BROWSER=no sh scripts/system-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements-prod.lock
	$(BIN)/python -m pip install -q --no-deps .

# Re-resolve the locks after a change of pyproject.toml's dependencies.
lock:
	$(BIN)/python -m pip install -q pip-tools
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra test -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements-prod.lock pyproject.toml

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/vault.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/pdf.py --write docs/benchmarks/pdf.md
	$(BIN)/python bench/search.py
	$(BIN)/python bench/collect.py

screenshots: setup
	SAVE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e -q
