# Two commands on a fresh machine (Python 3.11 and the package registries):
#   make demo   - set up .venv with the runtime dependencies only (no PyTorch) and run
#                 `scratchcnn train` (digits_cnn on the bundled digits)
#   make test   - add the dev extra (PyTorch, pytest, ...) to the same .venv, the test data
#                 and a browser, then run the whole suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin

FASHION_MNIST = /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test test-data test-browser bench docs clean

# Two stamps, one per layer of dependencies: .runtime (the package and what it needs to
# train and predict) and .dev (the dev extra on top). .dev depends on .runtime, so demo
# then test adds only the extra, test then demo installs nothing, and an edit of
# pyproject.toml redoes both layers in order.
# pip, not uv/poetry: torch==2.13.0 then resolves to the CPU build (see README).
$(BIN)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.dev: $(BIN)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Everything (the dev extra): what bench, docs and the tests need.
setup: $(BIN)/.dev

demo: $(BIN)/.runtime
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

test: $(BIN)/.dev test-data test-browser
	$(BIN)/python -m pytest

# The suite of issue #5 (benchmarks/README.md); results go in BENCHMARKS.md.
bench: setup
	$(BIN)/python benchmarks/suite.py

# The documentation site (mkdocs.yml), served at http://127.0.0.1:8000/ and rebuilt on edits.
docs: setup
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis src/*.egg-info
