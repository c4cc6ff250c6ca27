"""Grade a class: every student's notebooks, in sandboxes, into one output folder.

``python -m autograder grade SUBMISSIONS --out OUT`` (see ``__main__``) and
:func:`grade_notebook` (one notebook, for scripts) both end up in
:func:`grade_one`, which plans the cells (:mod:`autograder.plan`), runs them
in a sandbox (:func:`autograder.cell_runner.run_sandboxed`) and scores them
like nbgrader's ``determine_grade``.

Every graded (student, notebook) pair is saved at once in
``OUT/.state/<student>/<notebook>.json`` with a key that hashes everything
its grade depends on (the submission, the source and release notebooks, the
grader and its limits). A run skips pairs whose state has the current key,
so a killed run resumes where it stopped and a changed submission is graded
again; the final files are rendered from the states alone, so they do not
depend on the order, the number of jobs or interruptions.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cell_runner import Limits, SandboxSpec, run_sandboxed, start_fork_server
from .course import RELEASE_DIR, REPO_ROOT, SOURCE_DIR, assignments
from .plan import NotebookFormatError, SourceNotebook, answer_fingerprint, load_notebook_json, plan_submission
from .submissions import Submission, discover

__all__ = [
    "GRADER_VERSION",
    "GradeOptions",
    "NotebookResult",
    "TestResult",
    "grade_class",
    "grade_notebook",
    "grade_one",
    "load_course",
    "merge_outputs",
    "shard_of",
]

GRADER_VERSION = "1"
STATUSES = ("graded", "missing", "timeout", "error", "integrity")
log = logging.getLogger("autograder.grade")


@dataclass
class TestResult:
    grade_id: str
    score: float
    max_score: float
    status: str  # passed | failed | not run | integrity
    visible_error: str = ""  # visible to the student
    output: str = ""  # what the visible part printed (redacted)
    hidden_number: int = 0  # N of "hidden test N", 0 when the cell has none
    hidden_failed: bool = False
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

    @classmethod
    def from_dict(cls, data: dict) -> "NotebookResult":
        data = dict(data)
        data["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        return cls(**data)


@dataclass(frozen=True)
class GradeOptions:
    limits: Limits = Limits()
    isolate: bool = True
    course_root: Path = REPO_ROOT


def _r(x: float) -> float:
    return round(float(x), 6)


# ---------------------------------------------------------------------------
# The course
# ---------------------------------------------------------------------------


def load_course(root: Path = REPO_ROOT, names: list[str] | None = None) -> dict[str, SourceNotebook]:
    """Source and release notebooks of each assignment (all in ``solutions/`` by default)."""
    root = Path(root)
    explicit = bool(names)
    names = names or assignments(root)
    course = {}
    for name in names:
        if not explicit and not (root / RELEASE_DIR / name / f"{name}.ipynb").is_file():
            log.warning("%s has no release yet (run `python -m autograder release`): not graded", name)
            print(f"warning: {name} has no release notebook yet; not graded", file=sys.stderr)
            continue
        source = root / SOURCE_DIR / name / f"{name}.ipynb"
        release = root / RELEASE_DIR / name / f"{name}.ipynb"
        if not source.is_file():
            raise FileNotFoundError(f"no source notebook {source}")
        if not release.is_file():
            raise FileNotFoundError(f"no release notebook {release}: run `python -m autograder release` first")
        notebook = SourceNotebook.load(name, source.read_bytes(), release.read_bytes())
        released_ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in notebook.release["cells"]}
        stale = [gid for gid in notebook.tests if gid not in released_ids]
        if stale:
            raise RuntimeError(f"the release of {name} lacks test cells {stale}: run `python -m autograder release`")
        course[name] = notebook
    return course


def _release_files(root: Path, name: str) -> list[Path]:
    """Data files released with a notebook (everything in its folder but the notebook)."""
    folder = root / RELEASE_DIR / name
    skip = {".ipynb_checkpoints", "__pycache__", "feedback"}
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and rel != Path(f"{name}.ipynb") and not skip & set(rel.parts):
            files.append(path)
    return files


# ---------------------------------------------------------------------------
# One notebook
# ---------------------------------------------------------------------------


def input_key(course: dict, assignment: str, notebooks: dict, options: GradeOptions) -> str:
    h = hashlib.sha256()
    h.update(f"v{GRADER_VERSION}|{options.limits!r}|{options.isolate}|{assignment}".encode())
    h.update(f"|{assignment}:{course[assignment].digest}".encode())
    for name in released(Path(options.course_root)):  # the release is what load_answers falls back on
        release = Path(options.course_root) / RELEASE_DIR / name / f"{name}.ipynb"
        h.update(f"|{name}:".encode() + hashlib.sha256(release.read_bytes()).digest())
    for name in sorted(notebooks):
        data = notebooks[name]
        h.update(f"|{name}:".encode() + (hashlib.sha256(data).digest() if data is not None else b"unreadable"))
    return h.hexdigest()


def _empty_result(student: str, source: SourceNotebook, status: str, detail: str) -> NotebookResult:
    tests = [
        TestResult(t.grade_id, 0.0, t.points, "not run", hidden_number=t.hidden_number)
        for t in source.tests.values()
    ]
    return NotebookResult(student, source.name, 0.0, _r(source.max_score), status, detail, tests)


def released(root: Path = REPO_ROOT) -> list[str]:
    """Assignments with a source and a release notebook."""
    return [a for a in assignments(root) if (root / RELEASE_DIR / a / f"{a}.ipynb").is_file()]


def _stage(staging: Path, root: Path, assignment: str, notebooks: dict) -> None:
    """The course folder the sandbox gets: this student's notebooks (the release's where they
    sent none: later notebooks load earlier answers from there) and the notebook's data."""
    if staging.exists():
        shutil.rmtree(staging)
    for name in sorted(set(released(root)) | {assignment}):
        folder = staging / "notebooks" / name
        folder.mkdir(parents=True)
        data = notebooks.get(name)
        if data is None:
            data = (root / RELEASE_DIR / name / f"{name}.ipynb").read_bytes()
        (folder / f"{name}.ipynb").write_bytes(data)
        if name == assignment:
            for path in _release_files(root, name):
                target = folder / path.relative_to(root / RELEASE_DIR / name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def grade_one(
    course: dict,
    assignment: str,
    student: str,
    notebooks: dict,
    problems: dict | None = None,
    *,
    options: GradeOptions = GradeOptions(),
    slot: int = 0,
    workroot: Path | None = None,
    forbidden: list[str] = (),
) -> NotebookResult:
    """Grade ``notebooks[assignment]`` (raw bytes) of ``student``; other notebooks feed load_answers."""
    source = course[assignment]
    problems = problems or {}
    if assignment not in notebooks:
        return _empty_result(student, source, "missing", "no notebook submitted")
    data = notebooks[assignment]
    if data is None:
        return _empty_result(student, source, "error", problems.get(assignment, "the notebook could not be read"))
    try:
        submitted = load_notebook_json(data)
    except NotebookFormatError as exc:
        return _empty_result(student, source, "error", str(exc))
    plan = plan_submission(source, submitted)
    own_tmp = workroot is None
    workroot = Path(workroot or tempfile.mkdtemp(prefix="lmtrain-grade-"))
    slot_dir = workroot / f"slot-{slot}"
    staging, mount_point = slot_dir / "stage", slot_dir / "root"
    mount_point.mkdir(parents=True, exist_ok=True)
    readable = {name: d for name, d in notebooks.items() if d is not None}
    try:
        _stage(staging, Path(options.course_root), assignment, readable)
        spec = SandboxSpec(
            staging=str(staging),
            workdir=f"notebooks/{assignment}",
            root_mount=str(mount_point),
            data_dir=str(Path(options.course_root) / "data"),
            slot=slot,
            isolate=options.isolate,
        )
        hidden_forbidden = sorted({str(Path(p).resolve()) for p in forbidden} | {
            str((Path(options.course_root) / d).resolve()) for d in (SOURCE_DIR, "tests", ".git")
        } | {str(workroot.resolve())})
        run = run_sandboxed(plan.cells, spec, options.limits, provided=source.provided, forbidden=hidden_forbidden)
        result = _score(student, source, plan, run)
        if _needs_feedback_run(plan, run):
            # What the student sees must come from a run in which no hidden test was ever loaded:
            # code that ran after a hidden test could have stashed its text and print it later.
            visible_cells = [
                dict(cell, segments=[seg for seg in cell["segments"] if not seg[0]]) if cell["kind"] == "graded" else cell
                for cell in plan.cells
            ]
            feedback = run_sandboxed(visible_cells, spec, options.limits, provided=source.provided,
                                     forbidden=hidden_forbidden)
            seen = {}
            for cell, reply in zip(visible_cells, feedback.replies):
                if cell["kind"] == "graded":
                    seen[cell["name"]] = _visible_parts(reply)
            for test in result.tests:
                error, output = seen.get(test.grade_id, ("", ""))
                test.visible_error, test.output = source.redact(error), source.redact(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if own_tmp:
            shutil.rmtree(workroot, ignore_errors=True)
    result.fingerprint = answer_fingerprint(submitted, source)
    return result


def _visible_parts(reply: dict) -> tuple[str, str]:
    """(first error, printed output) of the visible segments of one graded cell's reply."""
    error, output = "", []
    for seg in reply.get("segments", []):
        if seg.get("hidden"):
            continue
        problem = seg.get("error") or (f"wrote to stderr: {seg.get('stderr', '')[:300]}" if seg.get("stderr") else "")
        error = error or problem
        if seg.get("stdout"):
            output.append(seg["stdout"])
    return str(error), "".join(output)


def _needs_feedback_run(plan, run) -> bool:
    """True when a visible part printed or failed while some hidden test was in the runner's memory.

    A graded cell is sent whole, so its hidden part is loaded before its visible part runs.
    """
    hidden_seen = False
    for cell, reply in zip(plan.cells, run.replies):
        if cell["kind"] != "graded":
            continue
        hidden_seen = hidden_seen or any(h for h, _ in cell["segments"])
        for seg in reply.get("segments", []):
            if hidden_seen and not seg.get("hidden") and (seg.get("error") or seg.get("stdout") or seg.get("stderr")):
                return True
    return False


def _score(student: str, source: SourceNotebook, plan, run) -> NotebookResult:
    tests = {
        gid: TestResult(gid, 0.0, t.points, "not run", hidden_number=t.hidden_number)
        for gid, t in source.tests.items()
    }
    integrity = [list(n) for n in plan.integrity]
    tampered = False
    for cell, reply in zip(plan.cells, run.replies):
        if reply.get("tampered"):
            if not tampered:
                names = ", ".join(str(x) for x in reply["tampered"][:8])
                integrity.append(["tampering", f"before or during {cell['name']}: changed {names}; "
                                               "this and every later test cell earn nothing"])
            tampered = True
        for name in reply.get("shadowed", []):
            integrity.append(["shadowed_name", f"{name!s} was rebound by the submission; the original was restored before {cell['name']}"])
        if cell["kind"] != "graded":
            continue
        test = tests[cell["name"]]
        visible_error, hidden_error, output = "", "", []
        segments = reply.get("segments", [])
        for seg in segments:
            problem = seg.get("error") or (f"wrote to stderr: {seg.get('stderr', '')[:300]}" if seg.get("stderr") else "")
            if seg.get("hidden"):
                hidden_error = hidden_error or problem
            else:
                visible_error = visible_error or problem
                if seg.get("stdout"):
                    output.append(seg["stdout"])
        complete = len(segments) == len(cell["segments"])
        failed = bool(visible_error or hidden_error) or not complete
        test.visible_error = source.redact(str(visible_error))
        test.output = source.redact("".join(output))
        test.hidden_failed = bool(hidden_error)
        test.hidden_error = str(hidden_error)
        if tampered:
            test.score, test.status = 0.0, "integrity"
        elif failed:
            test.score, test.status = 0.0, "failed"
        else:
            credit = reply.get("credit")
            score = test.max_score if credit is None else min(max(float(credit), 0.0), test.max_score)
            test.score = _r(score)
            test.status = "passed" if test.score == test.max_score else "failed"
    status, detail = "graded", ""
    if run.ended == "timeout":
        status, detail = "timeout", run.detail
    elif run.ended != "ok":
        status, detail = "error", run.detail
    if tampered:
        status = "integrity"
        detail = detail or "the checking functions were modified"
    ordered = list(tests.values())
    score = _r(sum(t.score for t in ordered))
    return NotebookResult(student, source.name, score, _r(source.max_score), status, detail, ordered,
                          integrity, notes=list(run.notes or []))


def grade_notebook(path: str | Path, assignment: str | None = None, *, course_root: Path = REPO_ROOT,
                   limits: Limits = Limits(), isolate: bool = True) -> NotebookResult:
    """Grade one notebook file; the result has per-test scores (``result.tests``).

    The assignment is the file's name (``01_cross_entropy.ipynb``) unless
    given. Other notebooks of the course found next to it (same folder, or
    ``../<name>/<name>.ipynb``) are what its ``load_answers`` sees.
    """
    path = Path(path)
    assignment = assignment or path.stem
    course = load_course(course_root, None)
    if assignment not in course:
        raise KeyError(f"{assignment} is not an assignment of this course ({', '.join(course)})")
    notebooks = {}
    for name in released(Path(course_root)):
        for candidate in (path.parent / f"{name}.ipynb", path.parent.parent / name / f"{name}.ipynb"):
            if candidate.is_file():
                notebooks[name] = candidate.read_bytes()
                break
    notebooks[assignment] = path.read_bytes()
    start_fork_server()
    options = GradeOptions(limits=limits, isolate=isolate, course_root=Path(course_root))
    return grade_one(course, assignment, "student", notebooks, options=options, forbidden=[])


# ---------------------------------------------------------------------------
# A class
# ---------------------------------------------------------------------------


def shard_of(student_id: str, count: int) -> int:
    """The shard (0 .. count-1) a student belongs to: a stable hash of the id."""
    return int(hashlib.sha256(student_id.encode("utf-8")).hexdigest(), 16) % count


def _state_path(out: Path, student: str, notebook: str) -> Path:
    return out / ".state" / student / f"{notebook}.json"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _load_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _setup_log(out: Path) -> logging.Handler:
    handler = logging.FileHandler(out / "grading.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def grade_class(
    submissions: str | Path,
    out: str | Path,
    *,
    jobs: int = 1,
    options: GradeOptions = GradeOptions(),
    names: list[str] | None = None,
    shard: tuple[int, int] | None = None,
    db_url: str | None = None,
    formats: tuple = ("csv",),
    progress: bool = True,
    force: bool = False,
) -> list[NotebookResult]:
    """Grade every student under ``submissions`` into ``out``; returns the rendered results."""
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    handler = _setup_log(out)
    try:
        course = load_course(options.course_root, names)
        log.info("grading %s into %s: notebooks %s, jobs %d, shard %s", submissions, out, ", ".join(course), jobs, shard)
        found = discover(submissions, sorted(set(released(options.course_root)) | set(course)))
        for message in found.warnings:
            log.warning("%s", message)
        for name, reason in found.rejected:
            log.warning("REJECTED %s: %s", name, reason)
            print(f"rejected {name}: {reason}", file=sys.stderr)
        students = sorted(found.submissions)
        if shard is not None:
            index, count = shard
            students = [s for s in students if shard_of(s, count) == index]
        pairs = [(s, a) for s in students for a in course]
        todo = []
        for student, assignment in pairs:
            sub = found.submissions[student]
            key = input_key(course, assignment, sub.notebooks, options)
            state = None if force else _load_state(_state_path(out, student, assignment))
            if state is not None and state.get("key") == key:
                continue
            todo.append((student, assignment, key))
        log.info("%d notebooks, %d already graded with the same input", len(pairs), len(pairs) - len(todo))
        forbidden = [str(out), str(submissions)]
        if db_url and db_url.startswith("sqlite:///"):
            forbidden.append(str(Path(db_url[len("sqlite:///"):]).resolve().parent))
        _run_pairs(todo, found.submissions, course, out, jobs, options, forbidden, progress)
        results = render(out, course, pairs, formats=formats, db_url=db_url)
        table = summary_table(results, course)
        log.info("summary\n%s", table)
        print(table)
        return results
    finally:
        log.removeHandler(handler)
        handler.close()


def _run_pairs(todo, submissions: dict, course, out: Path, jobs: int, options: GradeOptions, forbidden, progress: bool) -> None:
    if not todo:
        return
    start_fork_server()
    workroot = out / ".work"  # staging for the sandboxes; a killed run's leftovers go now
    shutil.rmtree(workroot, ignore_errors=True)
    workroot.mkdir(mode=0o700)
    slots = list(range(max(1, jobs)))
    slot_lock = threading.Lock()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="nb", desc="grading", file=sys.stderr, dynamic_ncols=True)

    def work(item):
        student, assignment, key = item
        with slot_lock:
            slot = slots.pop()
        try:
            sub: Submission = submissions[student]
            started = time.monotonic()
            result = grade_one(course, assignment, student, sub.notebooks, sub.problems, options=options,
                               slot=slot, workroot=workroot, forbidden=forbidden)
            for note in result.notes:
                log.warning("%s/%s: %s", student, assignment, note)
            log.info("%s/%s: %s %g/%g %s (%.2f s)", student, assignment, result.status, result.score,
                     result.max_score, result.detail, time.monotonic() - started)
            state = {"key": key, "result": asdict(result)}
            _write_atomic(_state_path(out, student, assignment), json.dumps(state, sort_keys=True, indent=1))
            return result
        finally:
            with slot_lock:
                slots.append(slot)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(work, item) for item in todo]
            for future in as_completed(futures):
                try:
                    future.result()
                except Exception:  # noqa: BLE001 - a grader bug: logged, that pair stays ungraded
                    log.exception("grading failed")
                    raise
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        shutil.rmtree(workroot, ignore_errors=True)


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------


