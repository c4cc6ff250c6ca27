"""make handin: one zip the grader takes as it is, written only when every notebook is gradable."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from _support import CORPUS, submission_with_answer
from autograder.course import REPO_ROOT
from lmtrain.handin import plan_handin
from lmtrain.manifest import EDITIONS, load_manifest
from lmtrain.notebook import cell_source, nbgrader_meta

NAMES = [manifest.name for manifest in load_manifest()]
NB01 = "01_cross_entropy"


@pytest.fixture
def root(tmp_path):
    """A student's workbook: both editions as released."""
    for folder in EDITIONS.values():
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    return tmp_path


def _path(root, name, edition="en"):
    return root / EDITIONS[edition] / name / f"{name}.ipynb"


def _answer(root, edition="en"):
    """Notebook 01 of ``edition`` with the reference cross_entropy, perplexity left unanswered."""
    source = json.loads((REPO_ROOT / "solutions" / NB01 / f"{NB01}.ipynb").read_text(encoding="utf-8"))
    answer = next(cell_source(c) for c in source["cells"] if nbgrader_meta(c).get("grade_id") == "cross_entropy")
    notebook = json.loads(_path(root, NB01, edition).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "cross_entropy":
            cell["source"] = answer
    _path(root, NB01, edition).write_text(json.dumps(notebook), encoding="utf-8")


def _handin(root, *args):
    return subprocess.run([sys.executable, "-m", "lmtrain.handin", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=120)


def test_untouched_workbook_zips_every_notebook_and_lists_what_is_unanswered(root):
    _answer(root)
    run = _handin(root)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(root / "handin.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.ipynb" for name in NAMES)
        assert archive.read(f"{NB01}.ipynb") == _path(root, NB01).read_bytes()
    assert "File > Save All" in run.stdout
    assert "not answered yet: Task 1.2: `perplexity`" in run.stdout


def test_a_previous_handin_is_kept(root):
    assert _handin(root).returncode == 0
    first = (root / "handin.zip").read_bytes()
    assert _handin(root).returncode == 0
    kept = sorted(root.glob("handin-*.zip"))
    assert len(kept) == 1 and kept[0].read_bytes() == first
    assert _handin(root).returncode == 0
    assert len(list(root.glob("handin-*.zip"))) == 2


def test_answers_in_both_editions_ask_which(root):
    _answer(root, "en")
    _answer(root, "zh")
    run = _handin(root)
    assert run.returncode == 1 and not (root / "handin.zip").exists()
    assert NB01 in run.stderr and "EDITION=en" in run.stderr and "EDITION=zh" in run.stderr
    plan = plan_handin(root, "zh")
    assert not plan.problems
    assert {c.manifest.name: c.edition for c in plan.choices}[NB01] == "zh"


def test_each_notebook_is_taken_from_the_edition_that_holds_its_answers(root):
    _answer(root, "zh")
    plan = plan_handin(root)
    assert not plan.problems
    assert {c.manifest.name: c.edition for c in plan.choices}[NB01] == "zh"


def _edit_cells(root, change):
    path = _path(root, NB01)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook["cells"])
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _graded_index(cells, grade_id):
    return next(i for i, c in enumerate(cells) if nbgrader_meta(c).get("grade_id") == grade_id)


@pytest.mark.parametrize("change, said", [
    (lambda cells: cells.pop(_graded_index(cells, "cross_entropy_stability")), "deleted: cross_entropy_stability"),
    (lambda cells: cells.insert(3, json.loads(json.dumps(cells[_graded_index(cells, "cross_entropy")]))),
     "copied (more than one cell with the id): cross_entropy"),
    (lambda cells: cells.insert(_graded_index(cells, "cross_entropy_values"),
                                cells.pop(_graded_index(cells, "cross_entropy_gradient"))), "re-ordered"),
])
def test_changed_cells_stop_the_handin(root, change, said):
    _edit_cells(root, change)
    run = _handin(root)
    assert run.returncode == 1, run.stdout
    assert said in run.stderr and "nothing was written" in run.stderr
    assert not (root / "handin.zip").exists()


def test_invalid_json_and_a_renamed_notebook_are_refused(root):
    _path(root, NB01).write_text('{"cells": [', encoding="utf-8")
    run = _handin(root)
    assert run.returncode == 1 and "is not valid JSON" in run.stderr
    for edition in EDITIONS:
        _path(root, NB01, edition).rename(_path(root, NB01, edition).with_name("mine.ipynb"))
    run = _handin(root)
    assert run.returncode == 1 and "is missing" in run.stderr and "released name" in run.stderr
    assert "mine.ipynb is not handed in" in run.stdout


@pytest.mark.slow
def test_the_zip_grades_as_the_notebooks_themselves(root, tmp_path_factory):
    """python -m autograder grade gives a zip from make handin the scores of the same notebooks in a folder."""
    wrong = (CORPUS / "cross_entropy" / "wrong" / "sum_not_mean.py").read_text(encoding="utf-8")
    _path(root, NB01).write_bytes(submission_with_answer("cross_entropy", wrong, unanswered=("perplexity",)))
    schedule = (REPO_ROOT / "solutions" / "04_lr_schedule" / "04_lr_schedule.ipynb")
    answer = next(cell_source(c) for c in json.loads(schedule.read_text(encoding="utf-8"))["cells"]
                  if nbgrader_meta(c).get("grade_id") == "get_lr_cosine_schedule")
    _path(root, "04_lr_schedule").write_bytes(submission_with_answer("get_lr_cosine_schedule", answer))
    assert _handin(root).returncode == 0
    as_zip, as_folder = tmp_path_factory.mktemp("zipped"), tmp_path_factory.mktemp("folder")
    shutil.copy(root / "handin.zip", as_zip / "student.zip")
    (as_folder / "student").mkdir()
    for name in NAMES:
        shutil.copy(_path(root, name), as_folder / "student" / f"{name}.ipynb")
    rows = {}
    for label, subs in (("zip", as_zip), ("folder", as_folder)):
        out = tmp_path_factory.mktemp(f"out-{label}")
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                              "--no-isolation", "--no-progress", "--db-url", "none"],
                             capture_output=True, text=True, timeout=1200, cwd=REPO_ROOT)
        assert run.returncode == 0, run.stderr
        with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
            rows[label] = sorted(tuple(row.items()) for row in csv.DictReader(handle))
    assert rows["zip"] == rows["folder"]
    scores = {dict(row)["notebook"]: float(dict(row)["score"]) for row in rows["zip"]}
    points = {manifest.name: manifest.points for manifest in load_manifest()}
    assert scores["04_lr_schedule"] == points["04_lr_schedule"] and scores[NB01] < points[NB01], scores
