"""The nbgrader notebook format of this workbook: cells, their roles, and the markers inside them.

Every reader of a notebook (the answer loader, the release, the grader, the
tests and the benchmarks) goes through this module, so a cell's role and the
meaning of a marker line are decided in one place.

Roles (from the cell's ``metadata.nbgrader``):

* ``answer``: a code cell the student writes (``solution: true``);
* ``graded``: an autograded test cell (``grade: true``, not a solution);
* ``provided``: any other code cell (imports, demos, visible checks);
* ``markdown``: prose (a markdown cell with nbgrader metadata keeps its role
  ``markdown``; ``manual`` tells whether it is a hand-graded answer).

Marker lines are matched by one rule, :func:`marker_of`: the stripped line is
exactly ``### NAME`` or, for sections, ``### NAME: description``. A graded
cell is a sequence of *segments* (visible, or hidden between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``), and each segment a
sequence of *sections*:

* ``### SETUP``: builds inputs; runs in the grader *and* beside the student's code;
* ``### DRIVE``: calls the student's code; runs only beside it (in the sandbox),
  and the names it binds at top level are sent back as plain data;
* ``### CHECK``: compares those results with the reference; runs only in the grader.

In JupyterLab the markers are comments and the cell runs top to bottom as
usual. A graded segment without section markers is one legacy ``drive``
section that passes when it raises nothing.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "BEGIN_HIDDEN",
    "END_HIDDEN",
    "BEGIN_SOLUTION",
    "END_SOLUTION",
    "SECTION_KINDS",
    "Cell",
    "Section",
    "NotebookFormatError",
    "marker_of",
    "looks_like_marker",
    "cell_source",
    "nbgrader_meta",
    "read_cells",
    "cells_of",
    "split_hidden",
    "split_sections",
    "graded_sections",
    "bound_names",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
SECTION_KINDS = ("setup", "drive", "check")

_PLAIN_MARKERS = {
    BEGIN_SOLUTION: "begin_solution",
    END_SOLUTION: "end_solution",
    BEGIN_HIDDEN: "begin_hidden",
    END_HIDDEN: "end_hidden",
}
_SECTION_MARKER = re.compile(r"^### (SETUP|DRIVE|CHECK)(?:: (\S.*))?$")
# Anything an instructor may have meant as a marker: used by the release test to insist on the
# canonical spelling, so nbgrader (which hides any line *containing* "BEGIN HIDDEN TESTS") and
# this module can never disagree about what is hidden.
_MARKER_LIKE = re.compile(r"#.*\b(BEGIN|END)\s+(HIDDEN|SOLUTION)", re.IGNORECASE)
_SECTION_LIKE = re.compile(r"#+\s*(SETUP|DRIVE|CHECK)")


class NotebookFormatError(ValueError):
    """A notebook (or one of its cells) does not follow the workbook's format."""


def marker_of(line: str) -> tuple[str, str] | None:
    """``(kind, description)`` when ``line`` is a marker line, else None.

    kinds: begin_solution, end_solution, begin_hidden, end_hidden, setup, drive, check.
    """
    stripped = line.strip()
    plain = _PLAIN_MARKERS.get(stripped)
    if plain is not None:
        return plain, ""
    match = _SECTION_MARKER.match(stripped)
    if match:
        return match.group(1).lower(), (match.group(2) or "").strip()
    return None


def looks_like_marker(line: str) -> bool:
    """True for a line of code that resembles a marker (canonical or not)."""
    return bool(_MARKER_LIKE.search(line) or _SECTION_LIKE.search(line))


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbgrader if isinstance(nbgrader, dict) else {}


@dataclass(frozen=True)
class Cell:
    index: int
    cell_id: str
    cell_type: str  # code | markdown | raw
    role: str  # answer | graded | provided | markdown
    source: str
    grade_id: str | None = None
    points: float = 0.0
    manual: bool = False  # a hand-graded markdown answer

    @property
    def key(self) -> str:
        """What identifies the cell across source, release and submission."""
        return self.grade_id or self.cell_id


