"""``make check``: run copies of a student's notebooks and report each graded cell's visible checks.

Each notebook runs top to bottom in a fresh kernel (nbclient, which Jupyter itself uses), as a copy
in a temporary folder laid out as the edition is, with copies of the other notebooks, so that the
loader's ``from_notebooks`` sees the student's earlier answers; the student's files are never written.
Errors do not stop a run: every graded cell gets a verdict, so a half-done notebook reports
what passes, what fails (the check's own message) and what is not answered yet.

Only the visible checks run here. The hidden tests are added when a hand-in is graded, so the
points printed are the points at stake, not a grade.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .manifest import (
    EDITIONS,
    NotebookManifest,
    Task,
    answer_sources,
    course_total,
    edition_folder,
    is_unanswered,
    load_manifest,
    select_notebooks,
)
from .notebook import cells_of

__all__ = ["CellVerdict", "NotebookReport", "check_notebook", "format_report", "main"]

CELL_TIMEOUT = 120.0  # seconds per cell: the grader's default (python -m autograder grade --cell-timeout)
_MESSAGE_LINES = 4  # of a failing check's message: enough for "expected ... got ..." and its hint


@dataclass(frozen=True)
class CellVerdict:
    grade_id: str
    points: float
    status: str  # passed | failed | unanswered | not run
    message: str = ""


@dataclass(frozen=True)
class NotebookReport:
    manifest: NotebookManifest
    verdicts: dict  # grade id -> CellVerdict (graded cells, and answer cells that raised)
    unanswered: frozenset  # answer grade ids still as released
    seconds: float
    problem: str = ""  # why the notebook could not be run to the end (kernel died, unreadable file)


def _error_of(cell: dict) -> tuple[str, str] | None:
    """(exception name, message) of the error a cell's run produced, if any."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "Error"), str(output.get("evalue", ""))
    return None


def _message(ename: str, evalue: str) -> str:
    lines = [line.rstrip() for line in evalue.strip().splitlines() if line.strip()]
    if len(lines) > _MESSAGE_LINES:
        lines = lines[:_MESSAGE_LINES] + ["..."]
    text = "\n".join(lines)
    return f"{ename}: {text}" if text else ename


def _kernel_spec_dir(scratch: Path) -> Path:
    """A kernel spec that runs this very Python: a ``python3`` spec elsewhere on the machine
    (another environment's, found first in the user's Jupyter folder) would lack the course's packages."""
    folder = scratch / "jupyter"
    spec = folder / "kernels" / "lmtrain-check"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lmtrain check", "language": "python",
    }), encoding="utf-8")
    return folder


def _run(text: str, cwd: Path, cell_timeout: float) -> tuple[dict, str]:
    """Execute the notebook ``text`` in ``cwd``: the notebook with its outputs, and why it stopped early ("")."""
    import subprocess

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    node = nbformat.reads(text, as_version=4)
    client = NotebookClient(node, timeout=cell_timeout, allow_errors=True, interrupt_on_timeout=True,
                            kernel_name="lmtrain-check", resources={"metadata": {"path": str(cwd)}})
    problem = ""
    try:
        # The kernel's own stderr is its start-up chatter (a transport warning), never the student's output.
        client.execute(stderr=subprocess.DEVNULL)
    except DeadKernelError:
        problem = "the kernel died (out of memory, or a crash in native code); later cells did not run"
    except Exception as exc:  # noqa: BLE001 - report it and keep what ran
        problem = f"the run stopped: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return node, problem


