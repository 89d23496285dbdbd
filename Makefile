# Seed: two commands to know: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install install-dev lint format migrate demo serve bench messages audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## make run: install, migrate, load the demo community, serve http://localhost:8000
run: install migrate demo serve

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: install
	$(BIN)/python manage.py seed_demo

serve: install
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: lint, migrations check and the whole pytest suite
test: install-dev lint
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make audit: bandit on our code, pip-audit on the pinned requirements
audit: install-dev
	bash .ci/audit

## make messages: refresh the Dutch catalogue after changing UI strings
messages: install-dev
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py makemessages --locale=nl --no-obsolete --add-location=file --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='docs/*' --ignore='bench/*' --ignore='static/*'
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py compilemessages --locale=nl --ignore='.venv/*'

bench: install-dev
	@for f in bench/*.py; do [ -e "$$f" ] && $(BIN)/python "$$f"; done; true

clean:
	rm -rf $(VENV) var db.sqlite3