def _points(meta: dict) -> float:
    try:
        return float(meta.get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def cells_of(notebook: dict) -> list[Cell]:
    """The cells of a parsed notebook with their roles."""
    cells = []
    for index, raw in enumerate(notebook.get("cells", [])):
        if not isinstance(raw, dict):
            continue
        meta = nbgrader_meta(raw)
        cell_type = raw.get("cell_type") if isinstance(raw.get("cell_type"), str) else "raw"
        grade_id = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        cell_id = raw.get("id") if isinstance(raw.get("id"), str) else f"cell-{index}"
        solution, grade = bool(meta.get("solution")), bool(meta.get("grade"))
        if cell_type == "code":
            role = "answer" if solution else ("graded" if grade else "provided")
        else:
            role = "markdown" if cell_type == "markdown" else "raw"
        cells.append(Cell(index, cell_id, cell_type, role, cell_source(raw), grade_id, _points(meta),
                          manual=cell_type == "markdown" and solution and grade))
    return cells


def read_cells(path: str | Path) -> list[Cell]:
    """The cells of the notebook file at ``path``."""
    path = Path(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotebookFormatError(f"{path} is not a readable notebook ({exc})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookFormatError(f"{path} is JSON but not a Jupyter notebook (no list of cells)")
    return cells_of(notebook)


@dataclass(frozen=True)
class Section:
    kind: str  # setup | drive | check
    source: str
    hidden: bool
    description: str = ""  # public text for a hidden section ("values for 4-D batches")
    marked: bool = True  # False: a legacy segment without section markers
    first_line: int = 1  # 1-based line of the section's first code line in the cell


def split_hidden(source: str) -> list[tuple[bool, str]]:
    """A cell's text as ``(hidden, text)`` segments, the hidden-test markers removed.

    Lines keep their numbers' order; empty segments are dropped.
    """
    segments: list[tuple[bool, list[str]]] = [(False, [])]
    for line in source.splitlines(keepends=True):
        marker = marker_of(line)
        if marker and marker[0] == "begin_hidden":
            segments.append((True, []))
        elif marker and marker[0] == "end_hidden":
            segments.append((False, []))
        else:
            segments[-1][1].append(line)
    return [(hidden, "".join(lines)) for hidden, lines in segments if "".join(lines).strip()]


def _is_comment_or_blank(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in text.splitlines())


def split_sections(source: str, hidden: bool = False) -> list[Section]:
    """One segment's sections. Text before the first section marker may only be comments."""
    lines = source.splitlines(keepends=True)
    starts = [(i, marker_of(line)) for i, line in enumerate(lines)]
    starts = [(i, m) for i, m in starts if m and m[0] in SECTION_KINDS]
    if not starts:
        return [Section("drive", source, hidden, marked=False)]
    head = "".join(lines[: starts[0][0]])
    if not _is_comment_or_blank(head):
        raise NotebookFormatError(
            "code before the first ### SETUP / ### DRIVE / ### CHECK marker of a graded cell: "
            f"put it in a section ({head.strip().splitlines()[0][:80]!r})")
    sections = []
    for n, (start, (kind, description)) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        # blank lines in place of the lines above keep tracebacks' line numbers those of the segment
        text = "\n" * (start + 1) + "".join(lines[start + 1: end])
        sections.append(Section(kind, text, hidden, description, True, start + 2))
    return sections


def graded_sections(source: str) -> list[Section]:
    """Every section of a graded cell, visible and hidden, in order.

    A hidden setup or drive section without a description takes the one of
    the next hidden check: the property it serves is what a student is told
    failed.
    """
    sections = []
    for hidden, text in split_hidden(source):
        sections.extend(split_sections(text, hidden))
    described = []
    for index, section in enumerate(sections):
        if section.hidden and not section.description:
            following = next((s.description for s in sections[index + 1:] if s.hidden and s.kind == "check"
                              and s.description), "")
            section = replace(section, description=following)
        described.append(section)
    return described


class _TopLevelBindings(ast.NodeVisitor):
    """Names a piece of module-level code binds, not looking inside functions, classes or lambdas."""

    def __init__(self):
        self.names: list[str] = []

    def _add(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store):
            self._add(node.id)

    def visit_FunctionDef(self, node):
        self._add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Lambda(self, node):
        pass

    def visit_ListComp(self, node):
        pass

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def visit_Import(self, node):
        for alias in node.names:
            self._add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_NamedExpr(self, node):
        self._add(node.target.id)
        self.visit(node.value)


#: CPython 3.11 counts the AST converter's recursion depth per interpreter, not per thread, so two
#: threads converting trees at once can fail with "SystemError: AST constructor recursion depth
#: mismatch" (python/cpython#106905; seen with `grade --jobs 2`). Every parse into Python AST
#: objects and every compile of such a tree in this code goes through this one lock.
AST_LOCK = threading.RLock()


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, safe to call from several threads at once (see :data:`AST_LOCK`)."""
    with AST_LOCK:
        return ast.parse(source, filename=filename)


def compile_tree(tree: ast.AST, filename: str, mode: str):
    """``compile`` of an AST object, safe to call from several threads at once (see :data:`AST_LOCK`)."""
    with AST_LOCK:
        return compile(tree, filename, mode)


def bound_names(source: str, *, values_only: bool = False) -> list[str]:
    """Names that ``source`` binds at module level, in order of first binding.

    ``values_only`` leaves out functions, classes and imports (what a drive
    section sends back is data, never code).
    """
    tree = parse_python(source)
    visitor = _TopLevelBindings()
    for node in tree.body:
        if values_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                             ast.Import, ast.ImportFrom)):
            continue
        visitor.visit(node)
    return visitor.names
