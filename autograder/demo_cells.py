"""Demo cells: instructor cells that only show the student something, skipped when grading can do without.

A notebook has cells that run the student's functions only to print or plot what they do (notebook
04 plots the schedule, notebook 08 trains for 30 steps on one batch). Their output is the student's
to read; no grade depends on it. The instructor tags such a cell ``skip-in-grading`` in the source
notebook (the tag is a promise: the cell binds names and prints, it changes no object that other
cells use). The grader then leaves it out of a submission's plan when both hold:

* the submitted cell is the release's, unchanged (a cell the student edited is the student's code);
* no name it binds can be read by anything that runs after it in the sandbox: the student's later
  cells, the provided definitions, every setup and drive section of the graded cells (hidden ones
  included). A later cell that reads names dynamically (``globals()``, ``eval``, ``__main__``...)
  keeps every demo cell before it.

This is decided on the grader's side, from the code alone, before anything runs. Skipping a demo
cell changes no grade: the graded cells seed every section, and they read nothing the cell bound.
"""

from __future__ import annotations

import ast
import functools

from lmtrain.notebook import cell_source

from .parsed import parsed

__all__ = ["SKIP_TAG", "demo_sources", "drop_unused_demo_cells"]

SKIP_TAG = "skip-in-grading"

#: Names through which code can read a variable it does not name.
_DYNAMIC = frozenset({"globals", "locals", "vars", "eval", "exec", "compile", "__import__", "get_ipython",
                      "__main__", "__builtins__", "__dict__"})


