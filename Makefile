# jupyter_track developer tasks. Needs only `make` and `python3` (>= 3.10); everything else goes into .venv/.
#
#   make setup   create/refresh .venv with the package (editable) + the test extra (every optional extra) + torch
#                + the frameworks the integrations are tested with (the integrations-test extra, on that torch)
#   make start   setup, then open JupyterLab on notebooks/quickstart.ipynb (LAB_ARGS="--port=9999 --no-browser")
#   make demo    setup, then run notebooks/quickstart.ipynb headless and list the runs it recorded
#   make test    setup + apt packages the tests need (APT_PACKAGES), then pytest (PYTEST_ARGS="...")
#   make bench   install the bench extra, run benchmarks/bench_logging.py
#   make bench-wide  the write path at any width, every row with its floor and ratio: memory and latency
#                (bench_memory.py), storage and reads (bench_storage.py), the live panel (bench_panel.py); ~20 min
#   make lint    ruff check + mypy on jupyter_track (dev extra; the integrations are checked against their frameworks)
#   make clean   remove .venv, caches and build outputs (never the run store)
#
# Every target is idempotent: the venv is reused, and an extra is reinstalled only when pyproject.toml or
# labextension/package.json changed since it was last installed (a stamp file in .venv/ records that).
# The JupyterLab extension (TypeScript in labextension/) is built by that install (node >= 18 needed; jlpm comes
# with jupyterlab) and rebuilt by `make setup` when one of its sources changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_ARGS ?=
# arguments for every bench-wide script, e.g. `make bench-wide BENCH_ARGS="--repeats 1"` (one process per row)
BENCH_ARGS ?=
# Debian packages the tests need (installed with apt-get when missing and running as root): the UI tests'
# browser and the PostgreSQL server the store tests start (tests/postgres.py)
APT_PACKAGES ?= chromium postgresql
NOTEBOOK ?= notebooks/quickstart.ipynb
# torch for the tests that need it (they skip without it); the package does not depend on torch. This pin is the
# CPU build in these machines' local wheel folder: a bare `torch` from PyPI is a CUDA build of several GB.
# `make setup TORCH=` leaves torch out.
TORCH ?= torch==2.13.0
LAB_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_PROGRESS_BAR := off
export DEBIAN_FRONTEND := noninteractive

