# The README's two commands. Each creates .venv itself when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The train extra (requirements-train.lock): what the test suite needs beyond the editor's install.
TRAIN_STAMP := $(VENV)/.train-stamp
# The test and lint tools (requirements-dev.lock): `make test` and `make lint` only, never `make run`.
DEV_STAMP := $(VENV)/.dev-stamp
# `make run INSTALL_SYSTEM_LIBS=1`: as root, apt-get installs missing Qt system libraries without asking
# (otherwise it asks on a terminal, or only prints the command; app/syslibs.py).
INSTALL_SYSTEM_LIBS ?=
# pipefail so that filtering pip's noise never hides its exit code
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
QUIET_PIP := 2>&1 | { grep -v '^WARNING: Location' || true; }

.PHONY: run test lint train-deps dev-deps clean-venv

$(STAMP): pyproject.toml setup.py requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# CPU build of torch from this machine's disk (a plain `torch` would pull a multi-GB CUDA build).
	$(PY) -m pip install --quiet torch==2.13.0 $(QUIET_PIP)
	$(PY) -m pip install --quiet -r requirements.lock $(QUIET_PIP)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . $(QUIET_PIP)
	touch $(STAMP)

# Training-only dependencies (tensorboard, matplotlib), pinned; constrained by requirements.lock so that
# nothing the editor uses changes version.
$(TRAIN_STAMP): $(STAMP) requirements-train.lock
	$(PY) -m pip install --quiet -c requirements.lock -r requirements-train.lock $(QUIET_PIP)
	touch $(TRAIN_STAMP)

train-deps: $(TRAIN_STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PY) -m pip install --quiet -c requirements.lock -r requirements-dev.lock $(QUIET_PIP)
	touch $(DEV_STAMP)

dev-deps: $(DEV_STAMP)

run: $(STAMP)
	$(PY) -m app.launch $(if $(INSTALL_SYSTEM_LIBS),--install-system-libs)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(TRAIN_STAMP) $(DEV_STAMP) lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

clean-venv:
	rm -rf $(VENV)