def _verdicts(executed: dict, manifest: NotebookManifest, unanswered: set[str]) -> dict:
    by_id = {cell.grade_id: raw for cell, raw in zip(cells_of(executed), executed["cells"]) if cell.grade_id}
    points = {cell.grade_id: cell.points for task in manifest.tasks for cell in task.graded}
    owner = {cell.grade_id: task for task in manifest.tasks for cell in task.graded}
    verdicts = {}
    for grade_id, raw in by_id.items():
        error = _error_of(raw)
        if grade_id in manifest.stubs:  # an answer cell: reported only when running it raised
            if error:
                verdicts[grade_id] = CellVerdict(grade_id, 0.0, "failed", _message(*error))
            continue
        if grade_id not in points:
            continue
        task: Task = owner[grade_id]
        if raw.get("execution_count") is None and not raw.get("outputs"):
            verdicts[grade_id] = CellVerdict(grade_id, points[grade_id], "not run")
        elif error is None:
            verdicts[grade_id] = CellVerdict(grade_id, points[grade_id], "passed")
        elif error[0] == "NotImplementedError" or any(a in unanswered for a in task.answers):
            verdicts[grade_id] = CellVerdict(grade_id, points[grade_id], "unanswered", _message(*error))
        elif error[0] == "KeyboardInterrupt":
            verdicts[grade_id] = CellVerdict(grade_id, points[grade_id], "failed",
                                             "timed out: the cell ran past the time limit and was interrupted")
        else:
            verdicts[grade_id] = CellVerdict(grade_id, points[grade_id], "failed", _message(*error))
    return verdicts


def check_notebook(manifest: NotebookManifest, edition_copy: Path, cell_timeout: float = CELL_TIMEOUT) -> NotebookReport:
    """Run ``edition_copy``'s copy of the notebook (a scratch copy: it gets written) and judge its graded cells."""
    path = manifest.file(edition_copy)
    start = time.perf_counter()
    try:
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            raise ValueError("JSON, but not a Jupyter notebook (no list of cells)")
    except (OSError, ValueError) as exc:
        return NotebookReport(manifest, {}, frozenset(), 0.0, f"could not read it ({exc})")
    sources = answer_sources(notebook)
    unanswered = {gid for gid, stub in manifest.stubs.items() if gid in sources and is_unanswered(sources[gid], stub)}
    try:
        executed, problem = _run(text, path.parent, cell_timeout)
    except Exception as exc:  # noqa: BLE001 - nbformat refused it: say why, go on with the next notebook
        return NotebookReport(manifest, {}, frozenset(unanswered), 0.0, f"could not run it ({type(exc).__name__}: {exc})")
    verdicts = _verdicts(executed, manifest, unanswered)
    for task in manifest.tasks:  # a graded cell the student deleted is reported, not silently skipped
        for cell in task.graded:
            if cell.grade_id not in verdicts and not task.written:
                verdicts[cell.grade_id] = CellVerdict(cell.grade_id, cell.points, "not run",
                                                      "this graded cell is missing from your notebook")
    return NotebookReport(manifest, verdicts, frozenset(unanswered), time.perf_counter() - start, problem)


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def format_report(report: NotebookReport) -> str:
    """The terminal text of one notebook's results."""
    manifest = report.manifest
    lines = [f"{manifest.name}  ({report.seconds:.0f} s)"]
    if report.problem and not report.verdicts:
        lines.append(f"  could not check it: {report.problem}")
        return "\n".join(lines)
    passed = failed = unanswered = 0.0
    width = max((len(cell.grade_id) for task in manifest.tasks for cell in task.graded), default=0)
    for task in manifest.tasks:
        stubs = [a for a in task.answers if a in report.unanswered]
        lines.append(f"  {task.title}  [{_points(task.points)}]"
                     + (f"  not answered yet: {', '.join(stubs)} still as released" if stubs else ""))
        if task.written:
            state = "unanswered" if stubs else "answered"
            lines.append(f"    {state:<11} written answer, graded by your instructor")
            continue
        for answer in task.answers:
            raised = report.verdicts.get(answer)
            if raised is not None and answer not in report.unanswered:
                lines.append(f"    {'error':<11} your answer cell {answer} raised when it ran:")
                lines.extend("                " + line for line in raised.message.splitlines())
        for cell in task.graded:
            verdict = report.verdicts.get(cell.grade_id, CellVerdict(cell.grade_id, cell.points, "not run"))
            label = {"failed": "FAILED", "unanswered": "unanswered"}.get(verdict.status, verdict.status)
            lines.append(f"    {label:<11} {cell.grade_id:<{width}} {cell.points:>3g}")
            if verdict.status == "failed" or (verdict.status == "not run" and verdict.message):
                lines.extend("                " + line for line in verdict.message.splitlines())
            elif verdict.status == "unanswered" and not stubs:  # raised by another unfinished function
                lines.append(f"                not answered yet: {verdict.message.splitlines()[0]}")
            if verdict.status == "passed":
                passed += cell.points
            elif verdict.status == "unanswered":
                unanswered += cell.points
            else:
                failed += cell.points
    checked = passed + failed + unanswered
    lines.append(f"  visible checks pass for {passed:g} of {checked:g} points ({failed:g} failing, "
                 f"{unanswered:g} not answered yet)")
    if report.problem:
        lines.append(f"  note: {report.problem}")
    return "\n".join(lines)


