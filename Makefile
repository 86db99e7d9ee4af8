# Two commands on a fresh machine (Python 3.11 and the package registries):
#   make demo   - set up .venv and train a small CNN on the bundled 8x8 digits
#   make test   - set up .venv with the test dependencies and run the whole suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: setup demo test bench clean

# pip, not uv/poetry: torch==2.13.0 then resolves to the CPU build (see README).
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/python examples/train_digits.py

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/conv_vs_torch.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis src/*.egg-info