def render(out: Path, course: dict, pairs: list, *, formats=("csv",), db_url: str | None = None) -> list[NotebookResult]:
    """Write grades.csv, report.json, integrity.csv, feedback (and results.json) from the states."""
    results = []
    for student, assignment in sorted(pairs):
        state = _load_state(_state_path(out, student, assignment))
        if state is None:
            raise RuntimeError(f"no grade for {student}/{assignment}: run the grade command again")
        results.append(NotebookResult.from_dict(state["result"]))
    _similar_pairs(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "notebook", "score", "max_score", "status"])
    for r in results:
        writer.writerow([r.student_id, r.notebook, f"{r.score:g}", f"{r.max_score:g}", r.status])
    _write_atomic(out / "grades.csv", buffer.getvalue())
    report = {
        "grader_version": GRADER_VERSION,
        "notebooks": {
            name: {
                "max_score": _r(nb.max_score),
                "tests": [{"grade_id": t.grade_id, "points": t.points, "hidden_test": t.hidden_number}
                          for t in nb.tests.values()],
            }
            for name, nb in sorted(course.items())
        },
        "results": [
            {k: v for k, v in asdict(r).items() if k not in ("notes", "fingerprint")} for r in results
        ],
    }
    _write_atomic(out / "report.json", json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "notebook", "kind", "detail"])
    rows = sorted({(r.student_id, r.notebook, k, d) for r in results for k, d in r.integrity})
    writer.writerows(rows)
    _write_atomic(out / "integrity.csv", buffer.getvalue())
    by_student: dict[str, list[NotebookResult]] = {}
    for r in results:
        by_student.setdefault(r.student_id, []).append(r)
    for student, mine in by_student.items():
        for r in mine:
            _write_atomic(out / "feedback" / student / f"{r.notebook}.html", feedback_html(r, course[r.notebook]))
        if "gradescope" in formats:
            _write_atomic(out / "gradescope" / student / "results.json",
                          json.dumps(gradescope_results(mine, course), indent=1, sort_keys=True) + "\n")
    if db_url != "none":
        write_gradebook(db_url or f"sqlite:///{out / 'gradebook.db'}", course, results)
    return results


