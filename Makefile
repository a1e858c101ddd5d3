PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := dev,ja,hf,causal,explain

.PHONY: demo test lint bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[ja,explain]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/equilens demo

test: $(VENV)/.installed-dev browser
	$(BIN)/python -m pytest

# The report test opens report.html in Debian's headless Chromium. Installing it needs
# root; without it that test is skipped.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else \
			echo "chromium not installed and not root: the browser test will be skipped"; \
		fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_metrics.py

clean:
	rm -rf $(VENV) equilens-demo .pytest_cache