.PHONY: help setup start demo test bench bench-wide lint clean apt-deps labextension-link

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# -- the virtual environment ------------------------------------------------------------------------------
# Created once; on Debian without python3-venv (no ensurepip) it installs that package when it can.
$(PY):
	@if ! $(PYTHON) -m venv $(VENV) 2>/tmp/jt-venv-error.$$$$; then \
	  cat /tmp/jt-venv-error.$$$$ >&2; rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    pyver=$$($(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'); \
	    echo "== installing python$$pyver-venv with apt-get"; \
	    apt-get update -qq && (apt-get install -y -qq python$$pyver-venv || apt-get install -y -qq python3-venv); \
	    $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "error: '$(PYTHON) -m venv' failed; install the venv module (Debian/Ubuntu: python3-venv)" >&2; \
	    exit 1; \
	  fi; \
	fi; rm -f /tmp/jt-venv-error.$$$$
	@test -x $(PY)

# One stamp per extra: `pip install -e .[extra]` runs again only when the project metadata changed.
# (The dev link below is removed first: pip would otherwise replace the built files through it.)
$(VENV)/.installed-%: pyproject.toml labextension/package.json | $(PY)
	@if [ -L $(LABEXT_LINK) ]; then rm $(LABEXT_LINK); fi
	$(PIP) install -e ".[$*]"
	@touch $@

# -- the JupyterLab extension -----------------------------------------------------------------------------
# The editable install copies the built extension into the venv once; for development it is rebuilt here when a
# source changed and the venv's copy is replaced by a link to the build (what `jupyter labextension develop`
# does), so a reload of JupyterLab shows the latest build.
# (the compare panel bundles the compare widget's own view: jupyter_track/widgets/static/compare.{js,css}, and
# the chart axes it imports: chart_core.js)
# (every .ts under src/, subfolders included: the detail panel's tabs live in src/detail/)
LABEXT_SRC := $(shell find labextension/src -name '*.ts') $(wildcard labextension/style/* labextension/schema/*.json) \
	jupyter_track/widgets/static/compare.js jupyter_track/widgets/static/compare.css jupyter_track/widgets/static/chart_core.js \
	labextension/package.json labextension/tsconfig.json
LABEXT_OUT := jupyter_track/labextension/package.json
LABEXT_LINK := $(VENV)/share/jupyter/labextensions/jupyter-track
JLPM := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CURDIR)/$(VENV)/bin/jlpm

$(LABEXT_OUT): $(LABEXT_SRC) | $(VENV)/.installed-test
	cd labextension && $(JLPM) install && $(JLPM) build
	@touch $@

labextension-link: $(LABEXT_OUT)
	@if [ ! -L $(LABEXT_LINK) ]; then \
	  rm -rf $(LABEXT_LINK); mkdir -p $(dir $(LABEXT_LINK)); \
	  ln -s $(CURDIR)/jupyter_track/labextension $(LABEXT_LINK); fi

$(VENV)/.installed-torch: Makefile | $(PY)
	$(if $(TORCH),$(PIP) install "$(TORCH)",@echo "== TORCH is empty: the torch tests will skip")
	@touch $@

# Lightning, transformers and Keras (on its torch backend) need torch: installed after it, they take the CPU build
# already there instead of pulling a CUDA one. Without TORCH they are left out and their tests skip.
$(VENV)/.installed-integrations-test: | $(VENV)/.installed-torch
INTEGRATIONS := $(if $(TORCH),$(VENV)/.installed-integrations-test)

setup: $(VENV)/.installed-test $(VENV)/.installed-torch $(INTEGRATIONS) labextension-link

# -- main job ---------------------------------------------------------------------------------------------
start: setup
	@$(PY) -c 'from jupyter_track import settings; \
	  print("== runs are stored in", settings.store_dir(), "(set JUPYTER_TRACK_DIR to change it)")'
	@echo "== JupyterLab with $(NOTEBOOK): run its cells; the Runs sidebar is the chart icon on the left. Ctrl-C stops it."
	$(VENV)/bin/jupyter lab $(NOTEBOOK) $(LAB_ARGS) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# the quickstart without a browser: executes the notebook and lists the runs it recorded
demo: setup
	$(PY) scripts/run_notebook.py $(NOTEBOOK) --output $(NOTEBOOK:.ipynb=.out.ipynb)
	@echo "executed notebook with outputs: $(NOTEBOOK:.ipynb=.out.ipynb)"
	@echo "$$ jupyter-track ls quickstart"
	@$(VENV)/bin/jupyter-track ls quickstart

# -- tests ------------------------------------------------------------------------------------------------
apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "== apt-get install$$missing"; \
	  apt-get update && apt-get install -y $$missing; \
	else \
	  echo "warning: missing Debian packages:$$missing (install them as root; tests that need them will fail)" >&2; \
	fi

# pytest exit status 5 (no tests collected) fails like any other non-zero status; it is named to make it clear.
test: setup apt-deps
	@rc=0; $(PY) -m pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc = 5 ]; then echo "error: pytest collected no tests (exit status 5)" >&2; fi; \
	exit $$rc

# -- benchmarks and lint ----------------------------------------------------------------------------------
# Fresh processes import jupyter_track from its bytecode, as an installed package does (pip writes it at install;
# this editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile every module in every process: +20 ms init())
bench: $(VENV)/.installed-bench
	$(PY) -m compileall -q jupyter_track
	$(PY) benchmarks/bench_logging.py

bench-wide: $(VENV)/.installed-test
	$(PY) -m compileall -q jupyter_track
	$(PY) benchmarks/bench_memory.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_storage.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_panel.py $(BENCH_ARGS)

lint: $(VENV)/.installed-dev $(INTEGRATIONS)
	@$(PY) -c 'import ruff, mypy' 2>/dev/null || $(PIP) install ruff mypy
	@rc=0; \
	echo "$$ ruff check jupyter_track"; $(PY) -m ruff check jupyter_track || rc=1; \
	echo "$$ mypy (strict, see [tool.mypy])"; $(PY) -m mypy || rc=1; \
	exit $$rc

# -- cleanup ----------------------------------------------------------------------------------------------
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
	rm -rf jupyter_track/labextension labextension/lib labextension/node_modules \
	  labextension/tsconfig.tsbuildinfo
	rm -f notebooks/*.out.ipynb
	find . -path ./labextension/node_modules -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
