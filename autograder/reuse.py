"""One grade per class for the notebooks that run nothing but the release's code.

A notebook handed in untouched (or changed only in its text, outputs or metadata) plans the same
cells as the release itself: the same code of ours runs, on the same staged files, so every such
copy gets the grade the first one got. In a class, that is every blank notebook (the unanswered
notebooks of a partial hand-in too), each of which would otherwise cost a sandbox and a checker
worker for a grade known in advance.

What makes two notebooks "the same" for this purpose is decided on the grader's side, before
anything runs: the whole plan (every cell to run, the integrity notes, the scan's findings) equals
the release's, and, for a notebook whose code reads the student's other notebooks (through
:mod:`lmtrain.loader`, as notebook 08 trains with the student's own parts), the staged copies of
those are the same bytes too. Nothing the sandbox reports enters the decision.
"""

from __future__ import annotations

import ast
import hashlib
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lmtrain.notebook import cell_source, parse_python

from .plan import Plan, SourceNotebook, plan_submission
from .scoring import NotebookResult, Status

__all__ = ["ReleaseGrades", "reads_other_notebooks"]

#: The one module through which a notebook's code reads the student's other notebooks.
NOTEBOOK_READER = "lmtrain.loader"


def _imported_modules(tree: ast.AST, package: str | None = None) -> set[str]:
    """Modules an ``import`` in ``tree`` names, each with its parents' and its imported names' candidates
    (``from lmtrain import loader`` may import the module ``lmtrain.loader``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and package:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name}


def _module_file(name: str) -> Path | None:
    """The source file of course-package module ``name`` (None for anything else: a function's name)."""
    import lmtrain

    parts = name.split(".")
    if parts[0] != "lmtrain":
        return None
    base = Path(lmtrain.__file__).parent.joinpath(*parts[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _lmtrain_closure(modules: set[str]) -> set[str]:
    """The course-package modules among ``modules``, with every module of it they import, transitively."""
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or name in seen:
            continue
        seen.add(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo += _imported_modules(ast.parse(path.read_text(encoding="utf-8")), package)
    return seen


def reads_other_notebooks(source: SourceNotebook) -> bool:
    """Whether the code of ``source`` (any of its cells, hidden tests included) may read the student's
    other notebooks: it imports, directly or through the course package, the notebook reader, or
    names a notebook file itself. Conservative: a cell that does not parse counts as reading them."""
    imported: set[str] = set()
    for cell in source.source.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        text = cell_source(cell)
        if ".ipynb" in text:
            return True
        try:
            imported |= _imported_modules(parse_python(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
    return NOTEBOOK_READER in _lmtrain_closure(imported)


@dataclass
class ReleaseGrades:
    """The grades of release-identical notebooks of one class run, by assignment (thread-safe)."""

    _plans: dict = field(default_factory=dict)  # assignment -> (the release's own plan, reads others)
    _grades: dict = field(default_factory=dict)  # key -> the first such notebook's result
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self, source: SourceNotebook, plan: Plan, staged: Callable[[], dict[str, bytes]]) -> str | None:
        """The key under which a notebook of ``plan`` shares its grade, None when it runs code of its
        own. ``staged()``: the notebooks staged with it (name -> bytes), read only when they matter."""
        with self._lock:
            if source.name not in self._plans:
                self._plans[source.name] = (plan_submission(source, source.release), reads_other_notebooks(source))
            release_plan, reads_others = self._plans[source.name]
        if plan != release_plan:
            return None
        parts = [source.name, source.digest]
        if reads_others:
            parts += [f"{name}:{hashlib.sha256(data).hexdigest()}" for name, data in sorted(staged().items())
                      if name != source.name]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def get(self, key: str, student: str) -> NotebookResult | None:
        """A copy of the grade saved under ``key``, as ``student``'s (None if there is none yet)."""
        with self._lock:
            saved = self._grades.get(key)
        if saved is None:
            return None
        result = NotebookResult.from_dict(saved)
        result.student_id = student
        return result

    def put(self, key: str, result: NotebookResult) -> None:
        """Keep ``result`` for the next notebook of ``key`` (only a notebook graded to the end: a
        timeout on a busy machine is that notebook's, not every blank copy's)."""
        if result.status != Status.GRADED:
            return
        with self._lock:
            self._grades.setdefault(key, asdict(result))  # a deep copy