def _copy_edition(folder: Path, notebooks: list[NotebookManifest], scratch: Path) -> Path:
    """Copies of the edition's notebooks (all of them: notebook 08 loads the earlier ones' answers).

    Only the notebooks: a run folder the lab left beside notebook 08 would make its training resume.
    """
    copy = scratch / folder.name
    for manifest in notebooks:
        source = manifest.file(folder)
        if source.is_file():
            manifest.file(copy).parent.mkdir(parents=True)
            shutil.copyfile(source, manifest.file(copy))
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lmtrain.check",
                                     description="Run copies of your notebooks and report the visible checks of each graded cell.")
    parser.add_argument("--notebook", default="", help="one notebook: 01, 01_cross_entropy or cross_entropy (default: all)")
    parser.add_argument("--edition", default="en", help="en (notebooks/, default) or zh (notebooks-zh/)")
    parser.add_argument("--folder", type=Path, default=None, help="check the notebooks in this folder instead of the edition's")
    parser.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT, help=f"seconds per cell (default {CELL_TIMEOUT:g})")
    args = parser.parse_args(argv)
    try:
        manifests = load_manifest()
        chosen = select_notebooks(manifests, args.notebook)
        folder = args.folder or edition_folder(args.edition)
        if not folder.is_dir():
            raise ValueError(f"{folder} does not exist")
        import nbclient  # noqa: F401 - installed with jupyterlab; say so plainly if it is not
    except (ValueError, OSError, ImportError) as exc:
        print(f"ERROR make check could not run: {exc}", file=sys.stderr)
        print("TIP run it from the top of the workbook as `make check` (NB=01 for one notebook, EDITION=zh "
              "for the Chinese edition), which sets up the course's Python first.", file=sys.stderr)
        return 2
    edition_label = "the Chinese edition" if folder.name == EDITIONS["zh"] else "the English edition"
    print(f"Checking {len(chosen)} notebook(s) of {folder.name}/ ({edition_label}). Each runs as a copy in a "
          "temporary folder:\nyour notebooks are not changed, and what they show is what you last saved.\n",
          flush=True)
    os.environ["LMTRAIN_PRESET"] = "ci"  # notebook 08's training run takes seconds, not minutes
    os.environ.setdefault("MPLBACKEND", "agg")
    passed = at_stake = 0.0
    with tempfile.TemporaryDirectory(prefix="lmtrain-check-") as scratch_name:
        scratch = Path(scratch_name)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(_kernel_spec_dir(scratch)), os.environ.get("JUPYTER_PATH")]))
        copy = _copy_edition(folder, manifests, scratch)
        for manifest in chosen:
            print(f"{manifest.name}: running ...", flush=True)
            report = check_notebook(manifest, copy, args.cell_timeout)
            print(format_report(report) + "\n", flush=True)
            for task in manifest.tasks:
                if task.written:
                    continue
                for cell in task.graded:
                    at_stake += cell.points
                    verdict = report.verdicts.get(cell.grade_id)
                    passed += cell.points if verdict is not None and verdict.status == "passed" else 0.0
    total = course_total(manifests)
    print(f"Visible checks pass for {passed:g} of the {at_stake:g} test points checked here "
          f"(the course has {total:g} points in all).")
    print("These are the visible checks only. Hidden tests run only when your hand-in is graded, so passing "
          "here is a good sign, not your grade.\nSave your notebooks in JupyterLab (File > Save All) before "
          "checking: make check reads the files as saved.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
