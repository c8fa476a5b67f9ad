# evalkit: two commands on a fresh machine with python3 and make.
#   make demo   create .venv, install evalkit, write both example programmes, produce their reports
#   make test   run the whole test suite (creates .venv first if it is missing)
#   make capture  the reflection form as a web page on this machine (make capture SPEC=your.yaml)
# Other targets: make lab, make bench, make lint, make clean; make hooks for contributors.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.evalkit-installed
SPEC   := data/raw/demo/family-support.yaml
SPEC_HP := data/raw/hp/homelessness-prevention.yaml
# pytest workers: the tests that run real kernels are spread over the machine's cores.
TEST_WORKERS ?= auto
# The Python whose nbstripout strips notebooks as git stages them (conda users: make
# notebook-filter NB_PYTHON="$$CONDA_PREFIX/bin/python"). Relative paths are read from this
# folder, where git runs its filters.
NB_PYTHON ?= $(BIN)/python
NB_STRIP  := "$(NB_PYTHON)" -m nbstripout --keep-id
NB_GUARD  := [ -x "$(NB_PYTHON)" ] || { echo "evalkit: $(NB_PYTHON) is missing, so notebook outputs cannot be stripped: run make setup" >&2; exit 1; };

.PHONY: setup notebook-filter hooks demo test lab capture mutate bench lint format clean

setup: $(STAMP)
	@$(MAKE) --no-print-directory notebook-filter

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,capture,distributed,pdf,sql]"
	$(BIN)/python -m ipykernel install --sys-prefix --name evalkit --display-name "Python (evalkit)"
	@$(MAKE) --no-print-directory notebook-filter
	@touch $(STAMP)

# Notebook outputs and execution counts never reach a commit: git runs each notebook through
# nbstripout as it stages it (.gitattributes names the filter; this defines it for this clone).
# The copy on disk keeps its outputs. Idempotent; does nothing outside a git clone. The index is
# refreshed once here: otherwise every `git status` (each report's provenance runs one) would run
# the filter over every notebook until one status wins the index lock to record the result.
notebook-filter:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config --replace-all filter.nbstripout.clean '$(NB_GUARD) exec $(NB_STRIP)' && \
	  git config --replace-all filter.nbstripout.smudge cat && \
	  git config --replace-all filter.nbstripout.required true && \
	  git config --replace-all diff.ipynb.textconv '$(NB_STRIP) -t' && \
	  { git update-index -q --refresh >/dev/null 2>&1 || true; } && \
	  echo "notebook filter installed: notebooks are staged without outputs (nbstripout)"; \
	else \
	  echo "not a git clone: no notebook filter installed"; \
	fi

# The pre-commit checks (.pre-commit-config.yaml) on every git commit in this clone.
hooks: setup
	$(BIN)/pre-commit install

demo: $(STAMP)
	$(BIN)/evalkit demo
	$(BIN)/evalkit demo --example homelessness-prevention
	$(BIN)/evalkit run $(SPEC)
	$(BIN)/evalkit run $(SPEC_HP)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -q

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

# The capture form for people who do not use notebooks: a web page (Voila) on 127.0.0.1 that
# saves into the learning log of $(SPEC)'s programme. Installs Voila (evalkit[capture]) if missing.
capture: $(STAMP)
	@$(BIN)/python -c "import voila" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[capture]"
	$(BIN)/evalkit reflect serve $(SPEC)

# Mutation testing (mutmut) of the statistics packages, each in a scratch copy against its own
# unit tests: the share of mutants killed per package (target 85%). make mutate PACKAGES=econ
PACKAGES ?= outcomes impact econ disclosure
mutate: $(STAMP)
	$(BIN)/python benchmarks/mutation_scores.py $(PACKAGES)

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
