# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
PIP_MINIMUM := pip>=25.1

.DEFAULT_GOAL := help
.PHONY: help install generate check-generated lint test demo bench contract-live emulator clean

help:
	@echo "make demo            offline tour: an MCP client drives siliconflow-images mcp --offline"
	@echo "make test            everything CI runs: check-generated, lint, pytest"
	@echo "make generate        regenerate generated/ from openapi/siliconflow.yaml"
	@echo "make check-generated fail if generated/ differs from what the spec gives"
	@echo "make lint            ruff, and mypy on the hand-written code"
	@echo "make bench           measure the speed and memory budgets (bench/results.md)"
	@echo "make contract-live   schemathesis against the real API (needs SILICONFLOW_API_KEY)"
	@echo "make emulator        run the local SiliconFlow emulator on 127.0.0.1:8765"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `pip install --group` needs pip 25.1. A .venv made some other way (an IDE, `uv venv`, an older
# Python's venv) may have an older pip or none at all, so this stamp checks whichever .venv is there.
$(VENV)/.pip: | $(BIN)/python
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade
	$(PIP) install "$(PIP_MINIMUM)"
	@touch $@

# One stamp per dependency group, so `make demo` does not wait for the dev tools. The groups
# (PEP 735) stay out of the published metadata; pip reads them from pyproject.toml.
$(VENV)/.runtime: pyproject.toml | $(VENV)/.pip
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/.pip
	$(PIP) install -e . --group dev
	@touch $(VENV)/.runtime $@

$(VENV)/.bench: pyproject.toml | $(VENV)/.pip
	$(PIP) install -e . --group bench
	@touch $(VENV)/.runtime $(VENV)/.dev $@

install: $(VENV)/.dev

generate: $(VENV)/.dev
	$(BIN)/python -m codegen

check-generated: $(VENV)/.dev
	$(BIN)/python -m codegen --check

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: check-generated lint
	$(BIN)/python -m pytest

demo: $(VENV)/.runtime
	$(BIN)/python -m siliconflow_images_mcp.demo

bench: $(VENV)/.bench
	$(BIN)/python -m bench

contract-live: $(VENV)/.dev
	$(BIN)/python -m pytest tests/contract/test_live.py -m live -p no:cacheprovider

emulator: $(VENV)/.runtime
	$(BIN)/siliconflow-emulator --host 127.0.0.1 --port 8765

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis dist build
	find . \( -path ./.git -o -path ./$(VENV) \) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
