# Every target sets up .venv first (once, or again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

.PHONY: lab test release grade train train-ddp bench clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make lab: JupyterLab on the student notebooks
# Jupyter refuses to start as root (containers, cloud VMs) unless told it may.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

## make test: the whole suite (package tests, corpora, release checks, nbval of solutions/).
## --dist loadfile keeps each test file on one worker: the cells of one notebook (nbval runs them
## in one kernel) and the autograder tests (they share a graded class) stay together.
## LMTRAIN_PRESET=ci: nbval executes notebook 08's training run in seconds, not minutes.
## One thread per worker: with -n 2 on two cores, more threads only fight each other (seen: 20x slower corpus runs).
test: $(STAMP)
	OMP_NUM_THREADS=1 LMTRAIN_PRESET=ci $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax $(PYTEST_ARGS)

## make release: regenerate notebooks/ from solutions/ (instructors)
release: $(STAMP)
	$(PY) -m autograder release

## make grade SUBMISSIONS=dir OUT=dir: grade a class (instructors)
grade: $(STAMP)
	$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT)

## make train PRESET=cpu PARTS=notebooks: train the small Transformer LM with your parts
## (PARTS=solutions for the reference answers, PARTS=builtin for PyTorch's)
train: $(STAMP)
	$(PY) -m lmtrain.train --preset $(or $(PRESET),cpu) --parts $(or $(PARTS),notebooks)

## make train-ddp NPROC=2: the same run with DistributedDataParallel on NPROC processes
train-ddp: $(STAMP)
	$(VENV)/bin/torchrun --standalone --nproc_per_node $(or $(NPROC),2) -m lmtrain.train \
		--preset $(or $(PRESET),cpu) --parts $(or $(PARTS),notebooks)

## make bench: speed and memory against PyTorch built-ins and stock nbgrader, ratios in one run each.
## STUDENTS sets the synthetic class size of the grading benchmark (stock nbgrader needs ~4 s a notebook).
bench: $(STAMP)
	$(PY) benchmarks/student_functions.py
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/gpu_report.py
	$(PY) benchmarks/grade_class.py --students $(or $(STUDENTS),4)

clean-venv:
	rm -rf $(VENV)
