"""The nbgrader gradebook of a graded class: the grader's scores go in, the grades given by hand come out.

Formgrader (``make lab-instructor``) lists what is in the gradebook, and an instructor grades the
written answers there (a markdown answer cell with points, such as notebook 02's
``sgd_learning_rates_written``): formgrader saves that score as the cell's ``manual_score`` and a
comment on any answer as its ``manual_comment``. The grader never writes either; each run reads them
back (:func:`read_hand_grades`) for ``grades.csv`` and the feedback.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from dataclasses import dataclass, field

from .course import put_environment_on_path
from .scoring import NotebookResult

__all__ = ["HandGrades", "read_hand_grades", "write_gradebook"]


@dataclass
class HandGrades:
    """What an instructor gave one (student, notebook) in formgrader."""

    scores: dict = field(default_factory=dict)  # written answer's grade_id -> points given, None until graded
    comments: dict = field(default_factory=dict)  # answer grade_id -> the instructor's comment (only those given)

    def given(self) -> float:
        return sum(score for score in self.scores.values() if score is not None)


def _manual_cells(result: NotebookResult) -> list[tuple[str, float]]:
    return [(entry[0], float(entry[1])) for entry in result.manual]


@functools.cache
def _alembic_head() -> str:
    """The schema revision nbgrader stamps a new gradebook with, read here from its migration scripts.

    nbgrader finds it by running the ``alembic heads`` command: a second Python that imports nbgrader
    and alembic again, about four seconds, which a small class pays on every first run. The same
    scripts read through alembic's own API, in this process (nbgrader is already imported), take a
    fifth of a second and give the same revision (a test compares the two).
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    with _temp_alembic_ini("sqlite://") as ini:
        return ScriptDirectory.from_config(Config(ini)).get_current_head()


@contextlib.contextmanager
def _opened(db_url: str):
    """nbgrader's Gradebook on ``db_url``, a new database stamped with :func:`_alembic_head`."""
    from unittest import mock

    from nbgrader import api

    put_environment_on_path()
    with mock.patch.object(api, "get_alembic_version", _alembic_head), api.Gradebook(db_url) as gb:
        yield gb


def write_gradebook(db_url: str, course: dict, results: list[NotebookResult]) -> None:
    """Mirror the grades into an nbgrader gradebook (SQLite file or a shared database).

    One nbgrader assignment per notebook. Re-grading replaces the auto scores and keeps every score
    and comment given by hand; a notebook now missing loses its old submission. A written answer
    nobody has graded yet is marked "needs manual grade", which is what formgrader lists.

    The rows are nbgrader's own (its ORM classes, laid out as its ``add_submission`` lays them out),
    but written in bulk: the existing grades are read in one query and everything is committed once,
    where ``add_submission`` and ``find_grade`` cost a commit and a query per notebook and per cell
    (about 70 ms a notebook, as much as grading a small one).
    """
    from nbgrader.api import MissingEntry, Student, SubmittedAssignment

    with warnings.catch_warnings(), _opened(db_url) as gb:
        warnings.simplefilter("ignore")  # nbgrader's API triggers SQLAlchemy autoflush warnings
        for name, source in sorted(course.items()):
            gb.update_or_create_assignment(name)
            gb.update_or_create_notebook(name, name)
            for gid in source.answers:
                gb.update_or_create_solution_cell(gid, name, name)
            for test in source.tests.values():
                gb.update_or_create_grade_cell(test.grade_id, name, name, max_score=test.points, cell_type="code")
            for gid, points in source.manual:
                gb.update_or_create_solution_cell(gid, name, name)
                gb.update_or_create_grade_cell(gid, name, name, max_score=points, cell_type="markdown")
        for r in results:
            if r.status == "missing":
                try:
                    gb.remove_submission(r.notebook, r.student_id)
                except MissingEntry:
                    pass
        db = gb.db
        assignments = {a.name: a for a in gb.assignments}
        students = {s.id: s for s in db.query(Student)}
        submissions = {(s.assignment.name, s.student_id): s for s in db.query(SubmittedAssignment)}
        grades = _grades_by_cell(gb)
        with db.no_autoflush:
            for r in results:
                if r.status == "missing":
                    continue
                if r.student_id not in students:
                    students[r.student_id] = Student(id=r.student_id)
                    db.add(students[r.student_id])
                if (r.notebook, r.student_id) not in submissions:
                    submissions[r.notebook, r.student_id] = _new_submission(
                        db, assignments[r.notebook], students[r.student_id], grades)
                submission = submissions[r.notebook, r.student_id]
                for test in r.tests:
                    grade = _grade_row(grades, submission, r.student_id, test.grade_id)
                    grade.auto_score = test.score
                    grade.needs_manual_grade = False
                for gid, _ in _manual_cells(r):
                    grade = _grade_row(grades, submission, r.student_id, gid)
                    grade.auto_score = None
                    grade.needs_manual_grade = grade.manual_score is None
        db.commit()


