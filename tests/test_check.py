"""make check: each graded cell passed, failed (with the check's message) or unanswered; files untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from _support import CORPUS, submission_with_answer
from autograder.course import REPO_ROOT
from lmtrain.check import NotebookReport, _verdicts, format_report
from lmtrain.manifest import load_manifest, select_notebooks
from lmtrain.notebook import nbgrader_meta

NB01 = "01_cross_entropy"


def _release(name: str) -> dict:
    return json.loads((REPO_ROOT / "notebooks" / name / f"{name}.ipynb").read_text(encoding="utf-8"))


def _with_error(notebook: dict, grade_id: str, ename: str, evalue: str) -> None:
    for cell in notebook["cells"]:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            cell["outputs"] = [{"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}]


def _executed(notebook: dict) -> dict:
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"], cell["outputs"] = index + 1, []
    return notebook


def test_verdicts_tell_failed_from_unanswered():
    (manifest,) = select_notebooks(load_manifest(), "01")
    notebook = _executed(_release(NB01))
    _with_error(notebook, "cross_entropy_stability", "AssertionError", "expected 10000 got inf\nhint: subtract the max")
    _with_error(notebook, "perplexity_values", "NotImplementedError", "perplexity: replace this line with your answer.")
    verdicts = _verdicts(notebook, manifest, unanswered={"perplexity"})
    assert verdicts["cross_entropy_values"].status == "passed"
    assert verdicts["cross_entropy_stability"].status == "failed"
    assert verdicts["cross_entropy_stability"].message == "AssertionError: expected 10000 got inf\nhint: subtract the max"
    assert verdicts["perplexity_values"].status == "unanswered"
    text = format_report(NotebookReport(manifest, verdicts, frozenset({"perplexity"}), 1.0))
    assert "FAILED" in text and "expected 10000 got inf" in text
    assert "not answered yet: perplexity" in text
    assert "visible checks pass for 3 of 5 points (1 failing, 1 not answered yet)" in text


def test_a_timeout_and_a_deleted_graded_cell_are_named():
    (manifest,) = select_notebooks(load_manifest(), "01")
    notebook = _executed(_release(NB01))
    _with_error(notebook, "cross_entropy_values", "KeyboardInterrupt", "")
    verdicts = _verdicts(notebook, manifest, unanswered=set())
    assert verdicts["cross_entropy_values"].status == "failed"
    assert "timed out" in verdicts["cross_entropy_values"].message


def test_unknown_notebook_is_a_clear_error(tmp_path):
    run = subprocess.run([sys.executable, "-m", "lmtrain.check", "--notebook", "99"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "no notebook '99'" in run.stderr and "01_cross_entropy" in run.stderr


def _tree_digest(folder) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_check_of_a_half_done_notebook(tmp_path):
    """cross_entropy with a bug (sum, not mean), perplexity not answered: both said, nothing written."""
    folder = tmp_path / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks", folder)
    wrong = (CORPUS / "cross_entropy" / "wrong" / "sum_not_mean.py").read_text(encoding="utf-8")
    (folder / NB01 / f"{NB01}.ipynb").write_bytes(submission_with_answer("cross_entropy", wrong, unanswered=("perplexity",)))
    before = _tree_digest(tmp_path)
    run = subprocess.run([sys.executable, "-m", "lmtrain.check", "--folder", str(folder), "--notebook", "01"],
                         capture_output=True, text=True, timeout=600)
    print(run.stdout)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert any(line.split()[:2] == ["FAILED", "cross_entropy_values"] for line in lines), run.stdout
    assert "AssertionError" in run.stdout and "expected" in run.stdout
    assert any(line.split()[:2] == ["unanswered", "perplexity_values"] for line in lines), run.stdout
    assert "Hidden tests run only when your hand-in is graded" in run.stdout
    assert _tree_digest(tmp_path) == before, "make check changed the student's folder"
