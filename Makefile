# Front Door Audit: `make demo` and `make test` are the whole quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The tests run on every core (pytest-xdist); a file's tests stay together on one worker.
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: demo test lint bench clean

$(BIN)/frontdoor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/frontdoor
	$(BIN)/frontdoor demo

test: $(BIN)/frontdoor
	@sh scripts/ensure-chromium
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/frontdoor
	$(BIN)/ruff check .

bench: $(BIN)/frontdoor
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