def _by_cell(gb, row, *columns):
    """A query of ``columns`` of every ``row`` (nbgrader's ``Grade`` or ``Comment``), each followed by
    the notebook, the student and the cell name it belongs to: one query for the whole gradebook."""
    from nbgrader.api import Assignment, BaseCell, SubmittedAssignment, SubmittedNotebook

    return (gb.db.query(*columns, Assignment.name, SubmittedAssignment.student_id, BaseCell.name)
            .join(SubmittedNotebook, row.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .join(BaseCell, row.cell_id == BaseCell.id))


def _grades_by_cell(gb) -> dict:
    """Every grade row of the gradebook, by (notebook, student, cell name)."""
    from nbgrader.api import Grade

    return {(notebook, student, cell): grade for grade, notebook, student, cell in _by_cell(gb, Grade, Grade)}


def _new_submission(db, assignment, student, grades: dict):
    """A submission laid out as nbgrader's ``add_submission`` lays it out: a grade row per grade cell,
    a comment row per solution cell, both per task cell (its new grade rows go into ``grades``)."""
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook

    submission = SubmittedAssignment(assignment=assignment, student=student)
    for notebook in assignment.notebooks:
        submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
        for cell in notebook.grade_cells:
            grades[assignment.name, student.id, cell.name] = Grade(cell=cell, notebook=submitted)
        for cell in notebook.solution_cells:
            Comment(cell=cell, notebook=submitted)
        for cell in notebook.task_cells:
            Comment(cell=cell, notebook=submitted)
            grades[assignment.name, student.id, cell.name] = Grade(cell=cell, notebook=submitted)
    db.add(submission)
    return submission


def _grade_row(grades: dict, submission, student: str, grade_id: str):
    """The submission's grade row for cell ``grade_id``; made when the cell is newer than the submission."""
    from nbgrader.api import Grade

    key = (submission.assignment.name, student, grade_id)
    if key not in grades:
        submitted = submission.notebooks[0]
        cell = next(c for c in submitted.notebook.grade_cells if c.name == grade_id)
        grades[key] = Grade(cell=cell, notebook=submitted)
    return grades[key]


def read_hand_grades(db_url: str, results: list[NotebookResult]) -> dict[tuple[str, str], HandGrades]:
    """The scores and comments given by hand, by (student, notebook), for every handed-in notebook.

    A written answer's score is its ``manual_score`` plus any extra credit, as formgrader shows it;
    None while nobody has graded it (or where the gradebook has no such submission yet). Two queries
    for the whole class: every grade given by hand, every comment written by hand.
    """
    from nbgrader.api import Comment, Grade

    found = {(r.student_id, r.notebook): HandGrades(scores={gid: None for gid, _ in _manual_cells(r)})
             for r in results if r.status != "missing"}
    with warnings.catch_warnings(), _opened(db_url) as gb:
        warnings.simplefilter("ignore")
        for score, extra, notebook, student, cell in _by_cell(gb, Grade, Grade.manual_score, Grade.extra_credit).filter(
                Grade.manual_score.isnot(None)):
            hand = found.get((student, notebook))
            if hand is not None and cell in hand.scores:
                hand.scores[cell] = float(score) + float(extra or 0.0)
        for comment, notebook, student, cell in _by_cell(gb, Comment, Comment.manual_comment).filter(
                Comment.manual_comment.isnot(None)):
            hand = found.get((student, notebook))
            if hand is not None and comment:
                hand.comments[cell] = comment
    return found
