"""Grade a class: every student's notebooks into one output folder, resumable and exact.

Every graded (student, notebook) pair is saved at once in
``OUT/.state/<student>/<notebook>.json`` with a key that hashes everything
its grade depends on (see :mod:`autograder.grading_key`; the state's format is
:mod:`autograder.state`'s). A run skips pairs
whose state has the current key, so a killed run resumes where it stopped and
anything changed (a submission, a notebook, the grader's code, a library
version, a limit) is graded again; the final files are rendered from the
states alone, so they do not depend on the order, the number of jobs or
interruptions.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lmtrain.notebook import cells_of

from .checker import course_secret, secret_id
from .course import RELEASE_DIR, REPO_ROOT, SOURCE_DIR, assignments
from .formgrader import FOLDERS, write_formgrader_notebooks
from .gradebook import HandGrades, read_hand_grades, write_gradebook
from .grading_key import pair_key, pair_parts, run_key, run_parts
from .outputs import mark_similar_answers, render, summary_table
from .pipeline import GradeOptions, Placement, grade_one, released
from .plan import SourceNotebook
from .reuse import ReleaseGrades
from .sandbox import Limits, start_fork_server
from .scoring import NotebookResult
from .state import (graded_state, is_current, load_state, load_states, record_hand_changes, save_state, state_path,
                    write_atomic)
from .submissions import Discovery, Submission, discover, signatures_of

__all__ = ["OutputOptions", "RunOptions", "grade_class", "grade_notebook", "load_course", "merge_outputs",
           "render_class", "shard_of", "run_key", "pair_key"]

log = logging.getLogger("autograder.grade")


@dataclass(frozen=True)
class RunOptions:
    """Which (student, notebook) pairs a class run grades, and how."""

    jobs: int = 1  # notebooks graded at once, each in its own sandbox
    names: Sequence[str] | None = None  # the notebooks to grade (None: every released one)
    shard: tuple[int, int] | None = None  # (index, count): only the students of that shard (see shard_of)
    force: bool = False  # grade again the pairs whose saved grade has the current key
    progress: bool = True  # a progress bar on stderr


@dataclass(frozen=True)
class OutputOptions:
    """What a class run writes besides grades.csv, report.json, integrity.csv and the feedback."""

    formats: tuple[str, ...] = ("csv",)  # "gradescope" adds each student's results.json
    db_url: str | None = None  # the nbgrader gradebook (None: OUT/gradebook.db; "none": no gradebook)
    formgrader: str | Path | None = None  # a course folder that gets the graded notebooks for formgrader


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
        released_ids = {cell.grade_id for cell in cells_of(notebook.release)}
        stale = [gid for gid in notebook.tests if gid not in released_ids]
        if stale:
            raise RuntimeError(f"the release of {name} lacks test cells {stale}: run `python -m autograder release`")
        course[name] = notebook
    return course



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
    # one notebook: no other student's run to share the template's once-per-class work with
    options = GradeOptions(limits=limits, isolate=isolate, course_root=Path(course_root), secret=course_secret(),
                           class_cache=False)
    return grade_one(course, assignment, "student", notebooks, options=options)




def shard_of(student_id: str, count: int) -> int:
    """The shard (0 .. count-1) a student belongs to: a stable hash of the id."""
    return int(hashlib.sha256(student_id.encode("utf-8")).hexdigest(), 16) % count



def _setup_log(out: Path) -> logging.Handler:
    path = out / "grading.log"
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    # a student's text in a message (a lone surrogate, say) must not stop the log
    handler = logging.FileHandler(path, encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def grade_class(
    submissions: str | Path,
    out: str | Path,
    *,
    options: GradeOptions = GradeOptions(),
    run: RunOptions = RunOptions(),
    output: OutputOptions = OutputOptions(),
) -> list[NotebookResult]:
    """Grade every student under ``submissions`` into ``out``; returns the rendered results.

    ``output.formgrader``: a course folder (the instructor lab's is the repository) that gets the graded
    notebooks where formgrader opens them (:mod:`autograder.formgrader`); give ``output.db_url`` its gradebook.
    """
    jobs, shard, db_url, formgrader = run.jobs, run.shard, output.db_url, output.formgrader
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    previous_umask = os.umask(0o077)  # every output (the gradebook and the log included) owner-only
    out.mkdir(parents=True, exist_ok=True)
    handler = _setup_log(out)
    try:
        course = load_course(options.course_root, list(run.names) if run.names else None)
        log.info("grading %s into %s: notebooks %s, jobs %d, shard %s", submissions, out, ", ".join(course), jobs, shard)
        found = _discover(submissions, options.course_root, course)
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
        this_run = run_parts(options.course_root, options.limits, options.isolate)
        if options.secret:  # another secret, other hidden inputs: grade again
            this_run["secret"] = secret_id(options.secret)
            log.info("course secret set: every hidden input is derived from it")
        else:
            log.warning("no course secret (--secret-file or $LMTRAIN_COURSE_SECRET): hidden inputs use the "
                        "published seeds, which anyone with the repository can compute")
        for student, assignment in pairs:
            sub = found.submissions[student]
            parts = pair_parts(this_run, assignment, sub.notebooks)
            state = load_state(state_path(out, student, assignment))
            if is_current(state, parts) and not run.force:
                _refresh_files(out, state, sub, student, assignment)
                continue
            todo.append((student, assignment, parts, state))
        log.info("%d notebooks, %d already graded with the same input", len(pairs), len(pairs) - len(todo))
        forbidden = [str(out), str(submissions)]
        if db_url and db_url.startswith("sqlite:///"):
            database = Path(db_url[len("sqlite:///"):]).resolve()
            # the instructor lab's gradebook sits at the top of the course folder, which holds the
            # course package the sandbox needs: hide the file there, the whole folder elsewhere
            at_top = formgrader is not None and database.parent == Path(formgrader).resolve()
            forbidden.append(str(database if at_top else database.parent))
        if formgrader is not None:
            forbidden += [str((Path(formgrader) / folder).resolve()) for folder in FOLDERS]
        # The long-lived objects of this process (PyTorch's, nbgrader's, the course's) are set aside from
        # the collector while the class is graded and rendered: each full collection would walk them again
        # (0.1-0.3 s each, several a class).
        import lmtrain.checking  # noqa: F401 - the integrity scan reads it: imported before the freeze, not in a job

        gc.freeze()
        regrades = _run_pairs(todo, found.submissions, course, out, jobs, options, tuple(forbidden), run.progress)
        results = render_class(out, course, pairs, output)
        if formgrader is not None:
            write_formgrader_notebooks(Path(formgrader), course, results,
                                       {s: found.submissions[s].notebooks for s in students})
        table = summary_table(results, course) + _regrade_summary(regrades)
        log.info("summary\n%s", table)
        print(table)
        return results
    finally:
        gc.unfreeze()
        log.removeHandler(handler)
        handler.close()
        os.umask(previous_umask)


def _discover(submissions: Path, root: Path, course: dict) -> Discovery:
    """The class's notebooks; one handed in under another name is matched by the release's cell ids."""
    names = sorted(set(released(root)) | set(course))
    releases = {}
    for name in names:
        path = root / RELEASE_DIR / name / f"{name}.ipynb"
        releases[name] = course[name].release if name in course else json.loads(path.read_text(encoding="utf-8"))
    return discover(submissions, names, signatures_of(releases))


def _found_files(sub: Submission, assignment: str) -> dict:
    """What discovery found for one (student, notebook), as fields of its result (not inputs of its grade)."""
    return {"submitted_file": sub.files.get(assignment, ""), "file_notes": list(sub.notes.get(assignment, [])),
            "other_files": list(sub.unmatched)}


def _refresh_files(out: Path, state: dict, sub: Submission, student: str, assignment: str) -> None:
    """A grade kept from an earlier run gets this run's file notes (a renamed copy, a stray file)."""
    found = _found_files(sub, assignment)
    if all(state["result"].get(name) == value for name, value in found.items()):
        return
    state["result"].update(found)
    save_state(out, student, assignment, state)


def _regrade_summary(regrades: list[tuple[str, str, float, float]]) -> str:
    """How this run's re-grades moved the scores (regrade.csv has every test)."""
    if not regrades:
        return ""
    up = sum(new > old for _, _, old, new in regrades)
    down = sum(new < old for _, _, old, new in regrades)
    count = f"{len(regrades)} notebook" + ("s" if len(regrades) != 1 else "")
    return (f"\n\ngraded again: {count}, {up} went up, {down} went down, "
            f"{len(regrades) - up - down} kept their score (regrade.csv says which tests and why)")


def _run_pairs(todo, submissions: dict, course, out: Path, jobs: int, options: GradeOptions,
               forbidden: tuple[str, ...], progress: bool) -> list[tuple[str, str, float, float]]:
    """Grade and save each pair; returns (student, notebook, old score, new score) of every re-grade."""
    if not todo:
        return []
    start_fork_server()
    workroot = out / ".work"  # staging for the sandboxes; a killed run's leftovers go now
    shutil.rmtree(workroot, ignore_errors=True)
    workroot.mkdir(mode=0o700)
    slots = list(range(max(1, jobs)))
    slot_lock = threading.Lock()
    release_grades = ReleaseGrades()  # the blank notebooks of each assignment: graded once
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="nb", desc="grading", file=sys.stderr, dynamic_ncols=True)

    def work(item):
        student, assignment, parts, old = item
        with slot_lock:
            slot = slots.pop()
        try:
            sub: Submission = submissions[student]
            started = time.monotonic()
            result = grade_one(course, assignment, student, sub.notebooks, sub.problems, options=options,
                               placement=Placement(slot, workroot, forbidden), reuse=release_grades)
            for name, value in _found_files(sub, assignment).items():
                setattr(result, name, value)
            for note in result.notes:
                log.warning("%s/%s: %s", student, assignment, note)
            log.info("%s/%s: %s %g/%g %s (%.2f s)", student, assignment, result.status, result.score,
                     result.max_score, result.detail, time.monotonic() - started)
            state = graded_state(parts, result, old)
            regrade = state.get("regrade")
            if regrade is not None:
                log.info("%s/%s: graded again, %g -> %g (changed: %s)", student, assignment, regrade["score"],
                         result.score, ", ".join(regrade["changed"]))
            save_state(out, student, assignment, state)
            return (student, assignment, regrade["score"], result.score) if regrade is not None else None
        finally:
            with slot_lock:
                slots.append(slot)

    regrades = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(work, item) for item in todo]
            for future in as_completed(futures):
                try:
                    regrade = future.result()
                    if regrade is not None:
                        regrades.append(regrade)
                except Exception:
                    log.exception("grading failed")
                    raise
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        shutil.rmtree(workroot, ignore_errors=True)
    return sorted(regrades)




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
                write_atomic(state_path(out, student, notebook), path.read_text(encoding="utf-8"))
    results = render_class(out, course, sorted(pairs), OutputOptions(formats=formats, db_url=db_url))
    print(summary_table(results, course))
    return results


def render_class(out: Path, course: dict, pairs: list, output: OutputOptions = OutputOptions()) -> list[NotebookResult]:
    """The output files of ``pairs`` from their saved states alone (and the gradebook's hand grades);
    returns the rendered results, in sorted order. ``output.formgrader`` is not read here."""
    states = load_states(out, pairs)
    results = [NotebookResult.from_dict(state["result"]) for state in states]
    mark_similar_answers(results)
    hand: dict[tuple[str, str], HandGrades] = {}
    if output.db_url != "none":
        url = output.db_url or f"sqlite:///{out / 'gradebook.db'}"
        write_gradebook(url, course, results)
        hand = read_hand_grades(url, results)
        record_hand_changes(out, results, states, hand)
    render(out, course, results, states, hand, formats=output.formats)
    return results
