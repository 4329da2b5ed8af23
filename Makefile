# Two commands on a fresh machine: `make book` and `make test`.
# Each creates the virtual environment .venv on first use (later runs reuse it).
# `make help` lists the rest.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Extra arguments for pip, e.g. a CPU-only PyTorch index on a Linux machine
# without a GPU:  make book PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_ARGS ?=
# pytest-xdist workers; the chapters are executed in parallel.
JOBS ?= auto

CHAPTERS_MD    := $(wildcard chapters/*.md)
CHAPTERS_IPYNB := $(CHAPTERS_MD:.md=.ipynb)

.DEFAULT_GOAL := help
.PHONY: help book page test lab sync format budgets benchmark clean clean-all

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The environment is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_ARGS) -e '.[book,test]'
	touch $@

$(VENV)/.installed-lab: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet $(PIP_ARGS) -e '.[lab]'
	@# Open the chapters' .md files as notebooks on a double click, in this environment only.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' \
		> $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

book: $(VENV)/.installed  ## build the book into _build/html (warnings are errors; unchanged chapters come from the cache)
	$(BIN)/jupyter-book build --warningiserror --keep-going .
	@echo "Open _build/html/index.html"

page: $(VENV)/.installed  ## build one chapter alone, as the book would: make page CHAPTER=chapters/tuning.md
	$(BIN)/python scripts/build_page.py $(CHAPTER)

# Chapters run side by side under xdist; OpenMP threads that spin while they
# wait (the default) then steal each other's cores and slow tiny models tenfold.
# Passive waiting changes no result, only the waiting.
test: $(VENV)/.installed  ## run the unit tests and execute every chapter
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -n $(JOBS) --nbmake --nbmake-timeout=900 tests chapters

lab: $(VENV)/.installed-lab  ## open the chapters in JupyterLab
	$(BIN)/jupyter lab chapters

sync: $(VENV)/.installed  ## regenerate each chapter's .ipynb from its .md (the source of truth)
	$(BIN)/python scripts/sync_chapters.py $(CHAPTERS_MD)

format: $(VENV)/.installed  ## format and lint mlcourse, the scripts, the tests and every chapter's code (ruff)
	$(BIN)/python scripts/format_code.py

budgets: $(VENV)/.installed  ## run each chapter alone and report its run time and peak memory
	$(BIN)/python scripts/measure_chapters.py $(CHAPTERS_IPYNB)

benchmark: $(VENV)/.installed  ## measure the overhead of mlcourse's fit against the bare training loop
	$(BIN)/python scripts/benchmark_fit.py

clean:  ## remove the built book and its execution cache
	rm -rf _build

clean-all: clean  ## also remove the virtual environment
	rm -rf $(VENV)
