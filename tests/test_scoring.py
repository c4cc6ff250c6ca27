"""The one scoring rule (autograder/scoring.py), case by case, on hand-made runs.

No sandbox and no notebook: a source with three graded cells, a plan, and the outcomes a run could
report. What each case expects follows from the rule the module states: a graded cell earns its
points only when every section ran without an error, tampering costs that cell and every later one,
and the notebook's status names the one cause that stopped or flagged it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from autograder.scoring import STATUSES, CellOutcome, NotebookRun, SectionOutcome, score


@dataclass
class _Test:
    points: float
    hidden_number: int = 0


@dataclass
class _Source:
    name: str = "01_demo"
    tests: dict = field(default_factory=lambda: {
        "f_values": _Test(2.0, hidden_number=1), "f_dtype": _Test(1.0), "g_values": _Test(3.0, hidden_number=2)})
    manual: list = field(default_factory=list)
    hidden_lines: tuple = ("assert secret_case()",)

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())

    def redact(self, text: str) -> str:
        return "\n".join("[line removed]" if any(h in line for h in self.hidden_lines) else line
                         for line in text.splitlines())


@dataclass
class _Plan:
    integrity: list = field(default_factory=list)


def passing(name: str, hidden: bool = True) -> CellOutcome:
    sections = [SectionOutcome("setup", False, side="grader"), SectionOutcome("drive", False),
                SectionOutcome("check", False, side="grader")]
    if hidden:
        sections += [SectionOutcome("drive", True, description="values for 4-D batches"),
                     SectionOutcome("check", True, side="grader", description="values for 4-D batches")]
    return CellOutcome(name, "graded", sections, complete=True)


def with_error(cell: CellOutcome, index: int, error_type: str = "AssertionError", error: str = "expected 1, got 2",
               where: list | None = None) -> CellOutcome:
    section = cell.sections[index]
    section.error_type, section.error, section.where = error_type, error, where or []
    return cell


def run_of(*cells: CellOutcome, ended: str = "ok", detail: str = "") -> NotebookRun:
    return NotebookRun(cells=[CellOutcome("f", "answer", complete=True), *cells], ended=ended, detail=detail)


def grade(run: NotebookRun, plan: _Plan | None = None):
    return score("s001", _Source(), plan or _Plan(), run)


def by_id(result) -> dict:
    return {t.grade_id: (t.score, t.status) for t in result.tests}


def test_every_section_passing_earns_every_point():
    result = grade(run_of(passing("f_values"), passing("f_dtype", hidden=False), passing("g_values")))
    assert (result.score, result.max_score, result.status) == (6.0, 6.0, "graded")
    assert by_id(result) == {"f_values": (2.0, "passed"), "f_dtype": (1.0, "passed"), "g_values": (3.0, "passed")}


@pytest.mark.parametrize("index", range(5))
def test_one_failed_section_costs_its_whole_cell_and_nothing_else(index):
    result = grade(run_of(with_error(passing("f_values"), index), passing("f_dtype", hidden=False), passing("g_values")))
    assert by_id(result) == {"f_values": (0.0, "failed"), "f_dtype": (1.0, "passed"), "g_values": (3.0, "passed")}
    assert result.status == "graded"


def test_a_cell_that_did_not_run_to_its_end_earns_nothing():
    unfinished = passing("g_values")
    unfinished.complete = False
    result = grade(run_of(passing("f_values"), passing("f_dtype", hidden=False), unfinished))
    assert by_id(result)["g_values"] == (0.0, "failed")


def test_cells_the_run_never_reached_are_not_run():
    result = grade(run_of(passing("f_values"), ended="timeout", detail="cell f_dtype ran past 60 s"))
    assert by_id(result) == {"f_values": (2.0, "passed"), "f_dtype": (0.0, "not run"), "g_values": (0.0, "not run")}
    assert (result.status, result.detail) == ("timeout", "cell f_dtype ran past 60 s")


@pytest.mark.parametrize("ended, status", [("timeout", "timeout"), ("memory", "memory"), ("crash", "error"),
                                           ("output", "error"), ("error", "error")])
def test_the_status_names_why_the_run_stopped(ended, status):
    result = grade(run_of(passing("f_values"), ended=ended, detail="why"))
    assert result.status == status and status in STATUSES
    assert result.score == 2.0  # what ran before the stop keeps its points


def test_tampering_costs_that_cell_and_every_later_one():
    tampered = passing("f_dtype", hidden=False)
    tampered.tampered = ["torch.allclose"]
    result = grade(run_of(passing("f_values"), tampered, passing("g_values")))
    assert by_id(result) == {"f_values": (2.0, "passed"), "f_dtype": (0.0, "integrity"), "g_values": (0.0, "integrity")}
    assert result.status == "integrity"
    assert [kind for kind, _ in result.integrity] == ["tampering"]
    assert "torch.allclose" in result.integrity[0][1]


def test_tampering_outranks_a_later_stop():
    tampered = passing("f_values")
    tampered.tampered = ["builtins.print"]
    result = grade(run_of(tampered, ended="crash", detail="the process died"))
    assert result.status == "integrity" and result.score == 0.0


def test_plan_notes_reach_the_integrity_rows_without_costing_points():
    plan = _Plan(integrity=[("edited_test_cell", "graded cell f_dtype was edited; the original ran")])
    result = grade(run_of(passing("f_values"), passing("f_dtype", hidden=False), passing("g_values")), plan)
    assert result.integrity == [["edited_test_cell", "graded cell f_dtype was edited; the original ran"]]
    assert (result.score, result.status) == (6.0, "graded")


def test_a_hidden_failure_shows_its_description_and_keeps_the_visible_message_empty():
    failing = with_error(passing("f_values"), 4, error="AssertionError: assert secret_case()")
    result = grade(run_of(failing, passing("f_dtype", hidden=False), passing("g_values")))
    test = next(t for t in result.tests if t.grade_id == "f_values")
    assert (test.score, test.status, test.visible_error) == (0.0, "failed", "")
    assert test.hidden_failed and test.hidden_description == "values for 4-D batches"
    assert test.hidden_where == ""  # a grader-side check: nothing the submission chose


def test_where_a_student_s_code_raised_in_a_hidden_drive_is_for_instructors_only():
    failing = with_error(passing("f_values"), 3, error_type="TypeError", error="TypeError: bad", where=[["f", 7]])
    result = grade(run_of(failing, passing("f_dtype", hidden=False), passing("g_values")))
    test = next(t for t in result.tests if t.grade_id == "f_values")
    assert test.hidden_where == "your code raised TypeError in cell f, line 7"
    assert test.visible_error == ""


def test_a_visible_failure_is_shown_with_where_it_happened_and_hidden_lines_redacted():
    failing = with_error(passing("f_values"), 1, error_type="ValueError", error="ValueError: shape", where=[["f", 3]])
    failing.sections[1].stdout = "checking...\nassert secret_case()\n"
    result = grade(run_of(failing, passing("f_dtype", hidden=False), passing("g_values")))
    test = next(t for t in result.tests if t.grade_id == "f_values")
    assert test.visible_error == "ValueError: shape (in cell f, line 3)"
    assert test.output == "checking...\n[line removed]"


def test_scores_are_rounded_to_six_places():
    source = _Source(tests={"f_values": _Test(1 / 3), "f_dtype": _Test(2 / 3)})
    result = score("s", source, _Plan(), run_of(passing("f_values"), passing("f_dtype")))
    assert result.score == 1.0 and [t.score for t in result.tests] == [0.333333, 0.666667]
