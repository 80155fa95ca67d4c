# Lead Routing: `make run` starts the product, `make test` runs the whole suite.
PYTHON ?= python3
PORT ?= 8000
# The suite runs in this many processes (pytest-xdist; each has its own folder and Redis databases:
# config/settings/test.py). Two fit these 2-core machines; Redis's 16 databases allow four.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)

.PHONY: install env-file run test lint lock clean-var

$(BIN)/python:
	@scripts/ensure_python_venv.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --require-virtualenv -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(INSTALLED)

# Always run: it writes .env on first run and adds secrets that a newer version needs to an older one.
env-file:
	@$(PYTHON) scripts/bootstrap_env.py

run: install env-file
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py setup_demo --url http://127.0.0.1:$(PORT)/admin/
	$(BIN)/python manage.py setup_routing_demo
	@$(BIN)/python manage.py run_banner --port $(PORT)
	WEB_PORT=$(PORT) PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} exec $(BIN)/honcho start

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	@scripts/ensure_chromium.sh
	$(BIN)/pytest --numprocesses $(TEST_WORKERS) --dist worksteal

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

clean-var:
	rm -rf var
