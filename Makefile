# Every target sets up .venv first (once, or again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

.PHONY: lab lab-instructor test test-busy release grade train train-ddp bench clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make lab: JupyterLab on the student notebooks, set up for students (lab/README.md says how).
## make lab EDITION=zh: the Chinese edition (notebooks-zh/), with JupyterLab in Chinese.
## make lab-instructor: the repository with nbgrader's instructor tools (formgrader, Create Assignment);
## formgrader shows the class `make grade` graded, and is where written answers are graded by hand.
## LAB_ARGS: more flags for jupyter lab (e.g. --no-browser --port=8899).
## LAB_STATE: where the lab keeps what it writes (workspaces, settings changed in the lab);
## git ignores it, and the home folder's Jupyter settings are never read.
EDITION ?= en
LAB_ROOT_en := notebooks
LAB_ROOT_zh := notebooks-zh
LAB_STATE ?= .lab
# Jupyter refuses to start as root (containers, cloud VMs) unless told it may.
LAB_FLAGS = $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# $(call start_lab,PROFILE,ROOT,EDITION): lab/PROFILE's settings over lab/common's, the
# interface language of EDITION (lab/settings/EDITION), ROOT as the lab's top folder.
define start_lab
	JUPYTER_CONFIG_DIR=$(abspath $(LAB_STATE))/$(1)-$(3) JUPYTER_CONFIG_PATH=$(CURDIR)/lab/$(1):$(CURDIR)/lab/common \
		$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(2) --LabApp.app_settings_dir=$(CURDIR)/lab/settings/$(3) $(LAB_FLAGS)
endef

lab: $(STAMP)
	@test -n "$(LAB_ROOT_$(EDITION))" || { echo "make lab: unknown EDITION=$(EDITION); use EDITION=en (default) or EDITION=zh" >&2; exit 2; }
	@test -d "$(LAB_ROOT_$(EDITION))" || { echo "make lab: $(LAB_ROOT_$(EDITION))/ does not exist; run make release to generate it" >&2; exit 2; }
	$(call start_lab,student,$(LAB_ROOT_$(EDITION)),$(EDITION))

lab-instructor: $(STAMP)
	$(call start_lab,instructor,$(CURDIR),en)

## make check: run copies of the notebooks and print each graded cell's visible checks (NB=01 for
## one notebook, EDITION=zh for notebooks-zh/); the notebooks themselves are never written.
## make handin: check the notebooks against the release and zip them into handin.zip (EDITION=en|zh
## picks the edition where a notebook holds answers in both). Both also ship in the student repository.
## make student-repo DEST=dir: write the repository a class is given, a new git repository (instructors).
.PHONY: check handin student-repo
check: $(STAMP)
	@$(PY) -m lmtrain.check --edition $(EDITION) $(if $(NB),--notebook $(NB))

handin: $(STAMP)
	@$(PY) -m lmtrain.handin $(if $(filter command line environment,$(origin EDITION)),--edition $(EDITION))

student-repo: $(STAMP)
	@test -n "$(DEST)" || { echo "make student-repo: say where, e.g. make student-repo DEST=../cs336-training-student" >&2; exit 2; }
	$(PY) -m autograder student-repo $(DEST)

## make test: the whole suite (package tests, corpora, release checks, nbval of solutions/).
## --dist loadfile keeps each test file on one worker: the cells of one notebook (nbval runs them
## in one kernel) and the autograder tests (they share a graded class) stay together.
## LMTRAIN_PRESET=ci: nbval executes notebook 08's training run in seconds, not minutes.
## One thread per worker: with -n 2 on two cores, more threads only fight each other (seen: 20x slower corpus runs).
## ruff first: an unused import or an undefined name fails in a second, not after twenty minutes.
test: $(STAMP)
	$(VENV)/bin/ruff check --quiet .
	OMP_NUM_THREADS=1 LMTRAIN_PRESET=ci $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax $(PYTEST_ARGS)

## make test-busy: the grader's tests while `nproc` processes keep every core busy (so that the
## expected statuses must not depend on the machine's speed). BUSY_TESTS picks the test files.
BUSY_TESTS ?= tests/test_autograder.py tests/test_hostile.py tests/test_bounded_grader.py tests/test_sandbox_isolation.py
test-busy: $(STAMP)
	@burners=""; for i in $$(seq $$(nproc)); do $(PY) -c 'while True: pass' & burners="$$burners $$!"; done; \
	trap 'kill $$burners 2>/dev/null' EXIT INT TERM; \
	echo "test-busy: $$(nproc) CPU-burning processes:$$burners"; \
	start=$$(date +%s); \
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider $(BUSY_TESTS) $(PYTEST_ARGS); status=$$?; \
	echo "test-busy: $$(( $$(date +%s) - start )) s wall with every core busy"; exit $$status

## make release: regenerate notebooks/ and notebooks-zh/ from solutions/ (instructors). It refuses
## to overwrite a notebook that holds someone's answers or outputs; FORCE=1 overwrites it after
## keeping a copy under release-backups/<UTC time>/.
release: $(STAMP)
	$(PY) -m autograder release $(if $(FORCE),--force)

## make grade SUBMISSIONS=dir OUT=dir: grade a class (instructors) into OUT and into the gradebook formgrader
## shows (gradebook.db, autograded/); run it again after grading by hand to bring those points into OUT.
grade: $(STAMP)
	$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT) --formgrader

## make train PRESET=cpu PARTS=notebooks: train the small Transformer LM with your parts
## (PARTS=solutions for the reference answers, PARTS=builtin for PyTorch's)
train: $(STAMP)
	$(PY) -m lmtrain.train --preset $(or $(PRESET),cpu) --parts $(or $(PARTS),notebooks)

## make train-ddp NPROC=2: the same run with DistributedDataParallel on NPROC processes
train-ddp: $(STAMP)
	$(VENV)/bin/torchrun --standalone --nproc_per_node $(or $(NPROC),2) -m lmtrain.train \
		--preset $(or $(PRESET),cpu) --parts $(or $(PARTS),notebooks)

## make bench: speed and memory against PyTorch built-ins and stock nbgrader, ratios in one run each.
## STUDENTS sets the synthetic class size of the grading benchmark (stock nbgrader grades its first 4 students).
bench: $(STAMP)
	$(PY) benchmarks/student_functions.py
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/profile_step.py
	$(PY) benchmarks/baseline_gpt.py
	$(PY) benchmarks/time_to_quality.py
	$(PY) benchmarks/gpu_report.py
	$(PY) benchmarks/grade_class.py --students $(or $(STUDENTS),32) --jobs 2 --stock-students 4

## make mutation: plant small bugs in every reference answer, grade each (JOBS at once) and write
## tests/MUTATION.md: which ones the hidden tests miss. About 25 minutes on 2 busy cores.
.PHONY: mutation
mutation: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) tests/mutation.py --report tests/MUTATION.md --jobs $(JOBS)

clean-venv:
	rm -rf $(VENV)
