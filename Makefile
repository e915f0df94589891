# caseworks — see README.md. `make run` serves the demo; `make test` runs the suite.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PORT   ?= 5000
PYTHON ?= python3

.PHONY: run serve test install secret-key translations extract-messages scheduler bench lint browser-deps

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations secret-key

# A generated secret key kept in instance/ (readable by its owner only), for an installation
# that sets no CASEWORKS_SECRET_KEY; the app refuses to start without a key of real length.
secret-key: instance/secret_key

instance/secret_key:
	@mkdir -p instance
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	@echo "a new secret key is kept in $@"

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -f -d translations

# Refresh the message catalogue after changing user-visible text.
extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --scale county --if-empty
	@echo "caseworks on http://127.0.0.1:$(PORT)  (demo users: teacher1 cadre1 principal1 township1 reviewer1 admin; password demo-pass-2026)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

scheduler: install
	$(FLASK) scheduler

# Production: gunicorn on CASEWORKS_DATABASE_URL (PostgreSQL), sized to the cores; run
# `$(FLASK) db upgrade` first as a deploy step, and one or more `make scheduler` beside it.
serve: install
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check caseworks tests bench config.py wsgi.py
	$(VENV)/bin/ruff format --check caseworks tests bench config.py wsgi.py

# Debian's Chromium and CJK fonts for the browser tests (root, Debian). The package lists are
# refreshed first: a fresh machine (or container) has none, and install would not find chromium.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  echo "chromium and fonts-noto-cjk are installed"; \
	else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

bench: install
	$(PY) -m bench.run
