"""Exact re-grading: a change to anything a grade depends on re-grades, no change re-grades nothing.

Runs the grader of a *copy* of the repository, so the test can change a
tolerance or a scoring rule in the grader's own code, as an instructor would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT
from lmtrain.notebook import nbgrader_meta, read_cells

NB = "01_cross_entropy"
# A cross-entropy computed in float16: off by ~1e-3, so whether it passes depends on check_close's tolerance.
HALF_PRECISION_CE = '''def cross_entropy(inputs, targets):
    x = inputs.half().float()
    row_max = x.max(dim=-1, keepdim=True).values
    log_z = (x - row_max).exp().sum(dim=-1).log() + row_max.squeeze(-1)
    return (log_z - x.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
'''


def _answers(name):
    return {cell.grade_id: cell.source for cell in read_cells(REPO_ROOT / "solutions" / name / f"{name}.ipynb")
            if cell.role == "answer"}


def _submission(answers: dict) -> str:
    nb = json.loads((REPO_ROOT / "notebooks" / NB / f"{NB}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return json.dumps(nb)


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("course") / "repo"
    for part in ("autograder", "src", "solutions", "notebooks", "data"):
        shutil.copytree(REPO_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subs = root.parent / "submissions"
    reference = _answers(NB)
    for student, answers in {"careful": reference, "half": {**reference, "cross_entropy": HALF_PRECISION_CE}}.items():
        (subs / student).mkdir(parents=True)
        (subs / student / f"{NB}.ipynb").write_text(_submission(answers), encoding="utf-8")
    return root


def _grade(root: Path) -> tuple[int, dict]:
    """Grade the class with the copy's own grader; (pairs graded this time, {student: score})."""
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'src'}", "OMP_NUM_THREADS": "1"}
    out = root.parent / "out"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(root.parent / "submissions"), "--out", str(out),
                    "--notebooks", NB, "--db-url", "none", "--no-progress", "--no-isolation"],
                   cwd=root, env=env, check=True, capture_output=True, text=True, timeout=600)
    log = (out / "grading.log").read_text(encoding="utf-8")
    total, skipped = map(int, re.findall(r"(\d+) notebooks, (\d+) already graded with the same input", log)[-1])
    scores = {row.split(",")[0]: float(row.split(",")[2])
              for row in (out / "grades.csv").read_text().splitlines()[1:]}
    return total - skipped, scores


def test_the_graders_own_code_is_in_the_key(course_copy):
    """The copy really is what runs: its modules, not the installed ones."""
    env = {**os.environ, "PYTHONPATH": f"{course_copy}{os.pathsep}{course_copy / 'src'}"}
    files = subprocess.run([sys.executable, "-c", "import autograder, lmtrain; print(autograder.__file__, lmtrain.__file__)"],
                           cwd=course_copy, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert all(Path(f).is_relative_to(course_copy) for f in files), files


def test_a_changed_tolerance_or_scoring_rule_regrades_and_no_change_regrades_nothing(course_copy):
    graded, first = _grade(course_copy)
    assert graded == 2 and first["careful"] == 5 and first["half"] < 5, first

    graded, again = _grade(course_copy)
    assert graded == 0 and again == first, "nothing changed, so nothing may be graded again"

    checking = course_copy / "src" / "lmtrain" / "checking.py"
    text = checking.read_text(encoding="utf-8")
    looser = text.replace("    atol: float = 1e-6,\n    rtol: float = 1e-4,", "    atol: float = 1e-1,\n    rtol: float = 1e-1,")
    assert looser != text, "check_close's default tolerances moved: update this test"
    checking.write_text(looser, encoding="utf-8")
    graded, _ = _grade(course_copy)
    assert graded == 2, "check_close's tolerance changed: every pair it may affect must be graded again"

    # the hidden checks' own tolerances live in the notebook: loosen them too, and the grade moves
    solution = course_copy / "solutions" / NB / f"{NB}.ipynb"
    solution.write_text(solution.read_text(encoding="utf-8").replace("atol=1e-5, rtol=1e-5", "atol=1e-1, rtol=1e-1")
                        .replace("atol=2e-2", "atol=1e-1").replace("atol=1e-2", "atol=1e-1"), encoding="utf-8")
    graded, looser_scores = _grade(course_copy)
    assert graded == 2 and looser_scores["half"] > first["half"], (first, looser_scores)

    scoring = course_copy / "autograder" / "scoring.py"
    scoring.write_text(scoring.read_text(encoding="utf-8") + "\n# a scoring rule changed\n", encoding="utf-8")
    graded, _ = _grade(course_copy)
    assert graded == 2, "the scoring code changed: every pair must be graded again"
