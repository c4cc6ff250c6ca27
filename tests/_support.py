"""Helpers shared by the test modules (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.cell_runner import CellResult, NotebookCell, read_cells, run_cells
from autograder.course import REPO_ROOT, assignments
from lmtrain.loader import ANSWER_NOTEBOOKS, notebook_path

CORPUS = Path(__file__).parent / "corpus"
KINDS = ("wrong", "correct", "forbidden")


@dataclass(frozen=True)
class CorpusEntry:
    function: str
    kind: str
    path: Path

    @property
    def reason(self) -> str:
        """The first line of the file's docstring: the mistake or the variant."""
        doc = ast.get_docstring(ast.parse(self.path.read_text(encoding="utf-8"))) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @property
    def test_id(self) -> str:
        return f"{self.function}/{self.kind}/{self.path.stem}"


def corpus_entries() -> list[CorpusEntry]:
    return [
        CorpusEntry(path.parent.parent.name, path.parent.name, path)
        for path in sorted(CORPUS.glob("*/*/*.py"))
        if path.parent.name in KINDS
    ]


def solution_cells(function: str) -> list[NotebookCell]:
    return read_cells(notebook_path(ANSWER_NOTEBOOKS[function], "solutions"))


def grade_with_answer(function: str, answer_source: str, timeout: float = 120.0) -> list[CellResult]:
    """Grade the solution notebook (hidden tests included) with one answer cell replaced."""
    cells = solution_cells(function)
    if not any(c.answer and c.grade_id == function for c in cells):
        raise LookupError(f"no answer cell with grade_id {function!r} in the notebook of {function}")
    replaced = [
        NotebookCell(c.cell_id, c.cell_type, answer_source, c.grade_id, c.points, c.graded, c.answer)
        if c.answer and c.grade_id == function else c
        for c in cells
    ]
    workdir = notebook_path(ANSWER_NOTEBOOKS[function], "solutions").parent
    return run_cells(replaced, workdir, timeout=timeout)


def graded_cells_for(function: str, results: list[CellResult]) -> list[CellResult]:
    """The graded cells that test ``function`` (their grade_id starts with its name)."""
    return [r for r in results if r.grade_id.startswith(function + "_")]


def all_assignments() -> list[str]:
    return assignments(REPO_ROOT)


def stock_nbgrader_grades(assignment: str, submissions: dict[str, Path], scratch: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """Grade notebooks with stock ``nbgrader autograde`` in a scratch course.

    ``submissions`` maps a student id to the notebook file they hand in.
    Returns ``{student: {grade_id: (score, max_score)}}`` from the gradebook.
    """
    import shutil

    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.course import course_config

    shutil.copytree(REPO_ROOT / "solutions" / assignment, scratch / "solutions" / assignment)
    db_url = f"sqlite:///{scratch / 'gradebook.db'}"
    config = course_config(scratch, db_url=db_url)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    result = api.generate_assignment(assignment, force=True, create=True)
    assert result["success"], result.get("error") or result.get("log")
    grades = {}
    for student, notebook in submissions.items():
        target = scratch / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copy(notebook, target)
        result = api.autograde(assignment, student, force=True, create=True)
        assert result["success"], result.get("error") or result.get("log")
        with Gradebook(db_url) as gradebook:
            submitted = gradebook.find_submission_notebook(assignment, assignment, student)
            grades[student] = {g.name: (g.score, g.max_score) for g in submitted.grades if g.cell.cell_type == "code"}
    return grades
