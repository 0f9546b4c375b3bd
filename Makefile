# Two commands run everything on a fresh machine:
#   make chat   set up, build the knowledge index on first use, open the coach
#   make test   set up, then run the whole test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?= python3

.PHONY: chat run test test-fast lint bench setup clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

setup: $(STAMP)

# The O*NET task ratings are downloaded, not shipped: tried once; offline, the coach carries on
# without task detail (`coach data fetch` later, or COACH_OCCUPATION_DATA=DIR).
OCCUPATION_TRIED := data/occupations/.fetch-tried

$(OCCUPATION_TRIED): | $(STAMP)
	@mkdir -p data/occupations
	@$(VENV)/bin/coach data fetch || echo "coach: no O*NET task file for now (offline?); answers leave out task detail"
	@touch $@

# The terminal chat on the embedded defaults; the bots instead when their tokens are set.
chat: $(STAMP) $(OCCUPATION_TRIED)
	@if [ -n "$$DISCORD_BOT_TOKEN$$TELEGRAM_BOT_TOKEN" ] || grep -qsE '^(DISCORD|TELEGRAM)_BOT_TOKEN=.+' .env; then \
		HF_HUB_OFFLINE=1 $(VENV)/bin/coach run; \
	else \
		HF_HUB_OFFLINE=1 $(VENV)/bin/coach chat; \
	fi

run: chat

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q
	$(VENV)/bin/ruff check bot tests bench

# Minutes, not the whole suite: no real embedding model, no process per test.
test-fast: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not slow" --ignore=tests/cli

lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/ruff format --check bot tests bench

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
