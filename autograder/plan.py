"""What to run for one submitted notebook, and what the submission changed.

The graded test cells always come from the source notebook (``solutions/``,
hidden tests included), never from the submission: a test cell the student
deleted is put back where it was, an edited or re-tagged one is replaced, and
each such change is reported for ``integrity.csv``. Everything else (answer
cells, the student's own scratch cells) runs as submitted, in the
submission's order.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import dataclass, field

from nbformat import from_dict
from nbgrader.utils import compute_checksum

from lmtrain.notebook import (
    NotebookFormatError,
    Section,
    bound_names,
    cell_source,
    graded_sections,
    nbgrader_meta,
    parse_python,
)

from .demo_cells import demo_sources, drop_unused_demo_cells
from .integrity import scan_plan

__all__ = [
    "SourceNotebook",
    "PlannedCell",
    "Plan",
    "NotebookFormatError",
    "load_notebook_json",
    "plan_submission",
    "answer_fingerprint",
    "is_unanswered",
]

#: Answer text beyond this is not parsed for the similarity hint (an answer of this course is a few kB).
MAX_ANSWER_CHARS = 200_000

#: A submitted notebook larger than this is not read (a notebook of this course is ~50 kB).
MAX_NOTEBOOK_BYTES = 20 * 2**20


def load_notebook_json(data: bytes) -> dict:
    """Parse a notebook's bytes; :class:`NotebookFormatError` says why it cannot be graded."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookFormatError(f"the notebook is {len(data)} bytes, more than the {MAX_NOTEBOOK_BYTES} allowed")
    try:
        notebook = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookFormatError(f"the notebook is not UTF-8 text ({exc.reason})") from None
    except ValueError as exc:
        raise NotebookFormatError(f"the notebook is not valid JSON ({exc})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookFormatError("the file is JSON but not a Jupyter notebook (no list of cells)")
    cells = [c for c in notebook["cells"] if isinstance(c, dict)]
    if len(cells) != len(notebook["cells"]):
        raise NotebookFormatError("the notebook has cells that are not JSON objects")
    return notebook


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    points: float
    sections: tuple  # lmtrain.notebook.Section, visible and hidden, in order
    hidden_number: int  # 1-based among the notebook's cells with hidden tests; 0 if none
    visible_source: str  # the release's text of this cell
    release_checksum: str | None
    source_index: int

    @property
    def helper(self) -> bool:
        """A 0-point cell of definitions the later graded cells share (hidden ones included)."""
        return self.points == 0

    def exports(self, index: int) -> list[str]:
        """The names drive section ``index`` must send back: those a later check of this cell reads."""
        return list(self._exports[index])

    @functools.cached_property
    def _exports(self) -> tuple:
        """Worked out once per loaded source notebook, not at every drive of every submission."""
        return tuple(tuple(self._names_sent_back(index)) for index in range(len(self.sections)))

    def _names_sent_back(self, index: int) -> list[str]:
        drive = self.sections[index]
        if drive.kind != "drive" or not drive.marked:
            return []
        bound = set(bound_names(drive.source, values_only=True))
        # what the grader's own setup built stays the grader's: a drive cannot send back an input
        for section in self.sections:
            if section.kind == "setup":
                bound -= set(bound_names(section.source))
        wanted: list[str] = []
        for later in self.sections[index + 1:]:
            if later.kind != "check":
                continue
            for name in _loaded_names(later.source):
                if name in bound and name not in wanted:
                    wanted.append(name)
        return wanted


def _loaded_names(source: str) -> list[str]:
    names = []
    for node in ast.walk(parse_python(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in names:
            names.append(node.id)
    return names


@dataclass
class SourceNotebook:
    """The instructor's side of one assignment: source (with hidden tests) and release."""

    name: str
    source: dict
    release: dict
    tests: dict = field(default_factory=dict)  # grade_id -> TestCell, notebook order
    answers: list = field(default_factory=list)  # answer grade_ids in order
    provided: str = ""  # imports, defs and classes of the instructor's other code cells
    hidden_lines: frozenset = frozenset()  # stripped lines of hidden test code (for redaction)
    order: list = field(default_factory=list)  # ids/grade_ids of the source cells, in order
    manual: list = field(default_factory=list)  # (grade_id, points) of hand-graded written answers
    demos: dict = field(default_factory=dict)  # cell id -> release text of the demo cells (autograder.demo_cells)
    digest: str = ""

    @classmethod
    def load(cls, name: str, source_bytes: bytes, release_bytes: bytes) -> "SourceNotebook":
        source = json.loads(source_bytes)
        release = json.loads(release_bytes)
        self = cls(name=name, source=source, release=release)
        self.digest = hashlib.sha256(source_bytes + b"\0" + release_bytes).hexdigest()
        release_cells = {}
        for cell in release["cells"]:
            gid = nbgrader_meta(cell).get("grade_id")
            if gid:
                release_cells[gid] = cell
        provided_nodes: list[str] = []
        hidden_lines: set[str] = set()
        hidden_number = 0
        for index, cell in enumerate(source["cells"]):
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            self.order.append(gid or cell.get("id") or f"cell-{index}")
            if cell.get("cell_type") != "code":
                if meta.get("grade") and meta.get("solution") and gid:
                    self.manual.append((gid, float(meta.get("points", 0) or 0)))
                continue
            text = cell_source(cell)
            if meta.get("solution"):
                self.answers.append(gid)
            elif meta.get("grade"):
                sections = graded_sections(text)
                has_hidden = any(section.hidden for section in sections)
                if has_hidden:
                    hidden_number += 1
                    for section in sections:
                        if section.hidden:
                            hidden_lines.update(
                                line.strip() for line in section.source.splitlines() if len(line.strip()) >= 12
                            )
                released = release_cells.get(gid, {})
                self.tests[gid] = TestCell(
                    grade_id=gid,
                    points=float(meta.get("points", 0) or 0),
                    sections=tuple(sections),
                    hidden_number=hidden_number if has_hidden else 0,
                    visible_source=cell_source(released),
                    release_checksum=nbgrader_meta(released).get("checksum"),
                    source_index=index,
                )
            else:
                try:
                    tree = parse_python(text)
                except SyntaxError:
                    continue
                keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                provided_nodes.extend(ast.unparse(node) for node in tree.body if isinstance(node, keep))
        self.provided = "\n".join(provided_nodes) + ("\n" if provided_nodes else "")
        # lines that also appear in the release are public: never redact those
        public = {line.strip() for cell in release["cells"] for line in cell_source(cell).splitlines()}
        self.hidden_lines = frozenset(hidden_lines - public)
        self.demos = demo_sources(source, release)
        return self

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())

    @property
    def helper_sections(self) -> list[tuple[str, Section]]:
        """(grade_id, section) of every helper cell, in notebook order."""
        return [(t.grade_id, s) for t in self.tests.values() if t.helper for s in t.sections]

    def redact(self, text: str) -> str:
        """Remove every line that quotes hidden test code."""
        if not text or not self.hidden_lines:
            return text
        lines = []
        for line in text.splitlines():
            if any(h in line for h in self.hidden_lines):
                lines.append("[line removed: it quotes a hidden test]")
            else:
                lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class PlannedCell:
    """One cell to run for a submission (the grader's side: it never crosses to the sandbox as it is)."""

    kind: str
    """``code`` (a cell of the student's own), ``answer`` (an answer cell) or ``graded`` (a test cell)."""

    name: str
    """The cell's grade id, else its cell id, else ``cell-N``: names it in results and tracebacks."""

    source: str = ""
    """The code of a ``code`` or ``answer`` cell, as submitted (a graded cell's code is in ``test``)."""

    test: TestCell | None = None
    """The source notebook's test cell a ``graded`` cell runs, hidden sections included (None for the others)."""


@dataclass
class Plan:
    cells: list  # PlannedCell, in the order to run
    integrity: list  # (kind, detail)
    findings: list = field(default_factory=list)  # autograder.integrity.Finding of the submission's own cells


def _cell_key(cell: dict) -> tuple[str | None, str | None]:
    return nbgrader_meta(cell).get("grade_id"), cell.get("id")


def plan_submission(source: SourceNotebook, submission: dict) -> Plan:
    """The cells to run for ``submission`` and the changes it made to test cells."""
    notes: list[tuple[str, str]] = []
    plan: list[PlannedCell] = []
    origin: list[str | None] = []  # the source id/grade_id each planned cell stands for
    seen: set[str] = set()
    release_meta = {k: t for k, t in source.tests.items()}
    for index, cell in enumerate(submission["cells"]):
        if cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        gid, cid = _cell_key(cell)
        text = cell_source(cell)
        test_key = gid if gid in source.tests else (cid if cid in source.tests else None)
        if test_key is not None:
            if test_key in seen:
                notes.append(("duplicate_test_cell", f"a second copy of test cell {test_key} was not run"))
                continue
            seen.add(test_key)
            test = release_meta[test_key]
            if gid != test_key or not meta.get("grade") or meta.get("solution") or float(meta.get("points", 0) or 0) != test.points:
                notes.append(("retagged_test_cell", f"test cell {test_key}: its nbgrader metadata was changed; restored"))
            edited = text.strip() != test.visible_source.strip()
            if not edited and test.release_checksum:
                try:
                    if compute_checksum(from_dict(cell)) != test.release_checksum and gid == test_key and meta.get("grade"):
                        edited = True
                except Exception:  # noqa: BLE001 - malformed metadata: counted as re-tagged above
                    pass
            if edited:
                notes.append(("edited_test_cell", f"test cell {test_key}: its code was changed; the original was run"))
            plan.append(_test_entry(test))
            origin.append(test_key)
            continue
        if meta.get("grade") and not meta.get("solution"):
            notes.append(("unknown_test_cell", f"cell {gid or cid or index} claims to be a test cell; run as ordinary code"))
        kind = "answer" if meta.get("solution") and gid in source.answers else "code"
        plan.append(PlannedCell(kind, gid or cid or f"cell-{index}", source=text))
        origin.append(gid if gid in source.answers else cid)
    for gid, test in source.tests.items():
        if gid in seen:
            continue
        notes.append(("deleted_test_cell", f"test cell {gid} was missing from the submission; restored"))
        position = _insert_position(source, test, origin)
        plan.insert(position, _test_entry(test))
        origin.insert(position, gid)
    for gid in source.answers:
        if gid not in origin:
            notes.append(("missing_answer_cell", f"answer cell {gid} is not in the submission"))
    cells = _drop_trailing_cells(plan)
    findings = scan_plan(cells, source.answers, source.provided)  # demo cells included: they run in the notebook
    return Plan(drop_unused_demo_cells(cells, source.demos, source.provided), notes, findings)


def _test_entry(test: TestCell) -> PlannedCell:
    return PlannedCell("graded", test.grade_id, test=test)


def _drop_trailing_cells(plan: list[PlannedCell]) -> list[PlannedCell]:
    """Cells after the last graded cell cannot change a grade (a training run, a demo): not run."""
    last = max((i for i, cell in enumerate(plan) if cell.kind == "graded"), default=-1)
    return plan[: last + 1]


def _insert_position(source: SourceNotebook, test: TestCell, origin: list) -> int:
    """Right after the planned cell standing for the nearest earlier source cell."""
    for earlier in reversed(source.order[: test.source_index]):
        if earlier in origin:
            return origin.index(earlier) + 1
    return 0


# ---- similar answers ---------------------------------------------------------


class _Canonical(ast.NodeTransformer):
    """Rename every local identifier to its order of first appearance."""

    def __init__(self, keep: set[str]):
        self.names: dict[str, str] = {}
        self.keep = keep

    def _rename(self, name: str) -> str:
        if name in self.keep:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        node.id = self._rename(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._rename(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node):
        node.returns = None
        node.body = _drop_docstring(node.body)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        node.body = _drop_docstring(node.body)
        self.generic_visit(node)
        return node


def _drop_docstring(body: list) -> list:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[1:] or [ast.Pass()]
    return body


def is_unanswered(submission: dict, source: SourceNotebook) -> bool:
    """True when every answer cell (code or written) of the submission is still the release's stub."""
    stubs = {nbgrader_meta(c).get("grade_id"): cell_source(c).strip() for c in source.release["cells"] if nbgrader_meta(c).get("solution")}
    for cell in submission.get("cells", []):
        gid = nbgrader_meta(cell).get("grade_id")
        if isinstance(gid, str) and gid in stubs and cell_source(cell).strip() != stubs[gid]:
            return False
    return True


def answer_fingerprint(submission: dict, source: SourceNotebook) -> str | None:
    """A hash of the answer cells that ignores names, whitespace, comments and docstrings.

    None for an unanswered notebook (every answer still the release stub) or
    one whose answers do not parse.
    """
    import builtins

    texts = []
    stubs = {(nbgrader_meta(c).get("grade_id")): cell_source(c) for c in source.release["cells"] if nbgrader_meta(c).get("solution")}
    answered = False
    for cell in submission.get("cells", []):
        gid = nbgrader_meta(cell).get("grade_id")
        if cell.get("cell_type") != "code" or not nbgrader_meta(cell).get("solution") or gid not in source.answers:
            continue
        text = cell_source(cell)
        if text.strip() != stubs.get(gid, "").strip():
            answered = True
        texts.append(text)
    if not answered:
        return None
    keep = set(dir(builtins)) | set(source.answers)
    if sum(len(t) for t in texts) > MAX_ANSWER_CHARS:
        return None  # parsing is bounded: a huge answer gets no similarity hint
    try:
        trees = [parse_python(t) for t in texts]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    # one numbering per top-level statement: a renamed parameter in one function must not shift
    # the numbers in the next
    try:
        dumped = [
            ast.dump(_Canonical(keep).visit(node), annotate_fields=False, include_attributes=False)
            for tree in trees for node in tree.body
        ]
    except (RecursionError, MemoryError):
        return None
    return hashlib.sha256("\n".join(dumped).encode()).hexdigest()
