# sdgbridge: two commands set everything up on a fresh machine.
#   make demo   create the environment, install, load the Centre's region, show a summary
#   make test   install what the tests need and run the whole suite (SQLite and PostgreSQL)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	$(BIN)/sdgbridge demo

test: install-test
	$(BIN)/python -m pytest -n 2 -q

bench: install-test
	$(BIN)/python bench/ingest_global.py --repeat 3
	$(BIN)/python bench/assess_global.py
	$(BIN)/python bench/iati_import.py

clean:
	rm -rf $(VENV) sdgbridge.db sdgbridge.db-wal sdgbridge.db-shm .sdgbridge-cache
