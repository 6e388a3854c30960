# Two commands do all the set-up on a fresh clone:
#   make run    virtualenv + install + migrations + demo data (SQLite), then serve on :8000
#   make test   virtualenv + install, then the suite on SQLite, and on PostgreSQL too when
#               TEST_DATABASE_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/test)
# and one for the edit-test loop:
#   make test-fast  the unit and API tests on SQLite (no servers, drills or browser)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The suite runs in two processes (pytest-xdist; pyproject.toml hands them whole files);
# PYTEST_WORKERS=0 runs it in this one.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

.PHONY: help install run test test-fast test-sqlite test-postgres lint format lock messages clean \
	vendor-assets screenshots

# Each target with a `##` note after it is listed, with that note, by `make help`.
help:  ## list the targets, one line each
	@awk -F':.*##[ ]*' '/^[a-z][a-z-]*:.*##/ {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The service with its dev tools, and beside it (editable) the tooling (tools/: benchmarks,
# local cluster, scratch databases) and the provider client (clients/python/): neither is
# part of the service's package nor of its image.
$(STAMP): pyproject.toml tools/pyproject.toml clients/python/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e ./tools -e ./clients/python
	@touch $(STAMP)

install: $(STAMP)  ## make the virtualenv .venv and install the service with its dev tools

run: install  ## install, migrate, load the demo data (SQLite), then serve on :8000 (and the notification worker)
	$(BIN)/voucher-service migrate
	$(BIN)/voucher-service demo
	$(BIN)/voucher-service worker & worker=$$!; trap 'kill $$worker' EXIT; $(BIN)/voucher-service serve

test: install  ## the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set
	env -u TEST_DATABASE_URL $(PYTEST)
	@# The PostgreSQL pass leaves out what cannot differ from the SQLite pass (tests/conftest.py).
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		VOUCHER_TESTS_SECOND_PASS=1 $(PYTEST); \
	else \
		echo "TEST_DATABASE_URL is not set: skipping the PostgreSQL run"; \
	fi

test-fast: install  ## the unit and API tests on SQLite (no slow or browser tests)
	env -u TEST_DATABASE_URL $(PYTEST) -m "not slow and not browser"

test-sqlite: install  ## the whole suite on SQLite
	env -u TEST_DATABASE_URL $(PYTEST)

test-postgres: install  ## the whole suite on TEST_DATABASE_URL's PostgreSQL (skipped when unset)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		$(PYTEST); \
	else \
		echo "TEST_DATABASE_URL is not set: skipping the PostgreSQL run"; \
	fi

lint: install  ## ruff check, ruff format --check and mypy (what CI runs)
	$(BIN)/ruff check voucher_service tools clients tests migrations
	$(BIN)/ruff format --check voucher_service tools clients tests migrations
	$(BIN)/mypy voucher_service tools/voucher_tools clients/python/voucher_client

format: install  ## fix what ruff can: imports, lint fixes, formatting
	$(BIN)/ruff check --fix voucher_service tools clients tests migrations
	$(BIN)/ruff format voucher_service tools clients tests migrations

# The image's dependencies, pinned with their hashes (the Dockerfile installs them with
# --require-hashes): pyproject.toml's runtime dependencies resolved for the image's Python,
# for every platform. Run it after changing a dependency, and commit requirements.lock.
UV_VERSION ?= 0.13.10
lock: install  ## regenerate requirements.lock (hashes) from pyproject.toml's dependencies
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.12 \
		--generate-hashes --custom-compile-command 'make lock' -o requirements.lock

# The console's strings: extract the t("key")/_("key") calls of the code and the templates into
# voucher_service/locale/messages.pot, then add the new msgids to the zh_CN and en catalogs
# (empty: tests/console/test_i18n_catalogs.py names them until they are translated). The
# service reads the .po files themselves: there is nothing to compile.
messages: install  ## extract the console's strings and add new msgids to the zh_CN and en .po files
	$(BIN)/pybabel -q extract -F babel.cfg -k t -k N_ --no-location --sort-output \
		--omit-header --project voucher-service -o voucher_service/locale/messages.pot .
	$(BIN)/python -m voucher_tools.i18n_to_po update voucher_service/locale/messages.pot

# Retake the console's screenshots in docs/images/ (browser tests against the real service).
screenshots: install  ## retake the console's screenshots in docs/images/
	CONSOLE_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q -m browser tests/console/

# Re-fetch the console's pinned browser assets (htmx, ECharts, Swagger UI, ReDoc) from npm.
vendor-assets:  ## re-fetch the console's pinned browser assets from npm
	scripts/vendor-assets.sh

clean:  ## remove the virtualenv, var/ and the tools' caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
