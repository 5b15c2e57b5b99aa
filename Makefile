# dbsense — developer entry points. `make demo` and `make test` do all setup on a fresh Debian machine.
SHELL := /bin/bash
UV ?= uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: demo test lint docs docs-check vsix bench fuzz uv venv system-deps node-deps clean

uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv

venv: uv
	$(UV) sync --locked --quiet

## demo: install dbsense into .venv and show its findings on examples/ (findings are the point: exit 0)
demo: venv
	@$(VENV)/bin/dbsense check examples/ --no-cache; status=$$?; \
	if [ $$status -gt 1 ]; then exit $$status; fi

system-deps:
	bash scripts/install-system-deps.sh

node-deps:
	bash scripts/install-node-deps.sh
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

docs: venv
	$(PY) -m dbsense.docs docs/rules

docs-check: venv
	$(PY) -m dbsense.docs docs/rules --check

vsix: node-deps
	bash scripts/build-vsix.sh

## test: install everything the tests need (Python deps, Postgres + hypopg, redis, Node deps, Chromium) and run them all
test: system-deps venv lint docs-check vsix
	$(VENV)/bin/pytest

bench: venv
	$(PY) -m bench.run

fuzz: venv
	DBSENSE_FUZZ_EXAMPLES=20000 DBSENSE_SOAK_EDITS=20000 $(VENV)/bin/pytest tests/fuzz tests/soak -q

clean:
	rm -rf $(VENV) dist build .dbsense_cache
