"""The one scoring rule, and the typed results every output is rendered from.

A graded cell earns its points when every one of its sections (setup, drive,
check; visible and hidden) completed without an error, and nothing otherwise.
There is no partial credit inside a cell: a notebook splits a function's
properties into separate cells so that each mistake costs the points of the
property it breaks. A notebook whose sandbox was tampered with (the checking
objects replaced, see :mod:`autograder.sandbox.tamper`) earns nothing from that cell on.
The grader's own scan of the submission's code (:mod:`autograder.integrity`)
charges the same way: an ``evasion`` construct costs every graded cell after the
cell that holds it, a ``forbidden`` built-in the cells of the task that reaches it.

A notebook's status (:class:`Status`) and each test's (:class:`TestStatus`) name one cause each;
both are string enums, so they compare equal to, and are written as, their values.
"""

from __future__ import annotations

import copy

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["STATUSES", "Status", "TestStatus", "TestResult", "NotebookResult", "SectionOutcome", "CellOutcome",
           "NotebookRun", "score"]


class Status(StrEnum):
    """Why a notebook's score is what it is: one cause per status."""

    GRADED = "graded"  # every cell ran (some may have failed)
    MISSING = "missing"  # no notebook handed in
    TIMEOUT = "timeout"  # a cell, the notebook, or the grader's check of its values ran past its wall-clock limit
    MEMORY = "memory"  # the notebook (or the grader's check of its values) hit its memory limit
    ERROR = "error"  # not gradable to the end for another reason: not a notebook, its process died, too much
    #                  output, a grader fault
    INTEGRITY = "integrity"  # it tampered with the objects the tests rely on, or the integrity scan flagged its code


class TestStatus(StrEnum):
    """What became of one graded cell."""

    PASSED = "passed"  # every section, visible and hidden, ran without an error: all its points
    FAILED = "failed"  # a section failed, or the cell did not run to its end: no points
    NOT_RUN = "not run"  # the run stopped before this cell (its notebook's status says why)
    INTEGRITY = "integrity"  # charged by tampering or by the integrity scan, whatever its sections did


STATUSES = tuple(Status)


@dataclass
class TestResult:
    grade_id: str
    score: float
    max_score: float
    status: str  # a TestStatus
    visible_error: str = ""  # visible to the student
    output: str = ""  # what the visible parts printed (redacted)
    hidden_number: int = 0  # N of "hidden test N", 0 when the cell has none
    hidden_failed: bool = False
    hidden_description: str = ""  # the instructor's public words for the hidden check that failed
    hidden_where: str = ""  # instructors only: "your code raised TypeError in cell cross_entropy, line 7"
    hidden_error: str = ""  # instructors only: never in feedback or Gradescope files


