# evalkit: two commands on a fresh machine with python3 and make.
#   make demo   create .venv, install evalkit, write both example programmes, produce their reports
#   make test   run the whole test suite (creates .venv first if it is missing)
# Other targets: make lab, make bench, make lint, make clean.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.evalkit-installed
SPEC   := data/raw/demo/family-support.yaml
SPEC_HP := data/raw/hp/homelessness-prevention.yaml
# pytest workers: the tests that run real kernels are spread over the machine's cores.
TEST_WORKERS ?= auto

.PHONY: setup demo test lab bench lint format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,distributed,pdf]"
	$(BIN)/python -m ipykernel install --sys-prefix --name evalkit --display-name "Python (evalkit)"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/evalkit demo
	$(BIN)/evalkit demo --example homelessness-prevention
	$(BIN)/evalkit run $(SPEC)
	$(BIN)/evalkit run $(SPEC_HP)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -q

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf reports/*/ data/processed/*/ .pytest_cache .ruff_cache
