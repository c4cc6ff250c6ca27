"""Helpers shared by the test modules (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import ast
import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.course import REPO_ROOT, assignments
from autograder.sandbox import Limits
from lmtrain.loader import ANSWER_NOTEBOOKS, notebook_path
from lmtrain.notebook import cell_source, nbgrader_meta

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


@dataclass(frozen=True)
class CellResult:
    grade_id: str
    score: float
    max_score: float
    error: str = ""


_COURSE: dict = {}


def _course() -> dict:
    if not _COURSE:
        from autograder.grade import load_course

        _COURSE.update(load_course(REPO_ROOT))
    return _COURSE


def submission_with_answer(function: str, answer_source: str, unanswered: tuple[str, ...] = ()) -> bytes:
    """The release notebook of ``function`` with the reference answers, ``function``'s replaced
    and those named in ``unanswered`` left as released (a half-done notebook)."""
    assignment = ANSWER_NOTEBOOKS[function]
    answers = {gid: source for gid, source in solution_answers(assignment).items() if gid not in unanswered}
    if function not in answers and function not in unanswered:
        raise LookupError(f"no answer cell with grade_id {function!r} in the notebook of {function}")
    return json.dumps(notebook({**answers, function: answer_source}, assignment)).encode("utf-8")


def grade_with_answer(function: str, answer_source: str, timeout: float = 300.0,
                      class_cache: bool = True) -> list[CellResult]:
    """Grade, through the same pipeline as a class, a student who hands in only the notebook of
    ``function``, with the reference answers except ``function``'s (hidden tests included).

    The hidden inputs are the published ones, or those of the course secret in ``$LMTRAIN_COURSE_SECRET``
    when it is set: a corpus's verdicts must not depend on it. ``class_cache``: see GradeOptions."""
    import os
    import tempfile

    from autograder.checker import course_secret
    from autograder.grade import GradeOptions, Limits, Placement, grade_one

    assignment = ANSWER_NOTEBOOKS[function]
    options = GradeOptions(limits=Limits(notebook_timeout=timeout, cell_timeout=timeout),
                           isolate=os.geteuid() == 0, course_root=REPO_ROOT, secret=course_secret(),
                           class_cache=class_cache)
    with tempfile.TemporaryDirectory(prefix="corpus-") as work:
        result = grade_one(_course(), assignment, "corpus", {assignment: submission_with_answer(function, answer_source)},
                           options=options, placement=Placement(workroot=Path(work)), feedback=False)
    if result.status not in ("graded", "integrity"):
        return [CellResult(t.grade_id, 0.0, t.max_score, f"{result.status}: {result.detail}") for t in result.tests]
    return [CellResult(t.grade_id, t.score, t.max_score, " | ".join(x for x in (t.visible_error, t.hidden_error) if x))
            for t in result.tests]


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


def honest_submission(assignment: str, **answers: str) -> bytes:
    """The release notebook of ``assignment`` with every reference answer, ``answers`` (function ->
    source) in place of some of them: an honest student, or one with the given mistakes."""
    return json.dumps(notebook({**solution_answers(assignment), **answers}, assignment)).encode("utf-8")


# ---------------------------------------------------------------------------
# Submissions built from the release, and a grading run's outputs read back
# ---------------------------------------------------------------------------

NB = "01_cross_entropy"  # the notebook most grader tests hand in
#: Generous limits: the grader tests must not depend on the machine's speed.
LIMITS = Limits(notebook_timeout=600.0, cell_timeout=120.0, memory_gb=1.0, max_processes=32)
#: Two wrong answers of Task 1.1: a constant, and the log-sum-exp without the max shift.
WRONG_CE = "def cross_entropy(inputs, targets):\n    return torch.zeros(()) + 0.5\n"
NAIVE_CE = '''def cross_entropy(inputs, targets):
    """No max shift: overflows for large logits."""
    log_normaliser = torch.log(torch.exp(inputs).sum(dim=-1))
    target_logit = inputs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (log_normaliser - target_logit).mean()
'''


def grade_id(cell: dict) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def release(name: str = NB) -> dict:
    """The released (English) notebook ``name``, as a student receives it."""
    return json.loads(notebook_path(name, "notebooks").read_text(encoding="utf-8"))


def solution_answers(name: str = NB) -> dict:
    """grade_id -> the reference answer, for every answer cell of ``name``."""
    source = json.loads(notebook_path(name, "solutions").read_text(encoding="utf-8"))
    return {nbgrader_meta(c).get("grade_id"): cell_source(c) for c in source["cells"] if nbgrader_meta(c).get("solution")}


def notebook(answers: dict | None = None, name: str = NB, edit=None) -> dict:
    """The release with some answer cells replaced (``answers``: grade_id -> source), then ``edit(nb)``."""
    nb = release(name)
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if answers and gid in answers:
            cell["source"] = answers[gid]
    if edit:
        edit(nb)
    return nb


def honest(**extra) -> dict:
    """Notebook NB with every reference answer, ``extra`` (grade_id -> source) in place of some."""
    return notebook({**solution_answers(), **extra})


def write_notebook(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def read_grades(out: Path) -> dict:
    """(student_id, notebook) -> the row of grades.csv in the output folder ``out``."""
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {(r["student_id"], r["notebook"]): r for r in csv.DictReader(handle)}


def read_integrity(out: Path) -> list[dict]:
    with open(out / "integrity.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def sandbox_processes(uid: int | None = None) -> list[int]:
    """PIDs of processes running as sandbox uid ``uid``; without it, as any sandbox uid whose lease has
    been given back: what a finished notebook left behind (another test may be grading beside this one)."""
    from autograder.sandbox import uids

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        owner = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        if uid is not None:
            wanted = owner == uid
        else:
            wanted = uids.SANDBOX_UID_BASE <= owner < uids.SANDBOX_UID_BASE + uids.UID_COUNT and not uids.is_leased(owner)
        if wanted:
            found.append(int(entry))
    return found
