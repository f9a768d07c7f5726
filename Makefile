# Gridwalk: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev translations chromium lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: | $(BIN)/python
	@$(BIN)/pybabel compile -q -d app/translations 2>/dev/null || $(BIN)/pybabel compile -d app/translations

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	@echo
	@echo "Gridwalk is running at http://$(HOST):$(PORT)/"
	@$(BIN)/python -c "from app.demo.cli import print_sign_ins; print_sign_ins()"
	@echo
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

# Debian's Chromium for the browser tests, installed when running as root and missing.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium is missing and cannot be installed here: browser tests will be skipped"; fi; \
	fi

test: install-dev chromium
	$(BIN)/python -m pytest -rs $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy
	# The phone's typed modules (// @ts-check: store.js, sync.js, outbox.js), with no build step.
	npx --yes -p typescript@5.6.3 tsc -p static/js/jsconfig.json

bench: install-dev
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache
