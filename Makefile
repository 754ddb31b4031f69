# OPERA Pathways — the two commands of the README:
#   make run    install, then serve the web app on SQLite with demo data (http://127.0.0.1:5000)
#   make test   install (with test tools, Chromium, PostgreSQL started), then run the whole test suite
#               on SQLite and on PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test install install-test chromium postgres test-sqlite test-postgresql validate bench bench-check messages screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

run: install
	$(BIN)/opera serve --demo

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "Chromium missing: run 'sudo apt-get install chromium' (browser tests will skip)"; fi; \
	fi

postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
		for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

test-sqlite: install-test
	$(BIN)/python -m pytest

test-postgresql: install-test postgres
	OPERA_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest

# Each phase says how long it took (scripts/phase.sh); .ci/run adds a summary of them all.
PHASE := scripts/phase.sh
test:
	@$(PHASE) install $(MAKE) --no-print-directory install-test
	@$(PHASE) chromium $(MAKE) --no-print-directory chromium
	@$(PHASE) postgres $(MAKE) --no-print-directory postgres
	@$(PHASE) "pathways validate" $(BIN)/opera pathways validate pathways/
	@$(PHASE) scenarios $(BIN)/opera pathways test -q
	@scripts/both_suites.sh $(BIN)/python $(PG_URL)

validate: install
	$(BIN)/opera pathways validate pathways/

# One table with PASS/FAIL per target; bench-check exits 1 when a target is missed. On PostgreSQL:
#   make bench BENCH_ARGS="--database postgresql+psycopg://postgres@127.0.0.1:5432/bench"
BENCH_ARGS ?=
bench: install-test
	$(BIN)/pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-check: install-test
	$(BIN)/pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks --check $(BENCH_ARGS)

# The gettext catalogues (README, "Languages"): extract the texts of the code into a template (.pot, not kept),
# then bring the it/fr .po files up to date with it. Engine and databank messages are `define(code, English)`:
# the code is the msgctxt, the English the msgid.
PYBABEL := $(CURDIR)/$(BIN)/pybabel
messages: install
	cd webui && $(PYBABEL) -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location -w 120 -o translations/messages.pot . \
		&& $(PYBABEL) -q update -i translations/messages.pot -d translations -w 120 --previous --ignore-obsolete
	for domain in engine databank; do \
		$(PYBABEL) -q extract --no-default-keywords -k define:1c,2 --no-location -w 120 \
			-o $$domain/translations/$$domain.pot $$domain/i18n.py \
		&& $(PYBABEL) -q update -D $$domain -i $$domain/translations/$$domain.pot -d $$domain/translations -w 120 \
			--previous --ignore-obsolete || exit 1; \
	done

# PNGs of the main pages of the demo at 1366 and 390 px, per role, into screenshots/ (git-ignored);
# SCREENSHOTS_LANG=fr for another language. Lists the pages that would scroll sideways on a phone.
SCREENSHOTS_LANG ?= it
screenshots: install-test chromium
	$(BIN)/python -m tests.e2e.screenshots screenshots --lang $(SCREENSHOTS_LANG)

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