@dataclass
class NotebookResult:
    student_id: str
    notebook: str
    score: float
    max_score: float
    status: str
    detail: str = ""
    tests: list = field(default_factory=list)
    integrity: list = field(default_factory=list)  # [kind, detail]
    fingerprint: str | None = None
    notes: list = field(default_factory=list)  # sandbox notes for the log (not in report.json)
    manual: list = field(default_factory=list)  # [grade_id, points] of hand-graded answers
    unanswered: bool = False  # handed in, but every answer cell is still the release's stub
    # what discovery found, for the student (set by the class run; not an input of the grade):
    submitted_file: str = ""  # the file graded, as the student named it
    file_notes: list = field(default_factory=list)  # why that file (another name, a second copy)
    other_files: list = field(default_factory=list)  # the student's files that are none of the notebooks

    @classmethod
    def from_dict(cls, data: dict) -> "NotebookResult":
        """The result saved as ``data`` (a state's), sharing no list with it: what rendering adds to a
        result (the similar-answers hint) must not reach a state saved afterwards."""
        data = copy.deepcopy(data)
        data["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        return cls(**data)


@dataclass
class SectionOutcome:
    kind: str  # code | answer | setup | drive | check
    hidden: bool
    description: str = ""
    side: str = "sandbox"  # sandbox | grader
    error_type: str = ""
    error: str = ""
    where: list = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    after_hidden: bool = False  # a hidden section had been in the sandbox before this one ran


@dataclass
class CellOutcome:
    name: str
    kind: str  # code | answer | graded
    sections: list = field(default_factory=list)
    complete: bool = False  # every planned section ran
    tampered: list = field(default_factory=list)

    @property
    def failure(self) -> SectionOutcome | None:
        return next((s for s in self.sections if s.error_type), None)


@dataclass
class NotebookRun:
    cells: list = field(default_factory=list)  # CellOutcome, in plan order, as far as the run got
    ended: str = "ok"  # ok | timeout | crash | memory | output | error
    detail: str = ""
    notes: list = field(default_factory=list)
    isolated: bool = False


def _r(x: float) -> float:
    return round(float(x), 6)


def _where_text(section: SectionOutcome) -> str:
    if not section.where:
        return ""
    cell, line = section.where[-1]
    return f"in cell {cell}, line {line}"


def score(student: str, source, plan, run: NotebookRun) -> NotebookResult:
    """Turn a run into a result: points per graded cell, the notebook's status and notes."""
    tests = {
        gid: TestResult(gid, 0.0, t.points, TestStatus.NOT_RUN, hidden_number=t.hidden_number)
        for gid, t in source.tests.items()
    }
    integrity = [list(n) for n in plan.integrity]
    findings = list(getattr(plan, "findings", ()))
    integrity += [[f.kind, f.describe()] for f in findings]
    flagged = _flagged_cells(plan, findings, tests)
    tampered = False
    for cell in run.cells:
        if cell.tampered and not tampered:
            names = ", ".join(cell.tampered[:8])
            integrity.append(["tampering", f"before or during {cell.name}: changed {names}; "
                                           "this and every later test cell earn nothing"])
            tampered = True
        if cell.kind != "graded" or cell.name not in tests:
            continue
        test = tests[cell.name]
        visible = [s for s in cell.sections if not s.hidden]
        hidden = [s for s in cell.sections if s.hidden]
        visible_failure = next((s for s in visible if s.error_type), None)
        hidden_failure = next((s for s in hidden if s.error_type), None)
        test.visible_error = source.redact(_visible_message(visible_failure)) if visible_failure else ""
        test.output = source.redact("".join(s.stdout for s in visible))
        if hidden_failure is not None:
            test.hidden_failed = True
            test.hidden_description = hidden_failure.description
            test.hidden_error = hidden_failure.error
            if hidden_failure.side == "sandbox" and hidden_failure.where:
                test.hidden_where = f"your code raised {hidden_failure.error_type} {_where_text(hidden_failure)}"
        failed = visible_failure is not None or hidden_failure is not None or not cell.complete
        if tampered or cell.name in flagged:
            test.score, test.status = 0.0, TestStatus.INTEGRITY
        elif failed:
            test.score, test.status = 0.0, TestStatus.FAILED
        else:
            test.score, test.status = _r(test.max_score), TestStatus.PASSED
    status, detail = Status.GRADED, ""
    if run.ended == "timeout":
        status, detail = Status.TIMEOUT, run.detail
    elif run.ended == "memory":
        status, detail = Status.MEMORY, run.detail
    elif run.ended != "ok":
        status, detail = Status.ERROR, run.detail
    for gid in flagged:  # a flagged cell the run never reached is charged all the same
        tests[gid].score, tests[gid].status = 0.0, TestStatus.INTEGRITY
    if tampered:
        status = Status.INTEGRITY
        detail = detail or "the checking functions were modified"
    elif findings and status == Status.GRADED:  # a timeout, memory or error status says why the run stopped: it stays
        status = Status.INTEGRITY
        detail = f"the grader's scan of the code flagged {findings[0].construct}"
    ordered = list(tests.values())
    return NotebookResult(student, source.name, _r(sum(t.score for t in ordered)), _r(source.max_score), status,
                          detail, ordered, integrity, notes=list(run.notes),
                          manual=[[gid, points] for gid, points in source.manual])


def _flagged_cells(plan, findings: list, tests: dict) -> set:
    """Grade ids the integrity scan's findings charge: a forbidden built-in, the cells of the task
    that reaches it (grade ids ``<task>_...``); an evasion, every graded cell after its cell."""
    flagged = set()
    for finding in findings:
        if finding.kind == "forbidden":
            flagged |= {gid for gid in tests if gid.startswith(finding.task + "_")}
    evasive = {f.cell for f in findings if f.kind == "evasion"}
    if not evasive:
        return flagged
    cells = list(getattr(plan, "cells", ()))
    positions = [i for i, cell in enumerate(cells) if cell.kind != "graded" and cell.name in evasive]
    if positions:
        flagged |= {cell.name for cell in cells[positions[0] + 1:]
                    if cell.kind == "graded" and cell.name in tests}
    return flagged


def _visible_message(section: SectionOutcome) -> str:
    if section.side == "sandbox":
        where = _where_text(section)
        return section.error + (f" ({where})" if where else "")
    return section.error
