# The commands people remember. `make run` and `make test` work on a fresh machine with
# Python 3.11 (no other set-up); PostgreSQL tests run when a server answers (always under CI).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2
CHROMIUM ?= /usr/bin/chromium
WRK ?= /usr/bin/wrk
PROMTOOL ?= /usr/bin/promtool
HAPROXY ?= /usr/sbin/haproxy
BENCH_STAMP := $(VENV)/.bench-installed
# The web app (web/): npm ci when package-lock.json changes, a build when any input is newer.
NPM ?= npm
WEB_DEPS := web/node_modules/.installed
WEB_BUILD := web/dist/index.html
WEB_INPUTS := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/package-lock.json web/vite.config.ts web/tsconfig.json docs/openapi.json
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast lint typecheck format migrate demo openapi clean bench bench-smoke \
	web web-test web-bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium (downloaded browsers do not work on these machines).
$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

# The benchmark's load generators: wrk from Debian, Locust from the bench extra.
$(WRK):
	$(SUDO) apt-get install -y -q wrk || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk)

# promtool checks and unit-tests the alert rules (tests/deploy/test_monitoring.py). It comes with
# Debian's prometheus package; only promtool is used (on these machines policy-rc.d keeps the
# package's server from starting).
$(PROMTOOL):
	$(SUDO) apt-get install -y -q --no-install-recommends prometheus || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends prometheus)

# HAProxy balances several app processes in the scale-out fault test
# (tests/faults/test_scale_out.py); the test runs its own haproxy, only the binary is used.
$(HAPROXY):
	$(SUDO) apt-get install -y -q haproxy || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q haproxy)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund
	touch $(WEB_DEPS)

$(WEB_BUILD): $(WEB_DEPS) $(WEB_INPUTS)
	cd web && $(NPM) run build

web: $(WEB_BUILD)

# Web lint, type check and unit tests (Vitest).
web-test: $(WEB_DEPS)
	cd web && $(NPM) run lint && $(NPM) run typecheck && $(NPM) test

# Time to a usable board with 2,000 tasks, and the JavaScript shipped on first load.
web-bench: $(STAMP) $(WEB_BUILD) $(CHROMIUM)
	$(BIN)/python bench/web_load.py

run: $(STAMP) $(WEB_BUILD)
	$(BIN)/tasklane serve

migrate: $(STAMP)
	$(BIN)/tasklane migrate

demo: $(STAMP)
	$(BIN)/tasklane demo

test: $(STAMP) $(CHROMIUM) $(WRK) $(PROMTOOL) $(HAPROXY) $(BENCH_STAMP) $(WEB_BUILD)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) web-test
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test-fast: $(STAMP)
	$(BIN)/pytest -x -q -k sqlite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(STAMP)
	$(BIN)/python -m tasklane.openapi > docs/openapi.json

# The contract fuzzer for longer than `make test` runs it: FUZZ_EXAMPLES cases per operation,
# new random ones each run, against a live server (tests/fuzz/). A few minutes at the default.
FUZZ_EXAMPLES ?= 300
.PHONY: fuzz
fuzz: $(STAMP)
	TASKLANE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) TASKLANE_FUZZ_RANDOM=1 $(BIN)/pytest -n $(PYTEST_WORKERS) tests/fuzz

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist

# The full benchmark (about an hour; SQLite with one process per core and with one, PostgreSQL): results in bench/results/, README table.
bench: $(BENCH_STAMP) $(WRK)
	$(BIN)/python -m bench --profile full --backends sqlite-cores,sqlite,postgres --readme

# Every part of the benchmark with tiny sizes and durations, in under a minute; asserts no speed.
bench-smoke: $(BENCH_STAMP) $(WRK)
	$(BIN)/python -m bench --profile smoke --out build/bench-smoke
