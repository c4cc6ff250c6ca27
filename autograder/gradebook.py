"""The nbgrader gradebook of a graded class: the grader's scores go in, the grades given by hand come out.

Formgrader (``make lab-instructor``) lists what is in the gradebook, and an instructor grades the
written answers there (a markdown answer cell with points, such as notebook 02's
``sgd_learning_rates_written``): formgrader saves that score as the cell's ``manual_score`` and a
comment on any answer as its ``manual_comment``. The grader never writes either; each run reads them
back (:func:`read_hand_grades`) for ``grades.csv`` and the feedback.
"""

from __future__ import annotations

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


def write_gradebook(db_url: str, course: dict, results: list[NotebookResult]) -> None:
    """Mirror the grades into an nbgrader gradebook (SQLite file or a shared database).

    One nbgrader assignment per notebook. Re-grading replaces the auto scores and keeps every score
    and comment given by hand; a notebook now missing loses its old submission. A written answer
    nobody has graded yet is marked "needs manual grade", which is what formgrader lists.
    """
    from nbgrader.api import Gradebook, MissingEntry

    put_environment_on_path()
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore")  # nbgrader's add_submission triggers SQLAlchemy autoflush warnings
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
            gb.update_or_create_student(r.student_id)
            try:
                gb.find_submission(r.notebook, r.student_id)
                exists = True
            except MissingEntry:
                exists = False
            if r.status == "missing":
                if exists:
                    gb.remove_submission(r.notebook, r.student_id)
                continue
            if not exists:
                gb.add_submission(r.notebook, r.student_id)
            for test in r.tests:
                grade = gb.find_grade(test.grade_id, r.notebook, r.notebook, r.student_id)
                grade.auto_score = test.score
                grade.needs_manual_grade = False
            for gid, _ in _manual_cells(r):
                grade = gb.find_grade(gid, r.notebook, r.notebook, r.student_id)
                grade.auto_score = None
                grade.needs_manual_grade = grade.manual_score is None
            gb.db.commit()


def read_hand_grades(db_url: str, results: list[NotebookResult]) -> dict[tuple[str, str], HandGrades]:
    """The scores and comments given by hand, by (student, notebook), for every handed-in notebook.

    A written answer's score is its ``manual_score`` plus any extra credit, as formgrader shows it;
    None while nobody has graded it (or where the gradebook has no such submission yet).
    """
    from nbgrader.api import Gradebook, MissingEntry

    put_environment_on_path()
    found = {}
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore")
        for r in results:
            if r.status == "missing":
                continue
            hand = HandGrades(scores={gid: None for gid, _ in _manual_cells(r)})
            try:
                notebook = gb.find_submission_notebook(r.notebook, r.notebook, r.student_id)
            except MissingEntry:
                found[(r.student_id, r.notebook)] = hand
                continue
            for grade in notebook.grades:
                if grade.name in hand.scores and grade.manual_score is not None:
                    hand.scores[grade.name] = float(grade.manual_score) + float(grade.extra_credit or 0.0)
            for comment in notebook.comments:
                if comment.manual_comment:
                    hand.comments[comment.name] = comment.manual_comment
            found[(r.student_id, r.notebook)] = hand
    return found
