# Odoo Gateway: `make demo` runs it against the built-in Odoo sandbox, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-long lint fmt clean fuzz load bench bench-scale

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m sandbox.demo

# The suite without the tests marked `long` (docs/development.md): under 3 minutes on 2 cores.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q -m "not long"

# The tests marked `long`: schemathesis, the browser, nginx and Redis replicas, soaks. CI runs them
# after `make test`; they skip with a message when redis-server, nginx or chromium is missing.
test-long: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m long

# Long fuzzing runs: hypothesis, then schemathesis on /openapi.json (short ones are part of `make test`).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n 2 -q tests/test_fuzz.py
	SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SECONDS=900 SCHEMATHESIS_SEED=random $(BIN)/python -m pytest -q tests/test_schemathesis.py

# 20,000+ requests at 64 concurrent clients against gunicorn and the double; fails on any error.
load: $(STAMP)
	$(BIN)/python -m bench.load

# Side-by-side benchmarks (gateway vs direct XML-RPC); writes bench/results/latest.json; then the
# scale-out row and the webhooks' write-to-delivery latency and deliveries/s (bench/results/webhooks.json).
# BASELINE=DIR also measures another checkout (e.g. a worktree of main) in the same run.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(if $(BASELINE),--baseline $(BASELINE))
	PYTHONPATH=. $(BIN)/python bench/scale_out.py
	PYTHONPATH=. $(BIN)/python bench/webhooks.py

# Throughput through nginx, 1 replica vs 2 (needs redis-server and nginx); bench/results/scale_out.json
bench-scale: $(STAMP)
	PYTHONPATH=. $(BIN)/python bench/scale_out.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .coverage
