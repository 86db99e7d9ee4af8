# Two commands on a fresh machine (Python 3.11 and the package registries):
#   make demo   - set up .venv and run `scratchcnn train` (digits_cnn on the bundled digits)
#   make test   - set up .venv, the test data and a browser, then run the whole suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin

FASHION_MNIST = /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test test-data test-browser bench docs clean

# pip, not uv/poetry: torch==2.13.0 then resolves to the CPU build (see README).
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/scratchcnn train

# Debian's dataset-fashion-mnist, for the tests that train on real Fashion-MNIST images.
# Where apt-get is missing the tests skip them (and fail under CI=true).
test-data:
	@if [ ! -f $(FASHION_MNIST) ] && command -v apt-get >/dev/null 2>&1; then \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; } || \
		echo "warning: could not install dataset-fashion-mnist"; \
	fi

# Debian's chromium and chromium-driver, for the visualizer's browser tests
# (tests/test_viz_browser.py). Without them those tests skip (and fail under CI=true).
test-browser:
	@if { ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; } && \
			command -v apt-get >/dev/null 2>&1; then \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } || \
		echo "warning: could not install chromium and chromium-driver"; \
	fi

test: setup test-data test-browser
	$(BIN)/python -m pytest

# The suite of issue #5 (benchmarks/README.md); results go in BENCHMARKS.md.
bench: setup
	$(BIN)/python benchmarks/suite.py

# The documentation site (mkdocs.yml), served at http://127.0.0.1:8000/ and rebuilt on edits.
docs: setup
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis src/*.egg-info