def _similar_pairs(results: list[NotebookResult]) -> None:
    """Add a hint to both students of every pair whose answers are the same up to names and layout."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in results:
        if r.fingerprint:
            groups.setdefault((r.notebook, r.fingerprint), []).append(r.student_id)
    index = {(r.student_id, r.notebook): r for r in results}
    for (notebook, _), students in groups.items():
        if len(students) < 2:
            continue
        for student in students:
            others = " ".join(s for s in sorted(students) if s != student)
            index[(student, notebook)].integrity.append(
                ["similar_answers", f"answer cells identical (names, whitespace and comments aside) to: {others} "
                                    "(a hint to look, not a penalty)"])


_STUDENT_VISIBLE_INTEGRITY = {
    "edited_test_cell", "deleted_test_cell", "retagged_test_cell", "duplicate_test_cell",
    "unknown_test_cell", "tampering", "shadowed_name", "missing_answer_cell",
}


def _feedback_lines(test: TestResult, result: NotebookResult) -> list[str]:
    """What a student may see about one test (never hidden test code or its messages)."""
    lines = []
    if test.status == "not run":
        lines.append(f"not run: {result.detail or 'the notebook stopped before this cell'}")
    if test.status == "integrity":
        lines.append("no points: the grader's checking functions were modified before or during this test")
    if test.visible_error:
        lines.append(test.visible_error)
    if test.hidden_failed:
        lines.append(f"hidden test {test.hidden_number} failed")
    return lines


def feedback_html(result: NotebookResult, source: SourceNotebook) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(result.notebook)}: feedback for {esc(result.student_id)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}table{border-collapse:collapse}"
        "pre{white-space:pre-wrap;margin:0}.passed{color:#060}.failed,.integrity{color:#a00}</style>",
        "</head><body>",
        f"<h1>{esc(result.notebook)}</h1>",
        f"<p>Student: <b>{esc(result.student_id)}</b>. Score: <b>{result.score:g} / {result.max_score:g}</b>. "
        f"Status: <b>{esc(result.status)}</b>{(': ' + esc(source.redact(result.detail))) if result.detail else ''}.</p>",
    ]
    notes = [d for k, d in result.integrity if k in _STUDENT_VISIBLE_INTEGRITY]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th><th>details</th></tr>")
    for test in result.tests:
        details = "\n".join(_feedback_lines(test, result))
        output = f"<p>Output:</p><pre>{esc(test.output)}</pre>" if test.output else ""
        parts.append(
            f'<tr><td>{esc(test.grade_id)}</td><td>{test.score:g} / {test.max_score:g}</td>'
            f'<td class="{esc(test.status.replace(" ", "-"))}">{esc(test.status)}</td>'
            f"<td><pre>{esc(details)}</pre>{output}</td></tr>"
        )
    parts.append("</table></body></html>\n")
    return "\n".join(parts)


def gradescope_results(results: list[NotebookResult], course: dict) -> dict:
    tests = []
    for r in results:
        for t in r.tests:
            output = "\n".join(_feedback_lines(t, r) + ([t.output] if t.output else []))
            tests.append({
                "name": f"{r.notebook}: {t.grade_id}",
                "score": t.score,
                "max_score": t.max_score,
                "output": output,
                "visibility": "visible",
            })
    return {
        "score": _r(sum(r.score for r in results)),
        "output": "; ".join(f"{r.notebook}: {r.status} {r.score:g}/{r.max_score:g}" for r in results),
        "tests": tests,
    }


def summary_table(results: list[NotebookResult], course: dict) -> str:
    header = f"{'notebook':<28}{'graded':>8}{'missing':>9}{'timeout':>9}{'error':>7}{'integrity':>11}{'mean':>9}{'max':>6}"
    lines = [header, "-" * len(header)]
    for name in sorted(course):
        mine = [r for r in results if r.notebook == name]
        counts = {s: sum(r.status == s for r in mine) for s in STATUSES}
        submitted = [r.score for r in mine if r.status != "missing"]
        mean = sum(submitted) / len(submitted) if submitted else 0.0
        lines.append(
            f"{name:<28}{counts['graded']:>8}{counts['missing']:>9}{counts['timeout']:>9}{counts['error']:>7}"
            f"{counts['integrity']:>11}{mean:>9.2f}{course[name].max_score:>6g}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# nbgrader gradebook
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Shards
# ---------------------------------------------------------------------------


def merge_outputs(inputs: list[str | Path], out: str | Path, *, course_root: Path = REPO_ROOT,
                  names: list[str] | None = None, db_url: str | None = None,
                  formats=("csv",)) -> list[NotebookResult]:
    """Combine the outputs of ``--shard`` runs into one output folder."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    course = load_course(course_root, names)
    pairs = set()
    for folder in inputs:
        folder = Path(folder).resolve()
        states = folder / ".state"
        if not states.is_dir():
            raise FileNotFoundError(f"{folder} holds no grading state (.state/): is it a grade --out folder?")
        for path in sorted(states.glob("*/*.json")):
            student, notebook = path.parent.name, path.stem
            if notebook not in course:
                continue
            if (student, notebook) in pairs:
                raise ValueError(f"{student}/{notebook} was graded in two of the inputs: shards must not overlap")
            pairs.add((student, notebook))
            if folder != out:
                _write_atomic(_state_path(out, student, notebook), path.read_text(encoding="utf-8"))
    results = render(out, course, sorted(pairs), formats=formats, db_url=db_url)
    print(summary_table(results, course))
    return results
