# wrk-ansible: two entry points that work on a fresh Debian 12 machine (Python 3.11, make, root).
#   make demo   create .venv, install wrk, run the main job on the built-in localhost default
#   make test   install everything the tests need, then run the whole suite
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help demo test venv lint lint-ansible molecule typecheck unit system-deps bench clean

help:
	@echo "make demo   set up .venv and run the main job on localhost"
	@echo "make test   set up everything the tests need and run every test"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "wrk needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# Byte-compile the package: with PYTHONDONTWRITEBYTECODE set (as on CI) every run would
	@# compile it again (40 ms of a 0.2 s gate). Stale files are recompiled in memory.
	$(BIN)/python -m compileall -q wrk_ansible
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	@./scripts/demo.sh

system-deps:
	@./scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check wrk_ansible tests plugins benchmarks
	$(BIN)/ruff format --check wrk_ansible tests plugins benchmarks

# ansible-lint (production profile, offline) and the role's molecule scenarios; both look up
# ansible-config etc. on PATH, hence the venv first on it. ansible-lint checks the role's syntax
# through a temporary playbook outside playbooks/, so it finds the checkout as wrkansible.wrk
# only through ANSIBLE_COLLECTIONS_PATH (ansible.cfg sets none: docs/collection.md).
lint-ansible: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/playbooks/collections" \
	  $(BIN)/ansible-lint --offline

molecule: $(STAMP)
	cd roles/wrk_readiness && for s in default impossible schedule; do \
	  PATH="$(CURDIR)/$(BIN):$$PATH" $(CURDIR)/$(BIN)/molecule test -s $$s || exit 1; done

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests

# pytest last, so its summary is the closing line of the run
test: $(STAMP) system-deps lint lint-ansible typecheck molecule unit

# Readiness over 1, 4, 16 and 32 loopback sshd hosts vs ansible ping/setup and the bare
# playbook, then the core figures (--help, fresh gate, validate files/s, peak RSS, snapshot
# key), then wrk report over 1,200 items vs validate, then 5,000 issues vs 1,200 WRK files per
# item (validate, report). Each runs even when one before missed a target; the target fails
# at the end if any missed one. Not part of make test.
BENCHMARKS := readiness core report issues
bench: $(STAMP) system-deps
	$(BIN)/python -m compileall -q wrk_ansible
	@rc=0; for name in $(BENCHMARKS); do \
		echo "== benchmarks/$$name.py"; $(BIN)/python benchmarks/$$name.py || rc=1; \
	done; exit $$rc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
