"""Run a notebook's code cells in a forked Python process and score its graded cells.

A Jupyter kernel costs seconds to start and import torch; a process forked
from a server that has already imported torch costs milliseconds. The
scoring follows nbgrader's ``determine_grade``: a graded cell earns nothing
when it raises or writes to stderr, a number as its last expression is
partial credit, anything else earns full points.

The fork server only imports modules and never runs tensor code, so its
children start with clean OpenMP state.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import multiprocessing
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CellResult", "NotebookCell", "read_cells", "run_cells"]

# torch._dynamo is imported by the first TorchDispatchMode a graded test enters
# (2.4 s here): pay that once in the server, not once per notebook.
_PRELOAD = ["torch", "torch._dynamo", "numpy", "matplotlib", "matplotlib.pyplot", "lmtrain.checking"]


@dataclass(frozen=True)
class NotebookCell:
    cell_id: str
    cell_type: str
    source: str
    grade_id: str | None = None
    points: float = 0.0
    graded: bool = False  # an autograded test cell
    answer: bool = False  # a solution (answer) cell


@dataclass(frozen=True)
class CellResult:
    grade_id: str
    score: float
    max_score: float
    error: str = ""


def read_cells(path: str | Path) -> list[NotebookCell]:
    """The cells of a notebook with their nbgrader roles."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        cells.append(
            NotebookCell(
                cell_id=cell.get("id", f"cell-{index}"),
                cell_type=cell["cell_type"],
                source=source,
                grade_id=meta.get("grade_id"),
                points=float(meta.get("points", 0) or 0),
                graded=bool(meta.get("grade")) and not meta.get("solution") and cell["cell_type"] == "code",
                answer=bool(meta.get("solution")) and cell["cell_type"] == "code",
            )
        )
    return cells


def _partial_credit(value, max_points: float) -> float:
    """nbgrader's rule for a graded cell whose last expression has a value."""
    try:
        grade = float(repr(value))
    except (TypeError, ValueError):
        return max_points
    if grade < 0 or grade != grade:
        return 0.0
    return min(grade, max_points)


def _execute(source: str, namespace: dict, filename: str):
    """Run a cell like IPython does: the last bare expression's value is returned."""
    tree = ast.parse(source, filename=filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        return eval(compile(last, filename, "eval"), namespace)
    return None


def _run_in_child(cells: list[NotebookCell], workdir: str, connection) -> None:
    os.chdir(workdir)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # what nbgrader sets: notebooks may skip long demos
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__main__"}
    results = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        out, err = io.StringIO(), io.StringIO()
        error = ""
        value = None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                value = _execute(cell.source, namespace, f"<cell {cell.cell_id}>")
        except BaseException as exc:  # noqa: BLE001 - a cell may raise anything, SystemExit included
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if cell.graded:
            if error or err.getvalue():
                score = 0.0
                error = error or f"wrote to stderr: {err.getvalue()[:200]}"
            elif value is not None:
                score = _partial_credit(value, cell.points)
            else:
                score = cell.points
            results.append(CellResult(cell.grade_id, score, cell.points, error))
    connection.send(results)
    connection.close()


_context = None


def _fork_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_PRELOAD)
    return _context


def run_cells(cells: list[NotebookCell], workdir: str | Path, timeout: float = 120.0) -> list[CellResult]:
    """Execute ``cells`` in order in a fresh forked process; score the graded ones.

    When the process dies or runs past ``timeout`` seconds, every graded cell
    that did not report scores 0 with the reason as its error.
    """
    context = _fork_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run_in_child, args=(cells, str(workdir), sender), daemon=True)
    process.start()
    sender.close()
    results = None
    reason = ""
    if receiver.poll(timeout):
        try:
            results = receiver.recv()
        except EOFError:
            reason = "the notebook's process died before it finished"
    else:
        reason = f"the notebook ran past {timeout:g} s"
    if process.is_alive():
        process.kill()
    process.join()
    if results is None:
        reason = reason or f"the notebook's process exited with code {process.exitcode}"
        results = [CellResult(c.grade_id, 0.0, c.points, reason) for c in cells if c.graded]
    return results
