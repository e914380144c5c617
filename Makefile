# The two commands: `make run` (the app on http://127.0.0.1:5000 with demo data) and
# `make test` (lint and the test suite). Both create .venv and install what they need.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run worker stack test lint install clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "python3 not found: install Python 3.11 or newer" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "$(PYTHON) is older than Python 3.11: set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's metadata changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The embedded worker: the real Celery worker code, with kombu's SQLite broker under instance/
# instead of a server, and beat inside it (the escalation sweep and the outbox relay). `make run`
# starts it next to the web server and stops it with the server; mail lands in instance/mailbox/.
WORKER := $(BIN)/celery -A workers worker -B --pool=solo --loglevel=info

run: install
	$(BIN)/workflow-app db upgrade
	$(BIN)/workflow-app seed-demo
	@$(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/workflow-app run --host $(HOST) --port $(PORT)

# The production topology natively (docker-compose.yml's commands, no Docker): migrations, then
# gunicorn on http://127.0.0.1:8000 (or $$PORT), a Celery worker, beat and a local SMTP server
# whose mail the admin mailbox shows, against the local PostgreSQL and Redis. DATABASE_URL,
# REDIS_URL and MAIL_* come from the environment (README "The stack").
stack: install
	$(BIN)/workflow-app stack --seed-demo $(if $(filter command line,$(origin PORT)),--port $(PORT),)

# Only the worker (with beat), e.g. beside a web server started another way.
worker: install
	$(WORKER)

test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q --durations=20 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Keeps instance/ (the embedded database and the secret key).
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# The Indonesian catalogue: extract the marked strings, merge them into the .po (new ones come
# in untranslated, never fuzzy-guessed) and compile the .mo that ships. Running it again
# without code changes leaves both files as they are.
TRANSLATIONS := workflow_app/translations
.PHONY: translations
translations: install
	@work=$$(mktemp -d) && trap 'rm -rf "$$work"' EXIT && \
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k Nn_:1,2 --no-location --sort-output \
		--project=workflow_app -o "$$work/messages.pot" . && \
	$(BIN)/pybabel update --init-missing -N --ignore-obsolete --ignore-pot-creation-date \
		-i "$$work/messages.pot" -d $(TRANSLATIONS) -l id
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -l id
