"""A class of our own students: careful, partial, one bug each, and one who hands in notebook 08 alone.

Partial work must earn exactly the points of what was done, a single bug must cost only the cells
of the function that has it, and a correct ``train_step`` must earn its points with every other
notebook missing. Expected points come from the notebooks' metadata alone (which graded cells
belong to which function), never from a run of the grader.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT, assignments
from autograder.grade import GradeOptions, Limits, OutputOptions, RunOptions, grade_class
from lmtrain.notebook import cells_of, nbgrader_meta

CORPUS = Path(__file__).parent / "corpus"
LIMITS = Limits(notebook_timeout=900.0, cell_timeout=300.0, memory_gb=4.0)
# One wrong answer per notebook, each a bug of one function (the corpus says why it is wrong).
ONE_BUG = {
    "01_cross_entropy": ("cross_entropy", "sum_not_mean"),
    "02_sgd": ("SGD", None),
    "03_adamw": ("forward_flops", None),
    "04_lr_schedule": ("get_lr_cosine_schedule", None),
    "05_gradient_clipping": ("gradient_clipping", None),
    "06_get_batch": ("get_batch", None),
    "07_checkpointing": ("load_checkpoint", None),
    "08_train_lm": ("train_step", None),
}
pytestmark = pytest.mark.xdist_group("partial-work")


def _notebook(folder: str, name: str) -> dict:
    return json.loads((REPO_ROOT / folder / name / f"{name}.ipynb").read_text(encoding="utf-8"))


def _answers(name: str) -> dict[str, str]:
    return {c.grade_id: c.source for c in cells_of(_notebook("solutions", name)) if c.role == "answer"}


def _owner(grade_id: str, answers) -> str:
    """The answer (function) a graded cell tests: the longest answer id its grade_id starts with."""
    return max((a for a in answers if grade_id.startswith(a + "_")), key=len)


def _points_by_function(name: str) -> dict[str, float]:
    answers = _answers(name)
    points: dict[str, float] = {}
    for cell in cells_of(_notebook("solutions", name)):
        if cell.role == "graded":
            points[_owner(cell.grade_id, answers)] = points.get(_owner(cell.grade_id, answers), 0.0) + cell.points
    return points


def _submission(name: str, answers: dict[str, str]) -> str:
    release = _notebook("notebooks", name)
    for cell in release["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if cell.get("cell_type") == "code" and nbgrader_meta(cell).get("solution") and gid in answers:
            cell["source"] = answers[gid]
    return json.dumps(release)


def _wrong_answer(function: str, preferred: str | None) -> str:
    folder = CORPUS / function / "wrong"
    path = folder / f"{preferred}.py" if preferred else sorted(folder.glob("*.py"))[0]
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("class")
    expected: dict[tuple[str, str], float] = {}
    one_bug_functions = {}
    for name in assignments(REPO_ROOT):
        reference = _answers(name)
        points = _points_by_function(name)
        first = next(iter(reference))
        plan = {
            "careful": reference,
            # only the first task of every notebook done, the rest left as the stubs
            "partial": {first: reference[first]},
        }
        function, preferred = ONE_BUG[name]
        plan["onebug"] = {**reference, function: _wrong_answer(function, preferred)}
        one_bug_functions[name] = function
        for student, answers in plan.items():
            (subs / student).mkdir(exist_ok=True)
            (subs / student / f"{name}.ipynb").write_text(_submission(name, answers), encoding="utf-8")
        expected[("careful", name)] = sum(points.values())
        expected[("partial", name)] = points.get(first, 0.0)
    (subs / "only08").mkdir()
    (subs / "only08" / "08_train_lm.ipynb").write_text(_submission("08_train_lm", _answers("08_train_lm")), encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    results = grade_class(subs, out, options=GradeOptions(limits=LIMITS, isolate=os.geteuid() == 0),
                          run=RunOptions(jobs=2, progress=False), output=OutputOptions(db_url="none"))
    rows = {(r["student_id"], r["notebook"]): r for r in csv.DictReader((out / "grades.csv").open())}
    return {"rows": rows, "results": {(r.student_id, r.notebook): r for r in results}, "expected": expected,
            "one_bug": one_bug_functions}


@pytest.mark.parametrize("name", assignments(REPO_ROOT))
def test_careful_and_partial_work_earn_exactly_what_was_done(graded, name):
    for student in ("careful", "partial"):
        row = graded["rows"][(student, name)]
        assert row["status"] == "graded", row
        assert float(row["score"]) == graded["expected"][(student, name)], (student, name, row)


@pytest.mark.parametrize("name", assignments(REPO_ROOT))
def test_a_single_bug_costs_only_the_cells_of_its_function(graded, name):
    function = graded["one_bug"][name]
    answers = _answers(name)
    result = graded["results"][("onebug", name)]
    lost = [t.grade_id for t in result.tests if t.score < t.max_score]
    assert lost, f"the wrong {function} lost nothing in {name}"
    others = [gid for gid in lost if _owner(gid, answers) != function]
    assert not others, f"a bug in {function} also cost {others}"


def test_a_correct_train_step_earns_full_marks_with_every_other_notebook_missing(graded):
    rows = graded["rows"]
    assert float(rows[("only08", "08_train_lm")]["score"]) == float(rows[("only08", "08_train_lm")]["max_score"]) > 0
    assert all(rows[("only08", name)]["status"] == "missing" for name in assignments(REPO_ROOT) if name != "08_train_lm")
