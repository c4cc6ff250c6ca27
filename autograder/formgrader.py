"""The graded notebooks where formgrader opens them, in the course folder of the instructor lab.

Formgrader lists an assignment's submissions from the gradebook, counts the folders
``submitted/<student>/<notebook>/`` and opens ``autograded/<student>/<notebook>/<notebook>.ipynb``
to grade it by hand (git ignores both folders). The notebook written there is the student's, made
safe to show on the lab's own web page: no outputs (a student's output can be any HTML, and it
came from their run, not the grader's), and the nbgrader roles of the release (a cell the student
re-tagged or copied loses its role, test cells are the release's, graded cells the student deleted
come back at the end), so every cell formgrader asks the gradebook about is there. The
``submitted/`` folders stay empty: nbgrader's own autograder, which would run the student's code
outside the sandbox, finds nothing to run there.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from lmtrain.notebook import nbgrader_meta

from .plan import SourceNotebook
from .scoring import NotebookResult
from .state import write_atomic

__all__ = ["FOLDERS", "formgrader_notebook", "write_formgrader_notebooks"]

#: The folders formgrader reads, at the top of the course folder.
FOLDERS = ("submitted", "autograded")


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def _cell(cell_type: str, source: str, nbgrader: dict | None) -> dict:
    cell = {"cell_type": cell_type, "metadata": {"nbgrader": copy.deepcopy(nbgrader)} if nbgrader else {},
            "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def formgrader_notebook(submitted: bytes | None, source: SourceNotebook) -> dict:
    """The notebook formgrader shows for one submission (``submitted``: the file graded; None or
    unreadable: the release's cells, after a note that says so)."""
    release = source.release
    roles = {}
    for cell in release["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and (nbgrader_meta(cell).get("solution") or nbgrader_meta(cell).get("grade")):
            roles[gid] = cell
    try:
        cells = json.loads(submitted)["cells"] if submitted is not None else None
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        cells = None
    shown = []
    if cells is None:
        shown.append(_cell("markdown", "*The file handed in could not be read as a notebook: these are the "
                                       "release's cells.*", None))
        cells = release["cells"]
    seen = set()
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in roles and gid not in seen:
            seen.add(gid)
            released = roles[gid]
            text = _text(cell.get("source")) if nbgrader_meta(released).get("solution") else _text(released.get("source"))
            shown.append(_cell(released["cell_type"], text, nbgrader_meta(released)))
        else:
            shown.append(_cell(cell["cell_type"], _text(cell.get("source")), None))
    for gid, released in roles.items():
        if gid not in seen:
            shown.append(_cell(released["cell_type"], _text(released.get("source")), nbgrader_meta(released)))
    for index, cell in enumerate(shown):
        cell["id"] = f"cell-{index}"
    return {"cells": shown, "metadata": copy.deepcopy(release.get("metadata", {})), "nbformat": 4,
            "nbformat_minor": max(5, int(release.get("nbformat_minor", 5)))}


def write_formgrader_notebooks(root: Path, course: dict, results: list[NotebookResult], notebooks: dict) -> None:
    """Write what formgrader needs under ``root`` for every (student, notebook) of ``results``;
    ``notebooks``: student -> {notebook: the bytes graded}. A notebook now missing is taken away."""
    for r in results:
        folders = [Path(root) / folder / r.student_id / r.notebook for folder in FOLDERS]
        if r.status == "missing":
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        submitted, autograded = folders
        submitted.mkdir(parents=True, exist_ok=True, mode=0o700)
        shown = formgrader_notebook(notebooks.get(r.student_id, {}).get(r.notebook), course[r.notebook])
        write_atomic(autograded / f"{r.notebook}.ipynb", json.dumps(shown, indent=1, ensure_ascii=False) + "\n")
