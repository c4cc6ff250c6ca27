"""Grade one submitted notebook: plan its cells, drive them in a sandbox, check them here, score.

The student's cells and the ``setup``/``drive`` sections of the graded cells
run in the sandbox (:mod:`autograder.sandbox`); ``setup`` and ``check``
sections run in a checker worker (:mod:`autograder.checker`), a trusted
process with its own time and memory limits, on the values the sandbox
returned, decoded there as plain data. Whatever goes wrong with one
notebook (a hostile reply, a crash, a bug of ours) ends as a result with
status ``error`` and a reason, never as an exception that stops the class.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from . import protocol
from .checker import Checker, cell_seed
from .course import RELEASE_DIR, REPO_ROOT, SOURCE_DIR
from .plan import (NotebookFormatError, PlannedCell, SourceNotebook, answer_fingerprint, is_unanswered,
                   load_notebook_json, plan_submission)
from .reuse import ReleaseGrades
from .sandbox import Limits, SandboxEnded, SandboxSpec, Session
from .sections import section_seed
from .scoring import CellOutcome, NotebookResult, NotebookRun, SectionOutcome, Status, TestResult, TestStatus, score

__all__ = ["GradeOptions", "Placement", "grade_one", "released", "release_files"]

log = logging.getLogger("autograder.grade")


@dataclass(frozen=True)
class GradeOptions:
    """Limits, isolation and the course folder of a grading run."""

    limits: Limits = Limits()
    isolate: bool = True
    course_root: Path = REPO_ROOT
    secret: bytes | None = None  # the course secret every hidden input derives from (None: published seeds)
    # the graded cells' student-free sections computed once per class (autograder.class_cache), not per notebook
    class_cache: bool = True


@dataclass(frozen=True)
class Placement:
    """Where one notebook is graded: which of the run's sandboxes, in which folder, hiding what."""

    slot: int = 0  # which of the run's parallel sandboxes (its uid, cgroup and staging folder)
    workroot: Path | None = None  # the run's staging folder (None: a temporary one, removed afterwards)
    forbidden: tuple[str, ...] = ()  # paths hidden from the sandbox besides the course's own (outputs, submissions)


def released(root: Path) -> list[str]:
    """Assignments with a source and a release notebook."""
    from .course import assignments

    return [a for a in assignments(root) if (root / RELEASE_DIR / a / f"{a}.ipynb").is_file()]


def release_files(root: Path, name: str) -> list[Path]:
    """Data files released with a notebook (everything in its folder but the notebook)."""
    folder = root / RELEASE_DIR / name
    skip = {".ipynb_checkpoints", "__pycache__", "feedback"}
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and rel != Path(f"{name}.ipynb") and not skip & set(rel.parts):
            files.append(path)
    return files


