# Every target sets up .venv first (once, or again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

.PHONY: lab test release grade train bench clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make lab: JupyterLab on the student notebooks
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## make test: the whole suite (package tests, corpora, release checks, nbval of solutions/).
## --dist loadfile keeps the cells of one notebook on one worker: nbval runs them in one kernel.
## One thread per worker: with -n 2 on two cores, more threads only fight each other (seen: 20x slower corpus runs).
test: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax $(PYTEST_ARGS)

## make release: regenerate notebooks/ from solutions/ (instructors)
release: $(STAMP)
	$(PY) -m autograder release

## make grade SUBMISSIONS=dir OUT=dir: grade a class (instructors)
grade: $(STAMP)
	$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT)

## make train PRESET=cpu: train the small Transformer LM from the command line
train: $(STAMP)
	$(PY) -m lmtrain.train --preset $(or $(PRESET),cpu)

## make bench: speed and memory against PyTorch built-ins
bench: $(STAMP)
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done

clean-venv:
	rm -rf $(VENV)
