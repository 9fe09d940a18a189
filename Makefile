# sdgbridge: two commands set everything up on a fresh machine.
#   make demo   create the environment, install, load the Centre's region, show a summary
#   make test   install what the tests need and run the whole suite (SQLite and PostgreSQL)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint install install-test assets messages e2e bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# Web assets from the npm registry (world-atlas country shapes), copied into the package; not
# committed. Needs Node.js and npm.
assets:
	bash scripts/build_assets.sh

# Refresh the message catalogues after changing the pages' text: then translate the new
# entries in src/sdgbridge/web/locale/ru/LC_MESSAGES/messages.po (compiled at start-up).
LOCALE = src/sdgbridge/web/locale
messages: install
	$(BIN)/pybabel extract -F $(LOCALE)/babel.cfg --no-location --sort-output -o $(LOCALE)/messages.pot src/sdgbridge
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --width 100 --ignore-obsolete

# The end-to-end journeys in Debian's headless Chromium (apt-get install -y chromium).
e2e: install-test assets
	$(BIN)/python -m pytest tests/e2e -q

demo: install assets
	$(BIN)/sdgbridge demo

# Lint and types first (ruff, mypy with the settings in pyproject.toml), then the suite.
lint: install-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

test: install-test assets lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: install-test
	$(BIN)/python bench/ingest_global.py --repeat 3
	$(BIN)/python bench/assess_global.py
	$(BIN)/python bench/iati_import.py
	$(BIN)/python bench/sdg_tagging.py
	$(BIN)/python bench/crosslingual.py
	$(BIN)/python bench/knowledge_search.py
	$(BIN)/python bench/assistance_matching.py
	$(BIN)/python bench/profiles.py
	$(BIN)/pip install --quiet -e '.[bench]' && $(BIN)/python bench/serve_load.py
	$(BIN)/python bench/soak_pg.py   # 10 minutes; needs wrk (apt-get install -y wrk)

clean:
	rm -rf $(VENV) sdgbridge.db sdgbridge.db-wal sdgbridge.db-shm .sdgbridge-cache node_modules \
	  src/sdgbridge/web/static/vendor tests/e2e/screenshots
