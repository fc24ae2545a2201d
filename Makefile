# ChargeNet: `make run` sets up and starts a live demo network; `make test` passes the suite.
SHELL := /bin/bash
PYTHON_SYS ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SIMULATE ?= 1
# Phase 2 of `make test` runs the server-marked tests on these real servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chargenet
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= auto

.PHONY: setup run test test-embedded test-servers lint bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON_SYS) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

run: setup
	$(PY) manage.py demo_data
	@if [ "$(SIMULATE)" != "0" ]; then \
	  $(PY) manage.py simulate --demo --url ws://127.0.0.1:$(PORT)/ocpp/ & SIM=$$!; \
	  trap 'kill $$SIM 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(PY) manage.py serve --port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint test-embedded test-servers

test-embedded: $(VENV)/.installed
	env -u DATABASE_URL -u REDIS_URL $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not server"

# Server-backed tests: real PostgreSQL and Redis. They skip when the servers are down,
# unless REQUIRE_SERVERS=1 (as .ci/run sets), which turns a missing server into a failure.
test-servers: $(VENV)/.installed
	@if $(PY) -m tests.support.servers "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
	  export DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" DATABASE_CONN_MAX_AGE=0; \
	  $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "protocol and not server" && \
	  $(VENV)/bin/pytest -p no:xdist -m server; \
	elif [ "$$REQUIRE_SERVERS" = "1" ]; then \
	  echo "PostgreSQL or Redis is not reachable and REQUIRE_SERVERS=1"; exit 1; \
	else \
	  echo "SKIPPED server tests: PostgreSQL or Redis not reachable (see README)"; \
	fi

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chargenet_bench

bench: setup
	@echo "== one process: 2,000 stations in a burst (200 at a time), then a rising load beside"
	@echo "   a bare ocpp server, in steps of 250 requests/s until p99 passes 250 ms; summary"
	$(PY) bench/run.py --servers 1 --compare-bare --stations 2000 --connectors 1 \
	  --heartbeat 60 --ramp 0 --in-flight 200 --duration 30 --search 250:250:5000
	@echo "== the cluster: two processes behind HAProxy, 10,000 stations (heartbeat 300 s,"
	@echo "   meter values 60 s), then a reconnect storm: every socket dropped at once (a"
	@echo "   power cut), all booted again within 60 s"
	$(PY) bench/run.py --stations 10000 --connectors 1 --workers 4 --heartbeat 300 \
	  --meter-interval 60 --ramp 100 --plug-in-rate 30 --connect-timeout 900 --duration 60 \
	  --balancer --storm 1
	@echo "== command round trip across two daphne processes"
	DATABASE_URL="$(BENCH_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" \
	  $(PY) manage.py bench_commands --count 300
	$(PY) -m billing.bench 100000
	@echo "== 2,000 stations registered in one bulk API call"
	$(PY) bench/registration.py --stations 2000

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

# The production shape on this machine (deploy/cluster.py): HAProxy on PORT (8080) and
# TLS_PORT (8443) in front of DAPHNE_PROCESSES (2) daphne processes, a Celery worker
# and beat, on DATABASE_URL (default .../chargenet_cluster) and REDIS_URL (default
# redis://127.0.0.1:6379/1); with SIMULATE=1 the demo simulator runs through the
# balancer. Logs and PIDs in var/cluster/. `make stop-cluster` stops it all.
.PHONY: run-cluster stop-cluster
run-cluster: setup
	$(PY) deploy/cluster.py start --demo $(if $(filter 1,$(SIMULATE)),--simulate) \
	  $(if $(filter command line environment,$(origin PORT)),--port $(PORT))

stop-cluster:
	$(PYTHON_SYS) deploy/cluster.py stop

# The OpenAPI schema, checked in: `make schema` writes it; `make schema-check` (and
# tests/api/test_schemathesis.py::test_checked_in_schema_is_current) fails when the API and
# the file differ, so a change to the API shows as a diff in review.
.PHONY: schema schema-check
schema: $(VENV)/.installed
	$(PY) manage.py spectacular --validate --fail-on-warn --file schema/openapi.yaml

schema-check: $(VENV)/.installed
	@tmp=$$(mktemp); trap 'rm -f $$tmp' EXIT; \
	$(PY) manage.py spectacular --validate --fail-on-warn --file $$tmp && \
	diff -u schema/openapi.yaml $$tmp || { echo "schema/openapi.yaml is stale: run make schema"; exit 1; }
