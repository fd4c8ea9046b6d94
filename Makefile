# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install proto lint typecheck test demo bench stop clean minio postgres

# MinIO for the object-store tests, built from source as MinIO documents (go install), pinned
# to one commit. Change the pin and delete .tools/bin/minio to rebuild.
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO := .tools/bin/minio

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

proto: install console/node_modules
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python proto/generate.py

lint: install proto/node_modules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd proto && npx --no-install buf lint

typecheck: install
	$(BIN)/mypy -p graven -p graven.control_plane -p graven.data_plane

test: lint typecheck minio postgres console-test chromium
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest

demo: install console
	PATH=$(CURDIR)/$(BIN):$$PATH bash examples/demo.sh
	@url=$$(sed -n 's/^ *login *//p' "$${GRAVEN_HOME:-.graven}/graven.log" 2>/dev/null | head -1); \
		echo "Console: $${url:-http://127.0.0.1:8080} (signs this browser in; the executions above, live)"

bench: install minio postgres
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

minio: $(MINIO)

$(MINIO):
	CGO_ENABLED=0 GOBIN=$(CURDIR)/.tools/bin go install -trimpath github.com/minio/minio@$(MINIO_VERSION)

# PostgreSQL for the database tests, which start throwaway clusters with its initdb and pg_ctl:
# Debian's package, installed only when neither PATH nor /usr/lib/postgresql/*/bin has them.
postgres:
	@if { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 || \
		ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; \
	then :; else apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; fi

proto/node_modules: proto/package.json
	cd proto && npm ci --no-audit --no-fund
	touch proto/node_modules

stop:
	@if [ -f .graven/graven.pid ] && kill "$$(cat .graven/graven.pid)" 2>/dev/null; then \
		echo "stopped Graven"; else echo "Graven was not running"; fi
	@rm -f .graven/graven.pid

# The web console (console/): npm packages from the lockfile; `make console` type-checks,
# lints and builds it into console/dist, which `graven up` serves on its HTTP port.
.PHONY: console console-deps console-test chromium
console-deps: console/node_modules

console/node_modules: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch console/node_modules

console: console/node_modules
	cd console && npx --no-install tsc --noEmit
	cd console && npx --no-install eslint .
	cd console && npx --no-install vite build

console-test: console
	cd console && npx --no-install vitest run

# Chromium for the browser tests (tests/console): Debian's package, installed only when
# absent; Playwright drives it, it never downloads a browser of its own.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; else \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; fi
