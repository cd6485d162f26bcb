# Quickstart: `make run` (set up .venv, run the bundled baseline) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed

.PHONY: run test fuzz lint schema golden bench screenshots clean

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools' note on every editable install ("Editable installation ... folders with the same name") is noise here
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev,cluster,sensitivity,notebooks,optimise]'
	@echo "compiling the simulated working day once (numba caches it; about 20 s)"
	$(BIN)/simsales run --replications 1 --workers 1 --no-progress > /dev/null
	touch $(READY)

run: $(READY)  ## simulate the bundled baseline and print its summary
	$(BIN)/simsales run

test: $(READY)  ## lint, the architecture contract, the whole test suite and the three notebooks, small (under 10 minutes on 2 cores)
	$(BIN)/ruff check simsales tests benchmarks docs
	$(BIN)/ruff format --check simsales tests benchmarks docs
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	SIMSALES_NOTEBOOK_REPLICATIONS=4 $(BIN)/python -m pytest -q tests --nbmake notebooks

fuzz: $(READY)  ## 10,000 mutated scenario files and --set values: each must load or be refused clearly (about 3 minutes; SEED=n for other cases)
	$(BIN)/python -m tests.fuzz_scenarios --cases 10000 --run-share 0.03 --seed $(or $(SEED),0)

lint: $(READY)  ## ruff, the architecture contract and mypy's type check (make test runs them too)
	$(BIN)/ruff check simsales tests benchmarks docs
	$(BIN)/ruff format --check simsales tests benchmarks docs
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

schema: $(READY)  ## regenerate scenarios/schema.json from the pydantic models
	$(BIN)/simsales schema > scenarios/schema.json

golden: $(READY)  ## rewrite tests/golden/ after a change meant to move numbers (commit it on its own, saying what moved)
	$(BIN)/python -m tests.golden_tables

screenshots: $(READY)  ## redraw the README's pictures (docs/img) from the bundled scenarios
	$(BIN)/python docs/screenshots.py

bench: $(READY)  ## speed and memory benchmark (not part of the tests)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find simsales -name '*.nbi' -o -name '*.nbc' | xargs rm -f  # numba's compiled cache
