# Masthead: `make demo` runs the site with demo content; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test install lint format lock bench bench-accounts bench-access bench-comments bench-render bench-newsletter migrate check-deploy check-headers clean

$(BIN)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Masthead needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $@

install: $(BIN)/.installed

# axe-core (accessibility checks in the browser tests) comes from npm when npm is here.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: browser tests will skip their accessibility check"; fi

migrate: install
	$(PY) manage.py migrate --noinput

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo
	@echo "  Masthead is running at http://$(HOST):$(PORT)/"
	@echo "  Editors' admin: http://$(HOST):$(PORT)/admin/  (editor@masthead.example / $${MASTHEAD_DEMO_PASSWORD:-masthead-demo})"
	@echo "  Press Ctrl+C to stop the site, the task worker, the email sweeper, the newsletter"
	@echo "  sender, the event reminders and the end of suspensions."
	@echo
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker & \
	$(PY) manage.py deliver_outbox --loop & \
	$(PY) manage.py send_newsletters --loop & \
	$(PY) manage.py send_event_reminders --loop & \
	$(PY) manage.py end_suspensions --loop & \
	$(PY) manage.py runserver $(HOST):$(PORT)

# In parallel (pytest-xdist): one worker per core, at most 8 (each takes a Redis database
# of its own, masthead/settings_test.py). loadgroup sends a module whose rows are built
# once (`build_once`) to one worker whole, and the tests that mostly wait to one worker
# (conftest.py); --no-loadscope-reorder keeps pytest-django's order (plain database
# tests before transactional ones, whose flush empties the tables), which xdist would
# otherwise change to put the largest groups first.
# TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
# Bytecode caches kept in var/pycache (out of the source tree), even where the machine
# sets PYTHONDONTWRITEBYTECODE: without them every worker, and every process a test
# starts, compiles the test modules and their rewritten asserts again (~4 s a worker).
TEST_ENV := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/var/pycache
test: install
	-@$(MAKE) --no-print-directory node_modules/axe-core/axe.min.js
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses=8 --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

bench-accounts: install
	$(PY) bench/bench_accounts.py $(BENCH_ARGS)

bench-access: install
	$(PY) bench/bench_access.py $(BENCH_ARGS)

bench-comments: install
	$(PY) bench/bench_comments.py $(BENCH_ARGS)

bench-render: install
	$(PY) bench/bench_render.py $(BENCH_ARGS)

bench-newsletter: install
	$(PY) bench/newsletter_send.py $(BENCH_ARGS)

check-deploy: install
	MASTHEAD_PRODUCTION=1 MASTHEAD_ALLOWED_HOSTS=news.example \
	MASTHEAD_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	$(PY) manage.py check --deploy --fail-level WARNING

# Mozilla's HTTP Observatory grades the production headers: the app under production
# settings behind TLS on loopback (a throwaway certificate), the front page and the
# admin's sign-in page; fails below A+. Needs node, npm and openssl; no network.
check-headers: install
	-@$(MAKE) --no-print-directory node_modules/axe-core/axe.min.js
	$(PY) tests/headers/check_headers.py

# Re-pin every dependency after editing pyproject.toml (needs network to PyPI).
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --generate-hashes \
		--python-version 3.11 --output-file requirements.lock

clean:
	rm -rf $(VENV) node_modules var
