"""The nbgrader gradebook of a graded class: the scores formgrader lists, as the grader writes them."""

from __future__ import annotations

from .scoring import NotebookResult

__all__ = ["write_gradebook"]


def write_gradebook(db_url: str, course: dict, results: list[NotebookResult]) -> None:
    """Mirror the grades into an nbgrader gradebook (SQLite file or a shared database).

    One nbgrader assignment per notebook. Re-grading replaces the auto scores;
    a notebook now missing loses its old submission.
    """
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore")  # nbgrader's add_submission triggers SQLAlchemy autoflush warnings
        for name, source in sorted(course.items()):
            gb.update_or_create_assignment(name)
            gb.update_or_create_notebook(name, name)
            for gid in source.answers:
                gb.update_or_create_solution_cell(gid, name, name)
            for test in source.tests.values():
                gb.update_or_create_grade_cell(test.grade_id, name, name, max_score=test.points, cell_type="code")
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
            gb.db.commit()
