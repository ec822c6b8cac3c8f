# Odoo Gateway: `make demo` runs it against the built-in Odoo sandbox, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint fmt clean bench-scale

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m sandbox.demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

# Throughput through nginx, 1 replica vs 2 (needs redis-server and nginx); bench/results/scale_out.json
bench-scale: $(STAMP)
	PYTHONPATH=. $(BIN)/python bench/scale_out.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .coverage
