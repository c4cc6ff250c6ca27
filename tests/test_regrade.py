"""Re-grades leave a trail: regrade.csv names each pair graded again, the tests that moved and why.

Grades a tiny class with the grader of a *copy* of the repository (as tests/test_grading_key.py
does), then changes what an instructor changes between two runs: a tolerance, a submission.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from test_grading_key import NB, _answers, _submission, course_copy  # noqa: F401 - course_copy is a fixture


def _grade(root: Path) -> tuple[str, list[dict]]:
    """Grade the copy's class with the copy's grader; (what it printed, the rows of regrade.csv)."""
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'src'}", "OMP_NUM_THREADS": "1"}
    out = root.parent / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root.parent / "submissions"),
                           "--out", str(out), "--notebooks", NB, "--db-url", "none", "--no-progress",
                           "--no-isolation"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(io.StringIO((out / "regrade.csv").read_text(encoding="utf-8"))))
    return done.stdout, rows


def _by(rows: list[dict]) -> dict:
    return {(r["student_id"], r["test"]): r for r in rows}


def test_regrade_csv_names_the_students_the_tests_and_the_change(course_copy):  # noqa: F811
    printed, rows = _grade(course_copy)
    assert rows == [] and "graded again" not in printed, "a first grade is not a re-grade"

    # the instructor loosens check_close's default tolerance and the hidden checks' own
    checking = course_copy / "src" / "lmtrain" / "checking.py"
    text = checking.read_text(encoding="utf-8")
    looser = text.replace("    atol: float = 1e-6,\n    rtol: float = 1e-4,", "    atol: float = 1e-1,\n    rtol: float = 1e-1,")
    assert looser != text, "check_close's default tolerances moved: update this test"
    checking.write_text(looser, encoding="utf-8")
    solution = course_copy / "solutions" / NB / f"{NB}.ipynb"
    solution.write_text(solution.read_text(encoding="utf-8").replace("atol=1e-5, rtol=1e-5", "atol=1e-1, rtol=1e-1")
                        .replace("atol=2e-2", "atol=1e-1").replace("atol=1e-2", "atol=1e-1"), encoding="utf-8")
    printed, rows = _grade(course_copy)
    by = _by(rows)
    careful, half = by[("careful", "")], by[("half", "")]
    assert (careful["old_score"], careful["new_score"]) == ("5", "5")
    assert float(half["new_score"]) > float(half["old_score"]), half
    for row in rows:
        assert row["changed"] == "the tests (source or release notebooks); the grader's code", row
        assert row["regraded_at"].endswith("Z")
    moved = [r for r in rows if r["student_id"] == "half" and r["test"]]
    assert moved and all(r["old_status"] == "failed" and r["new_status"] == "passed" for r in moved), moved
    assert not [r for r in rows if r["student_id"] == "careful" and r["test"]], "no test of careful moved"
    assert "graded again: 2 notebooks, 1 went up, 0 went down, 1 kept their score" in printed
    log = (course_copy.parent / "out" / "grading.log").read_text(encoding="utf-8")
    assert "graded again: 2 notebooks, 1 went up" in log and "half/01_cross_entropy: graded again" in log

    # nothing changed: nothing is graded again, and the trail of the last re-grade stays
    printed, again = _grade(course_copy)
    assert again == rows and "graded again" not in printed

    # one student hands in a new notebook: only that pair, and the submission is what changed
    reference = _answers(NB)
    wrong = {**reference, "perplexity": "def perplexity(inputs, targets):\n    return torch.tensor(1.0)\n"}
    (course_copy.parent / "submissions" / "careful" / f"{NB}.ipynb").write_text(_submission(wrong), encoding="utf-8")
    printed, rows = _grade(course_copy)
    by = _by(rows)
    assert by[("careful", "")]["changed"] == "the submission"
    assert (by[("careful", "perplexity_values")]["old_score"], by[("careful", "perplexity_values")]["new_score"]) == \
        ("1", "0")
    assert by[("half", "")]["changed"] == "the tests (source or release notebooks); the grader's code"  # kept
    assert "graded again: 1 notebook, 0 went up, 1 went down, 0 kept their score" in printed
