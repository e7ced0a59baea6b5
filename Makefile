# grantpanel: two commands set everything up.
#   make run    create .venv, install, migrate the SQLite database, load the demo once, serve
#   make test   install the dev extra, then lint, type-check and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1

.PHONY: run install dev test lint typecheck pytest bench migrate demo clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

migrate: install
	$(BIN)/grantpanel init-db

demo: migrate
	$(BIN)/grantpanel demo --if-empty --address http://$(HOST):$(PORT)/

run: demo
	@echo "grantpanel is starting on http://$(HOST):$(PORT)/ (press Ctrl+C to stop)"
	$(BIN)/grantpanel run --host $(HOST) --port $(PORT)

lint: dev
	$(BIN)/ruff check .

typecheck: dev
	$(BIN)/mypy

pytest: dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: dev
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Extract every translatable string into the catalogue template, bring every language's
# catalogue up to date with it (new strings empty, changed ones marked fuzzy for review), and
# compile the catalogues the app reads. README: "Adding a language".
TRANSLATIONS := grantpanel/translations
translations: dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_ngettext:1,2 --sort-by-file --add-comments=TRANSLATORS: -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -w 100
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics
