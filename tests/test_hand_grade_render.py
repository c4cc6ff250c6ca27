"""A hand grade given in the gradebook re-renders the class from the saved states: what rendering adds
(the similar-answers hint) must never be saved back into a state and come out twice."""

from __future__ import annotations

import json
from dataclasses import asdict

from _support import LIMITS, honest_submission
from autograder.grade import GradeOptions, OutputOptions, RunOptions, grade_class
from autograder.scoring import NotebookResult, Status, TestResult

NB = "02_sgd"
WRITTEN = "sgd_learning_rates_written"


def test_a_result_read_from_a_state_shares_nothing_with_it():
    result = NotebookResult("ada", NB, 7.0, 8.0, Status.GRADED, tests=[TestResult("t", 7.0, 7.0, "passed")],
                            integrity=[["edited_test_cell", "kept"]], manual=[[WRITTEN, 1.0]])
    saved = asdict(result)
    read = NotebookResult.from_dict(saved)
    read.integrity.append(["similar_answers", "a hint"])
    read.manual[0][1] = 0.0
    read.tests[0].score = 0.0
    assert saved == asdict(result)


def _similar_hints(out) -> dict:
    """student -> how often report.json lists the similar-answers hint for them."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {row["student_id"]: json.dumps(row).count("similar_answers") for row in report["results"]}


def test_the_similar_answers_hint_stays_single_when_hand_grades_change(tmp_path):
    from nbgrader.api import Gradebook

    subs, out = tmp_path / "subs", tmp_path / "out"
    for student in ("ada", "bo"):  # the same answers: each gets the hint naming the other
        (subs / student).mkdir(parents=True)
        (subs / student / f"{NB}.ipynb").write_bytes(honest_submission(NB))
    run = RunOptions(names=[NB], progress=False)
    options = GradeOptions(limits=LIMITS)
    grade_class(subs, out, options=options, run=run)
    assert _similar_hints(out) == {"ada": 1, "bo": 1}
    for points in (1.0, 0.5):  # two hand grades in turn: each re-render saves ada's state
        with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
            grade = gb.find_grade(WRITTEN, NB, NB, "ada")
            grade.manual_score, grade.needs_manual_grade = points, False
            gb.db.commit()
        grade_class(subs, out, options=options, run=run, output=OutputOptions())
        assert _similar_hints(out) == {"ada": 1, "bo": 1}
    state = json.loads((out / ".state" / "ada" / f"{NB}.json").read_text(encoding="utf-8"))
    assert state["hand"] == {WRITTEN: 0.5}
    assert "similar_answers" not in json.dumps(state["result"]["integrity"])
