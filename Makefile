# mdp: `make demo` and `make test` are all a fresh machine with Python 3.11 needs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
BOOTSTRAP := .local/bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv
BENCH_ENV := .local/bench-env
CHECKOV_ENV := .local/checkov-env
CHECKOV_VERSION := 3.3.30
MDP := $(VENV)/bin/mdp
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help setup demo test pytest lint format airflow mlflow-ui docs bench bench-env checkov-env clean \
	chromium

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	@mkdir -p .local
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced ## Install the locked environment, Airflow DB (SQLite) and dbt manifest
	$(MDP) setup

demo: setup ## Start the sandbox and run the whole pipeline through Airflow
	$(MDP) demo

test: setup chromium $(CHECKOV_ENV)/.synced-$(CHECKOV_VERSION) ## Lint, then run every test
	$(MAKE) lint
	$(MAKE) pytest

# The weekly-report test screenshots the report in headless Chromium (Debian's package).
chromium: ## Install Chromium (apt, needs root) when it is not on PATH
	@command -v chromium >/dev/null || apt-get install -y --no-install-recommends chromium \
		|| (apt-get update -qq && apt-get install -y --no-install-recommends chromium) \
		|| echo "warning: could not install chromium; the report screenshot test will skip"

pytest: setup ## Run the tests only
	$(VENV)/bin/pytest

lint: $(VENV)/.synced ## ruff, ruff format --check, sqlfluff (dbt templater), mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MDP) setup
	cd dbt_project && ../$(VENV)/bin/sqlfluff lint models tests macros --processes 2
	$(VENV)/bin/mypy

format: $(VENV)/.synced ## Format Python (ruff) and SQL (sqlfluff fix)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	cd dbt_project && ../$(VENV)/bin/sqlfluff fix models tests macros --processes 2

airflow: setup ## Airflow UI on http://127.0.0.1:8080 with dags/ and the demo's runs
	$(MDP) airflow standalone

mlflow-ui: setup ## MLflow UI on http://127.0.0.1:5000
	$(MDP) mlflow ui --host 127.0.0.1 --port 5000

docs: setup ## dbt docs on http://127.0.0.1:8081
	$(MDP) dbt docs generate
	$(MDP) dbt docs serve --host 127.0.0.1 --port 8081 --no-browser

bench: setup $(BENCH_ENV)/.synced ## Run the benchmarks, write benchmarks/RESULTS.md (BENCH_ARGS=...)
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS)

# Benchmark-only reference packages (channelattribution builds from source, ~2 min), never in .venv.
$(BENCH_ENV)/.synced: benchmarks/requirements-attribution.txt | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(BENCH_ENV)
	$(UV) pip install --python $(BENCH_ENV)/bin/python -r benchmarks/requirements-attribution.txt
	@touch $@

bench-env: $(BENCH_ENV)/.synced ## Benchmark-only environment (channelattribution)

# checkov (the infra/terraform scan in tests/infra) pins libraries Airflow conflicts with: own env.
$(CHECKOV_ENV)/.synced-$(CHECKOV_VERSION): | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(CHECKOV_ENV)
	$(UV) pip install --python $(CHECKOV_ENV)/bin/python checkov==$(CHECKOV_VERSION)
	@touch $@

checkov-env: $(CHECKOV_ENV)/.synced-$(CHECKOV_VERSION) ## Terraform scanner environment (checkov), never in .venv

clean: ## Remove all local state and the environment
	-$(MDP) sandbox down
	rm -rf .local $(VENV) dbt_project/target dbt_project/dbt_packages dbt_project/logs
