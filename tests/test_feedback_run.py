"""The visible-only run that a student's feedback comes from goes only as far as the feedback needs.

A visible part of a graded cell that printed or failed after a hidden section had been in the
sandbox is shown from a second run that never had the hidden sections. That run stops after the
last such cell: the cells before the first hidden section saw nothing hidden, and the cells after
the last one showed nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from _support import REPO_ROOT, LIMITS, _course, honest_submission, solution_answers

from autograder import pipeline
from autograder.pipeline import GradeOptions, Placement, grade_one
from autograder.plan import PlannedCell
from autograder.scoring import CellOutcome, NotebookRun, SectionOutcome


def _graded(name: str, *sections: SectionOutcome) -> CellOutcome:
    return CellOutcome(name, "graded", list(sections), complete=True)


def _plan(*names: str) -> list[PlannedCell]:
    return [PlannedCell("graded" if name.startswith("t") else "code", name, source="") for name in names]


def _section(hidden=False, after_hidden=False, stdout="", error_type="", kind="drive") -> SectionOutcome:
    return SectionOutcome(kind, hidden, "", "sandbox", error_type, "", [], stdout, "", after_hidden)


def test_no_run_is_needed_before_the_first_hidden_section_or_for_hidden_output():
    plan = _plan("c0", "t1", "t2")
    run = NotebookRun(cells=[CellOutcome("c0", "code", [_section()]),
                             _graded("t1", _section(stdout="shown before anything hidden"), _section(hidden=True)),
                             _graded("t2", _section(hidden=True, after_hidden=True, stdout="hidden output"))])
    assert pipeline._feedback_cutoff(plan, run) == 0


def test_the_run_ends_with_the_last_cell_whose_visible_part_spoke_after_a_hidden_one():
    plan = _plan("c0", "t1", "c2", "t3", "t4", "t5")
    run = NotebookRun(cells=[CellOutcome("c0", "code", [_section()]),
                             _graded("t1", _section(), _section(hidden=True)),
                             CellOutcome("c2", "code", [_section(after_hidden=True, stdout="ordinary cells do not count")]),
                             _graded("t3", _section(after_hidden=True, error_type="AssertionError")),
                             _graded("t4", _section(after_hidden=True, stdout="printed")),
                             _graded("t5", _section(after_hidden=True))])
    assert pipeline._feedback_cutoff(plan, run) == 5  # c0 .. t4


def test_a_truncated_feedback_run_shows_what_a_whole_one_shows(monkeypatch):
    """03 with an AdamW that prints at every step: its cells (early in the notebook) show the prints,
    from a visible-only run that stops before the accounting cells; every test's feedback is what a
    visible-only run of the whole notebook gives."""
    answer = solution_answers("03_adamw")["AdamW"].replace(
        '        """One AdamW update of every parameter that has a gradient; returns closure()\'s value."""\n',
        '        """One AdamW update of every parameter that has a gradient; returns closure()\'s value."""\n'
        '        print("step of group 0, lr", self.param_groups[0]["lr"])\n', 1)
    assert "print(" in answer
    data = honest_submission("03_adamw", AdamW=answer)
    course = _course()
    planned: list[tuple[bool, int]] = []
    real_run = pipeline._run

    def recording_run(plan_cells, source, spec, options, forbidden, include_hidden):
        planned.append((include_hidden, len(plan_cells)))
        return real_run(plan_cells, source, spec, options, forbidden, include_hidden)

    monkeypatch.setattr(pipeline, "_run", recording_run)
    options = GradeOptions(limits=LIMITS, isolate=os.geteuid() == 0, course_root=REPO_ROOT)

    def feedback_of(result):
        return [(t.grade_id, t.visible_error, t.output) for t in result.tests]

    with tempfile.TemporaryDirectory() as work:
        truncated = grade_one(course, "03_adamw", "printer", {"03_adamw": data}, options=options,
                              placement=Placement(workroot=Path(work)))
        (_, whole), (hidden, shorter) = planned
        assert not hidden and shorter < whole
        monkeypatch.setattr(pipeline, "_feedback_cutoff", lambda plan_cells, run: len(plan_cells))
        full = grade_one(course, "03_adamw", "printer", {"03_adamw": data}, options=options,
                         placement=Placement(workroot=Path(work)))
    assert planned[-1] == (False, whole)
    assert feedback_of(truncated) == feedback_of(full)
    assert [t.score for t in truncated.tests] == [t.score for t in full.tests]
    shown = {t.grade_id for t in truncated.tests if "step of group 0" in t.output}
    assert "AdamW_trains_a_model" in shown and not any(gid.startswith("adamw_memory") for gid in shown)