def demo_sources(source: dict, release: dict) -> dict[str, str]:
    """cell id -> the release's text of every code cell the source notebook tags ``skip-in-grading``."""
    released = {cell.get("id"): cell_source(cell) for cell in release.get("cells", []) if cell.get("cell_type") == "code"}
    found = {}
    for cell in source.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and SKIP_TAG in tags and cell.get("id") in released:
            found[cell["id"]] = released[cell["id"]]
    return found


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _stored(node: ast.AST) -> set[str]:
    """Names a target (of an assignment, a for loop, a with) binds."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


class _Reads:
    """What a block of code reads from the namespace it runs in, statement by statement.

    ``exposed``: names read before the block has surely bound them (a binding inside a branch or a
    loop body may not happen, so it counts only there). ``deferred``: names the functions and lambdas
    it defines read when called, their own parameters and locals aside. ``bound``: names it binds.
    ``dynamic``: it reads names it does not spell (``globals()``, ``eval``, ``"__main__"``).
    """

    def __init__(self):
        self.exposed: set[str] = set()
        self.deferred: set[str] = set()
        self.bound: set[str] = set()
        self.dynamic = False

    def block(self, statements: list, bound: set[str]) -> None:
        for statement in statements:
            self.statement(statement, bound)

    def statement(self, node: ast.stmt, bound: set[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                self.expression(part, bound)
            self.function(node)
            self._bind({node.name}, bound)
        elif isinstance(node, ast.ClassDef):
            for part in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self.expression(part, bound)
            self.block(node.body, set(bound))  # the class body runs now, in a scope of its own
            self._bind({node.name}, bound)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expression(node.iter, bound)
            inner = set(bound) | _stored(node.target)
            self._bind(_stored(node.target), set())
            self.block(node.body, inner)
            self.block(node.orelse, set(bound))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expression(item.context_expr, bound)
                if item.optional_vars is not None:
                    self._bind(_stored(item.optional_vars), bound)
            self.block(node.body, bound)
        elif isinstance(node, (ast.If, ast.While)):
            self.expression(node.test, bound)
            self.block(node.body, set(bound))
            self.block(node.orelse, set(bound))
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.block(node.body, set(bound))
            for handler in node.handlers:
                if handler.type is not None:
                    self.expression(handler.type, bound)
                inner = set(bound) | ({handler.name} if handler.name else set())
                self.block(handler.body, inner)
            self.block(node.orelse, set(bound))
            self.block(node.finalbody, set(bound))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._bind({(alias.asname or alias.name).split(".")[0] for alias in node.names}, bound)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self.bound.update(node.names)
        else:  # a simple statement: what it reads is read before what it binds is bound (x = f(x))
            self.expression(node, bound)
            if isinstance(node, ast.AugAssign):  # x += 1 reads x
                self.exposed |= _stored(node.target) - bound
            self._bind(_stored(node), bound)

    def expression(self, node: ast.AST, bound: set[str]) -> None:
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, _FUNCTIONS):
                for part in [*node.args.defaults, *node.args.kw_defaults]:
                    stack.append(part)
                self.function(node)
                continue
            if isinstance(node, _COMPREHENSIONS):  # its loop variables are its own
                own = set().union(*(_stored(g.target) for g in node.generators))
                reads = _Reads()
                for part in ast.iter_child_nodes(node):
                    reads.expression(part, bound | own)
                self._take(reads)
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in _DYNAMIC:
                    self.dynamic = True
                if node.id not in bound:
                    self.exposed.add(node.id)
            elif isinstance(node, ast.Constant) and node.value == "__main__":
                self.dynamic = True
            stack.extend(ast.iter_child_nodes(node))

    def function(self, node) -> None:
        """A function's reads happen when it is called: its parameters and the names it assigns are
        its own (unless declared global), every other name it reads is the namespace's."""
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {name for n in ast.walk(node) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
        local = (params | {name for part in body for name in _stored(part)}
                 | {n.name for part in body for n in ast.walk(part)
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}) - declared
        for part in body:
            for n in ast.walk(part):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    self.dynamic = self.dynamic or n.id in _DYNAMIC
                    if n.id not in local:
                        self.deferred.add(n.id)
                elif isinstance(n, ast.Constant) and n.value == "__main__":
                    self.dynamic = True

    def _bind(self, names: set[str], bound: set[str]) -> None:
        self.bound |= names
        bound |= names

    def _take(self, other: "_Reads") -> None:
        self.exposed |= other.exposed
        self.deferred |= other.deferred
        self.dynamic = self.dynamic or other.dynamic


@functools.lru_cache(maxsize=4096)  # the instructor's cells and sections: the same in every notebook
def _reads(sources: tuple[str, ...], trusted: bool) -> _Reads | None:
    """What ``sources``, run one after the other in one namespace, read from it; None when that cannot
    be told. Shared between callers: its sets are frozen.

    ``trusted`` (instructor code: provided definitions, graded sections, demo cells) may pass the
    namespace to a helper that reads names given as strings (``substitute(globals(), "parts", ...)``):
    those strings count as read."""
    reads, bound = _Reads(), set()
    for source in sources:
        try:
            tree = parsed(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        reads.block(tree.body, bound)
        if reads.dynamic and not trusted:
            return None
        if reads.dynamic:
            reads.exposed |= {node.value for node in ast.walk(tree)
                              if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier()}
    reads.exposed, reads.deferred, reads.bound = frozenset(reads.exposed), frozenset(reads.deferred), frozenset(reads.bound)
    return reads


def drop_unused_demo_cells(cells: list, demos: dict[str, str], provided: str) -> list:
    """``cells`` (a plan's, in run order) without the unchanged demo cells whose names nothing after
    them reads (a liveness pass, backwards over the plan)."""
    def is_demo(cell) -> bool:
        return cell.kind == "code" and demos.get(cell.name) == cell.source

    if not any(is_demo(cell) for cell in cells):
        return cells
    provided_reads = _reads((provided,), trusted=True)  # run before every graded cell, in the same namespace
    if provided_reads is None:
        return cells
    live = provided_reads.exposed | provided_reads.deferred
    reads_of = []  # per cell: (what it reads when it runs, what it binds)
    for cell in cells:
        if cell.kind == "graded":  # its setup and drive sections run in the sandbox, in order
            texts = tuple(s.source for s in cell.test.sections if s.kind in ("setup", "drive"))
        else:
            texts = (cell.source,)
        reads = _reads(texts, trusted=cell.kind == "graded" or is_demo(cell))
        if reads is None:
            return cells  # a read by name the grader cannot see: any demo cell may matter
        if is_demo(cell):  # its functions run only if a later cell calls them, keeping the cell
            reads_of.append((reads.exposed | reads.deferred, reads.bound))
        else:  # a function of any other cell may be called after any demo cell
            live |= reads.deferred
            reads_of.append((reads.exposed, reads.bound))
    kept = []
    for cell, (reads, binds) in zip(reversed(cells), reversed(reads_of)):
        if is_demo(cell) and not (binds & live):
            continue
        live |= reads
        kept.append(cell)
    return kept[::-1]
