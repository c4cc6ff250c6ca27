"""Blank notebooks graded once per class (autograder.reuse): exactly the notebooks that run nothing but
the release's code share a grade, and it is the grade a full run of each would give."""

from __future__ import annotations

import json
from dataclasses import asdict
from types import SimpleNamespace

import pytest

from _support import LIMITS, NB, honest, notebook, read_grades, release, write_notebook
from autograder import pipeline
from autograder.grade import GradeOptions, OutputOptions, RunOptions, grade_class, load_course
from autograder.pipeline import grade_one
from autograder.plan import plan_submission
from autograder.reuse import ReleaseGrades, reads_other_notebooks
from autograder.scoring import NotebookResult, Status
from lmtrain.notebook import nbgrader_meta

TRAIN = "08_train_lm"  # the notebook that trains with the student's parts from the other notebooks
OPTIONS = GradeOptions(limits=LIMITS)


@pytest.fixture(scope="module")
def course():
    return load_course(names=[NB, TRAIN])


def _code(*cells: str) -> SimpleNamespace:
    """A stand-in source notebook of these code cells (all reads_other_notebooks looks at)."""
    return SimpleNamespace(source={"cells": [{"cell_type": "code", "source": text} for text in cells]})


def test_only_the_training_notebook_reads_other_notebooks():
    for name, source in load_course().items():
        assert reads_other_notebooks(source) == (name == TRAIN), name


@pytest.mark.parametrize("code, reads", [
    ("from lmtrain.checking import graded, check_close", False),
    ("import torch\nfrom lmtrain.testing import substitute", False),
    ("from lmtrain.loader import load_answers", True),
    ("from lmtrain import loader", True),
    ("import lmtrain.parts", True),  # through the package: parts imports the loader
    ("def f():\n    from lmtrain.train import train\n    return train", True),  # an import inside a function
    ("data = open('../01_cross_entropy/01_cross_entropy.ipynb').read()", True),  # a notebook read by hand
    ("def broken(:\n", True),  # unreadable code: assumed to read them
])
def test_reading_other_notebooks_is_found_through_the_course_package(code, reads):
    assert reads_other_notebooks(_code("x = 1", code)) is reads


def _no_staging():
    raise AssertionError("a notebook that reads no other notebook must not need them for its key")


def _key(course, nb: dict, name: str = NB, staged=_no_staging):
    source = course[name]
    return ReleaseGrades().key(source, plan_submission(source, nb), staged)


def test_only_release_identical_plans_share_a_grade(course):
    blank = _key(course, release())
    assert blank is not None
    assert _key(course, release()) == blank

    def reword(nb):  # text, outputs and metadata outside the graded cells do not run
        markdown = next(cell for cell in nb["cells"] if cell["cell_type"] == "markdown")
        markdown["source"] = "my notes"
        nb["metadata"]["extra"] = 1

    assert _key(course, notebook(edit=reword)) == blank

    def extra_cell(nb):
        nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [],
                               "execution_count": None})

    def retag(nb):
        test = next(cell for cell in nb["cells"] if nbgrader_meta(cell).get("grade"))
        nbgrader_meta(test)["points"] = 100

    for changed in (honest(), notebook(edit=extra_cell), notebook(edit=retag)):
        assert _key(course, changed) is None


def test_a_notebook_that_reads_the_others_shares_only_with_the_same_others(course):
    blank = release(TRAIN)
    mine = {NB: json.dumps(honest()).encode(), TRAIN: json.dumps(blank).encode()}
    theirs = {NB: json.dumps(release()).encode(), TRAIN: json.dumps(blank).encode()}
    assert _key(course, blank, TRAIN, lambda: mine) == _key(course, blank, TRAIN, lambda: dict(mine))
    assert _key(course, blank, TRAIN, lambda: mine) != _key(course, blank, TRAIN, lambda: theirs)


def test_only_a_notebook_graded_to_the_end_is_kept():
    grades = ReleaseGrades()
    grades.put("k", NotebookResult("ann", NB, 0.0, 5.0, Status.TIMEOUT, "ran past its time"))
    assert grades.get("k", "bob") is None
    grades.put("k", NotebookResult("ann", NB, 0.0, 5.0, Status.GRADED))
    shared = grades.get("k", "bob")
    assert (shared.student_id, shared.status) == ("bob", Status.GRADED)
    shared.tests.append("changed")  # a copy: one student's result never changes another's
    assert grades.get("k", "cat").tests == []


def _counting_runs(monkeypatch) -> list:
    runs = []
    real = pipeline._run_and_score

    def counting(*args, **kwargs):
        runs.append(args[2])  # the student
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_run_and_score", counting)
    return runs


def test_a_shared_grade_is_the_grade_of_a_full_run(course, monkeypatch):
    runs = _counting_runs(monkeypatch)
    data = {NB: json.dumps(release()).encode()}
    grades = ReleaseGrades()
    first = grade_one(course, NB, "ann", data, options=OPTIONS, reuse=grades)
    second = grade_one(course, NB, "bob", data, options=OPTIONS, reuse=grades)
    alone = grade_one(course, NB, "cat", data, options=OPTIONS)
    assert runs == ["ann", "cat"]
    assert first.status == Status.GRADED and first.score == 0 and first.unanswered
    assert second.student_id == "bob"
    for result in (second, alone):
        assert {**asdict(result), "student_id": "ann"} == asdict(first)


def test_a_class_grades_each_blank_notebook_once(course, tmp_path, monkeypatch):
    runs = _counting_runs(monkeypatch)
    subs = tmp_path / "subs"
    for student in ("ann", "bob", "cat"):
        write_notebook(subs / student / f"{NB}.ipynb", release())
    write_notebook(subs / "dan" / f"{NB}.ipynb", honest())
    grade_class(subs, tmp_path / "out", options=OPTIONS, run=RunOptions(names=[NB], progress=False),
                output=OutputOptions(db_url="none"))
    assert sorted(runs) in (["ann", "dan"], ["bob", "dan"], ["cat", "dan"])
    grades = read_grades(tmp_path / "out")
    assert {(float(grades[(s, NB)]["score"]), grades[(s, NB)]["status"]) for s in ("ann", "bob", "cat")} == {(0.0, "graded")}
    assert float(grades[("dan", NB)]["score"]) == course[NB].max_score