def _stage(staging: Path, root: Path, assignment: str, notebooks: dict) -> None:
    """The course folder the sandbox gets: this student's notebooks (the release's where they
    sent none: later notebooks load earlier answers from there) and the notebook's data."""
    if staging.exists():
        shutil.rmtree(staging)
    for name, data in _staged_notebooks(root, assignment, notebooks).items():
        folder = staging / "notebooks" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.ipynb").write_bytes(data)
        if name == assignment:
            for path in release_files(root, name):
                target = folder / path.relative_to(root / RELEASE_DIR / name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def _staged_notebooks(root: Path, assignment: str, notebooks: dict) -> dict[str, bytes]:
    """The notebooks staged for grading ``assignment``: the student's, the release's where they sent none."""
    return {name: notebooks[name] if notebooks.get(name) is not None
            else (root / RELEASE_DIR / name / f"{name}.ipynb").read_bytes()
            for name in sorted(set(released(root)) | {assignment})}


def _empty_result(student: str, source: SourceNotebook, status: Status, detail: str) -> NotebookResult:
    tests = [
        TestResult(t.grade_id, 0.0, t.points, TestStatus.NOT_RUN, hidden_number=t.hidden_number)
        for t in source.tests.values()
    ]
    return NotebookResult(student, source.name, 0.0, round(source.max_score, 6), status, detail, tests,
                          manual=[[gid, points] for gid, points in source.manual])


# ---------------------------------------------------------------------------
# Running a plan
# ---------------------------------------------------------------------------


class _Runner:
    """Walks a plan: sandbox requests for the student's side, host sections for the trusted side."""

    def __init__(self, session: Session, source: SourceNotebook, checker: Checker, include_hidden: bool,
                 secret: bytes | None = None):
        self.session = session
        self.source = source
        self.checker = checker
        self.include_hidden = include_hidden
        self.secret = secret
        self.requests = 0
        self.hidden_sent = False
        self.cell_lines: dict[str, int] = {}  # cell name -> its number of lines (bounds a reported line)

    def _sandbox(self, source: str, name: str, exports: list[str], *, seed: int | None = None,
                 cell_seed: int | None = None, graded_begin: bool = False, graded_end: bool = False) -> protocol.Reply:
        self.requests += 1
        request = protocol.ExecRequest(self.requests, name, source, tuple(exports), seed=seed, cell_seed=cell_seed,
                                       graded_begin=graded_begin, graded_end=graded_end)
        raw = self.session.request(request.to_json(), name)
        try:
            # the values stay encoded here: the checker worker decodes them, within its memory limit
            return protocol.parse_reply(raw, self.requests, exports, self.cell_lines, decode=False)
        except protocol.ProtocolError as exc:
            raise SandboxEnded("crash", f"the sandbox broke the protocol in cell {name} ({exc})") from None

    @staticmethod
    def _outcome(kind: str, hidden: bool, description: str, reply: protocol.Reply, after_hidden: bool) -> SectionOutcome:
        return SectionOutcome(kind, hidden, description, "sandbox", reply.error_type, reply.error,
                              [list(w) for w in reply.where], reply.stdout, reply.stderr, after_hidden)

    def run(self, plan_cells: list[PlannedCell], run: NotebookRun) -> None:
        for cell in plan_cells:
            texts = [cell.source] if cell.kind != "graded" else [s.source for s in cell.test.sections]
            self.cell_lines[cell.name] = max((text.count("\n") + 1 for text in texts), default=1)
        for cell in plan_cells:
            outcome = CellOutcome(cell.name, cell.kind)
            run.cells.append(outcome)
            if cell.kind != "graded":
                reply = self._sandbox(cell.source, cell.name, [])
                outcome.sections.append(self._outcome(cell.kind, False, "", reply, self.hidden_sent))
                outcome.complete = True
                self._stop_if_over(reply)
                continue
            self._run_graded(cell.test, outcome)

    def _stop_if_over(self, reply: protocol.Reply) -> None:
        if reply.memory:
            raise SandboxEnded("memory", f"the notebook ran out of memory (limit {self.session.limits.memory_gb:g} GB)")
        if reply.output_exceeded:
            raise SandboxEnded("output", f"the notebook printed more than {self.session.limits.output_bytes} characters")

    def _run_graded(self, test, outcome: CellOutcome) -> None:
        name = test.grade_id
        seed = cell_seed(name, self.secret)
        self.checker.begin_cell(name)
        if self.checker.error:
            outcome.sections.append(SectionOutcome("setup", False, "", "grader", "GraderError", self.checker.error))
            return
        planned = [index for index, section in enumerate(test.sections) if self.include_hidden or not section.hidden]
        # the cell is opened and closed in the sandbox with the first and the last of its sections that
        # run there (one request each, not three)
        in_sandbox = [index for index in planned if test.sections[index].kind in ("setup", "drive")]
        opened = closed = False
        failed = False
        for index in planned:
            section = test.sections[index]
            if failed:
                break
            # both sides seed every section alike: a setup builds the same inputs here and there, and
            # the student's code draws the same numbers on every re-grade; the cell's own seed goes
            # along, for the generators all its sections share (lmtrain.seeds)
            seed_of_section = section_seed(seed, index)
            if section.kind in ("setup", "check"):
                host = self.checker.run(section.source, name, seed=seed_of_section, cell_seed=seed, index=index)
                outcome.sections.append(SectionOutcome(section.kind, section.hidden, section.description, "grader",
                                                       host.error_type, host.error, [], host.stdout,
                                                       after_hidden=self.hidden_sent))
                failed = bool(host.error_type)
            if section.kind in ("setup", "drive") and not failed:
                after_hidden = self.hidden_sent
                self.hidden_sent = self.hidden_sent or section.hidden
                exports = [n for n in test.exports(index) if n not in self.checker.base_names]
                closed = index == in_sandbox[-1]
                reply = self._sandbox(section.source, name, exports, seed=seed_of_section, cell_seed=seed,
                                      graded_begin=not opened, graded_end=closed)
                opened = True
                outcome.tampered += reply.tampered
                if section.kind == "drive" or reply.error_type:
                    outcome.sections.append(self._outcome(section.kind, section.hidden, section.description, reply,
                                                          after_hidden))
                failed = bool(reply.error_type)
                self.checker.add_values(reply.values, name)
                self._stop_if_over(reply)
        self.checker.end_cell(name)
        outcome.complete = not failed
        if not opened:  # nothing of the cell reached the sandbox: open and close it all the same
            outcome.tampered += self._sandbox("", name, [], graded_begin=True, graded_end=True).tampered
        elif not closed:
            self.requests += 1
            end = self.session.request(protocol.GradedEndRequest(self.requests).to_json(), name)
            if end.get("index") == self.requests:
                outcome.tampered += protocol.tampered_names(end.get("tampered"))


_once_per_class: dict = {}  # (source digest, secret) -> _computed_once's list


def _computed_once(source: SourceNotebook, secret: bytes | None) -> list:
    """The graded cells whose student-free sections the checker's template computes for the whole class."""
    key = (source.digest, secret)
    cells = _once_per_class.get(key)
    if cells is None:
        cells = _once_per_class[key] = [
            [test.grade_id, cell_seed(test.grade_id, secret), [[s.kind, s.source] for s in test.sections]]
            for test in source.tests.values() if not test.helper]
    return cells


def _run(plan_cells, source, spec, options, forbidden, include_hidden: bool) -> NotebookRun:
    run = NotebookRun()
    cells = _computed_once(source, options.secret) if options.class_cache else []
    try:
        with Session(spec, options.limits, provided=source.provided, forbidden=forbidden) as session, \
                Checker(source.provided, source.helper_sections, options.limits, spec.slot,
                        memory_cgroup=session.memory_cgroup, cells=cells) as checker:
            run.isolated, run.notes = session.isolated, list(session.notes)
            _Runner(session, source, checker, include_hidden, options.secret).run(plan_cells, run)
    except SandboxEnded as ended:
        run.ended, run.detail = ended.kind, ended.detail
    return run


def _feedback_cutoff(plan_cells: list[PlannedCell], run: NotebookRun) -> int:
    """How many of the planned cells a visible-only run must go through for the student's feedback;
    0 when it is not needed.

    It is needed up to the last graded cell a visible part of which printed or failed after a hidden
    section had been in the sandbox (code there could have stashed hidden text and shown it then).
    Cells before the first hidden section need no such run: the sandbox had seen nothing a
    visible-only run would not send. Cells after the last such one showed nothing in their visible
    parts, so their feedback is empty either way. Feedback shows nothing of the other cells.
    """
    shown = {
        cell.name for cell in run.cells if cell.kind == "graded"
        if any(s.after_hidden and not s.hidden and (s.error_type or s.stdout or s.stderr) for s in cell.sections)
    }
    return max((index + 1 for index, cell in enumerate(plan_cells) if cell.kind == "graded" and cell.name in shown),
               default=0)


def grade_one(
    course: dict,
    assignment: str,
    student: str,
    notebooks: dict,
    problems: dict | None = None,
    *,
    options: GradeOptions | None = None,
    placement: Placement | None = None,
    feedback: bool = True,
    reuse: ReleaseGrades | None = None,
) -> NotebookResult:
    """Grade ``notebooks[assignment]`` (raw bytes) of ``student``; other notebooks feed load_answers.

    ``feedback=False`` skips the second, visible-only run that student-facing
    messages come from (scores never depend on it; the corpora do not need it).
    ``reuse``: a class run's grades of release-identical notebooks (:mod:`autograder.reuse`).

    Never raises for anything a submission can do: a failure of any kind is a
    result with status ``error`` and the reason (the traceback goes to the log).
    """
    options = options or GradeOptions()
    placement = placement or Placement()
    source = course[assignment]
    try:
        return _grade_one(course, assignment, student, notebooks, problems or {}, options, placement, feedback, reuse)
    except Exception:  # noqa: BLE001 - the class must finish; the log names the student and notebook
        log.error("grading %s/%s failed:\n%s", student, assignment, traceback.format_exc())
        return _empty_result(student, source, Status.ERROR, "the grader failed on this notebook (see grading.log)")


def _grade_one(course, assignment, student, notebooks, problems, options: GradeOptions, placement: Placement,
               feedback: bool, reuse: ReleaseGrades | None) -> NotebookResult:
    source = course[assignment]
    if assignment not in notebooks:
        return _empty_result(student, source, Status.MISSING, "no notebook submitted")
    data = notebooks[assignment]
    if data is None:
        return _empty_result(student, source, Status.ERROR, problems.get(assignment, "the notebook could not be read"))
    try:
        submitted = load_notebook_json(data)
    except NotebookFormatError as exc:
        return _empty_result(student, source, Status.ERROR, str(exc))
    plan = plan_submission(source, submitted)
    readable = {name: d for name, d in notebooks.items() if d is not None}
    shared = None
    if reuse is not None:
        shared = reuse.key(source, plan, lambda: _staged_notebooks(Path(options.course_root), assignment, readable))
    result = reuse.get(shared, student) if shared is not None else None
    if result is None:
        result = _run_and_score(source, assignment, student, plan, readable, options, placement, feedback)
        if shared is not None:
            reuse.put(shared, result)
    result.fingerprint = answer_fingerprint(submitted, source)
    result.unanswered = is_unanswered(submitted, source)
    return result


def _run_and_score(source, assignment, student, plan, readable, options: GradeOptions, placement: Placement,
                   feedback: bool) -> NotebookResult:
    slot = placement.slot
    own_tmp = placement.workroot is None
    workroot = Path(placement.workroot or tempfile.mkdtemp(prefix="lmtrain-grade-"))
    slot_dir = workroot / f"slot-{slot}"
    staging, mount_point = slot_dir / "stage", slot_dir / "root"
    mount_point.mkdir(parents=True, exist_ok=True)
    root = Path(options.course_root)
    try:
        _stage(staging, root, assignment, readable)
        spec = SandboxSpec(
            staging=str(staging),
            workdir=f"notebooks/{assignment}",
            root_mount=str(mount_point),
            data_dir=str(root / "data"),
            slot=slot,
            isolate=options.isolate,
        )
        hidden_forbidden = sorted({str(Path(p).resolve()) for p in placement.forbidden} | {
            str((root / d).resolve()) for d in (SOURCE_DIR, "tests", ".git")
        } | {str(workroot.resolve())})
        run = _run(plan.cells, source, spec, options, hidden_forbidden, include_hidden=True)
        result = score(student, source, plan, run)
        cutoff = _feedback_cutoff(plan.cells, run) if feedback else 0
        if cutoff:
            # What the student sees must come from a run in which no hidden section was ever in the sandbox.
            _stage(staging, root, assignment, readable)
            visible = score(student, source, plan, _run(plan.cells[:cutoff], source, spec, options,
                                                         hidden_forbidden, include_hidden=False))
            seen = {t.grade_id: t for t in visible.tests}
            for test in result.tests:
                shown = seen.get(test.grade_id)
                test.visible_error = shown.visible_error if shown else ""
                test.output = shown.output if shown else ""
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if own_tmp:
            shutil.rmtree(workroot, ignore_errors=True)
    return result
