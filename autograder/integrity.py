"""A trusted scan of the submission's own code, in the grader: what its text does, not what it reports.

Everything measured inside the sandbox is the submission's to choose: a drive
section runs beside the student's code, so a submission that reaches the
runner's functions, the interpreter's frames or the dispatcher can forge
whether a drive raised and every fact it derives there. The run-time watch
for forbidden built-ins (:mod:`lmtrain.checking`) lives there too. This scan
reads the student's cells (answer cells and scratch cells as submitted; never
the instructor's graded cells, which :mod:`autograder.plan` takes from the
source) as Python syntax, here, where the submission has no say, and reports
two kinds of :class:`Finding`:

* ``evasion``: a construct that has no place in these answers and can defeat
  measurement in the sandbox (the grader's modules, ``sys.modules``, frames,
  ``gc``, tracing hooks, threads and processes, ``ctypes``, dynamic code,
  dispatch overrides, a module attribute rebound, ...). See :data:`BANNED_PATHS`
  and :class:`_Scanner` for the exact list.
* ``forbidden``: the built-in a task re-implements, under any spelling that
  names it (an alias, a re-import, a literal ``getattr``, a wrapper class such
  as ``nn.CrossEntropyLoss``), charged to the task whose function reaches it
  through the student's own top-level definitions. The built-ins are those of
  :data:`lmtrain.checking.FORBIDDEN_BUILTINS`, the list the run-time watch uses.

The work is bounded: a notebook whose code is longer than
:data:`MAX_SCAN_CHARS` or parses to more than :data:`MAX_NODES` nodes is not
scanned but flagged, and every walk here is iterative (no recursion on the
submission's nesting).
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import sys
import types
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .parsed import parsed

if TYPE_CHECKING:  # an annotation only: the plan imports this module
    from .plan import PlannedCell

__all__ = ["Finding", "MAX_SCAN_CHARS", "MAX_NODES", "BANNED_PATHS", "PROVIDED_CELL", "scan_cells", "scan_plan"]

#: Characters of code scanned per notebook (the largest reference notebook has ~60 kB, graded cells included).
MAX_SCAN_CHARS = 300_000
#: AST nodes scanned per notebook (the largest reference notebook has about 10,000, graded cells included).
MAX_NODES = 100_000
#: Findings kept per notebook: the first ones name the problem; more only fill integrity.csv.
MAX_FINDINGS = 20

#: Dotted names (``fnmatch`` patterns, matched on the name and on each prefix of it) that an
#: answer of this course never needs and that reach what the sandbox measures with. Matched on
#: what an expression names once the submission's imports and aliases are followed.
BANNED_PATHS: tuple[tuple[str, str], ...] = (
    ("autograder", "the grader's own modules"),
    ("lmtrain.notebook", "the grader's notebook internals"),
    ("lmtrain.checking.*", "the checking module's internals"),
    ("lmtrain.checking", "the checking module itself (import check_close or graded by name)"),
    ("sys.modules", "the table of loaded modules"),
    ("sys._getframe", "interpreter frames"),
    ("sys._current_frames", "interpreter frames"),
    ("sys.settrace", "a tracing hook"),
    ("sys.setprofile", "a profiling hook"),
    ("sys.gettrace", "a tracing hook"),
    ("sys.getprofile", "a profiling hook"),
    ("sys.meta_path", "the import machinery"),
    ("sys.path_hooks", "the import machinery"),
    ("sys.addaudithook", "an audit hook"),
    ("sys.exc_info", "interpreter frames (through a traceback)"),
    ("sys.exception", "interpreter frames (through a traceback)"),
    ("inspect.currentframe", "interpreter frames"),
    ("inspect.stack", "interpreter frames"),
    ("inspect.trace", "interpreter frames"),
    ("inspect.getouterframes", "interpreter frames"),
    ("inspect.getinnerframes", "interpreter frames"),
    ("inspect.getframeinfo", "interpreter frames"),
    ("inspect.getclosurevars", "another function's globals"),
    ("inspect.getattr_static", "an attribute looked up by a name the scan cannot follow"),
    ("operator.attrgetter", "an attribute looked up by a name the scan cannot follow"),
    ("operator.methodcaller", "a method looked up by a name the scan cannot follow"),
    ("gc", "the garbage collector's view of every object"),
    ("threading", "threads"),
    ("_thread", "threads"),
    ("concurrent", "threads or processes"),
    ("multiprocessing", "processes"),
    ("torch.multiprocessing", "processes"),
    ("subprocess", "processes"),
    ("_posixsubprocess", "processes"),
    ("pty", "processes"),
    ("signal", "signal handlers"),
    ("os.fork*", "processes"),
    ("os.system", "processes"),
    ("os.popen", "processes"),
    ("os.exec*", "processes"),
    ("os.spawn*", "processes"),
    ("os.posix_spawn*", "processes"),
    ("os.kill*", "signals to processes"),
    ("os.register_at_fork", "processes"),
    ("posix", "the operating system's raw interface"),
    ("ctypes", "raw memory"),
    ("numpy.ctypeslib", "raw memory"),
    ("torch.utils.cpp_extension", "compiled code"),
    ("asyncio", "threads or processes"),
    ("_ctypes", "raw memory"),
    ("cffi", "raw memory"),
    ("importlib", "the import machinery"),
    ("builtins", "the built-ins module"),
    ("runpy", "dynamic code"),
    ("code", "dynamic code"),
    ("codeop", "dynamic code"),
    ("marshal", "code objects"),
    ("types.CodeType", "code objects"),
    ("types.FunctionType", "functions built from code objects"),
    ("types.FrameType", "interpreter frames"),
    ("types.CellType", "closures rewritten"),
    ("pdb", "a tracing hook"),
    ("bdb", "a tracing hook"),
    ("trace", "a tracing hook"),
    ("cProfile", "a profiling hook"),
    ("profile", "a profiling hook"),
    ("faulthandler", "interpreter internals"),
    ("torch._C", "PyTorch's C bindings"),
    ("torch.library", "operator registration"),
    ("torch.overrides", "__torch_function__ overrides"),
    ("torch.utils._python_dispatch", "dispatch modes"),
    ("torch._ops", "the operator registry"),
    ("torch.ops", "the operator registry"),
)

#: Names of the checking module an answer may import (what the provided cells import).
_CHECKING_PUBLIC = ("lmtrain.checking.check_close", "lmtrain.checking.graded", "lmtrain.checking.ForbiddenBuiltinError")

#: Built-in functions that run or reach code by name.
_DYNAMIC_BUILTINS = {
    "exec": "dynamic code", "eval": "dynamic code", "compile": "dynamic code", "__import__": "the import machinery",
    "globals": "the module namespace as a dictionary", "breakpoint": "a tracing hook",
    "__builtins__": "the built-ins module",
}

#: Attributes that reach a function's globals or code, a frame, or a class's internals.
_DUNDER_ESCAPES = {
    "__globals__", "__code__", "__builtins__", "__subclasses__", "__closure__", "__defaults__", "__kwdefaults__",
    "__getattribute__", "__getattr__", "__loader__", "__spec__", "__import__", "__mro__", "__bases__", "__base__",
    "f_globals", "f_locals", "f_back", "f_code", "f_builtins", "f_trace", "tb_frame", "gi_frame", "cr_frame",
    "ag_frame", "gi_code", "co_code", "co_consts",
}

#: Names of dispatch overrides: defining or naming one changes what every tensor operation does.
_DISPATCH_NAMES = {"__torch_function__", "__torch_dispatch__", "TorchFunctionMode", "TorchDispatchMode",
                   "_python_dispatch"}


@dataclass(frozen=True)
class Finding:
    """One construct of the submission's code, in ``cell`` at ``line`` (1-based, of that cell)."""

    kind: str  # evasion | forbidden
    construct: str
    cell: str
    line: int
    task: str = ""  # forbidden: the task whose function reaches it

    def describe(self) -> str:
        where = f"in cell {self.cell}, line {self.line}"
        if self.kind == "forbidden":
            return (f"{self.task} reaches {self.construct} ({where}), the built-in the task re-implements: "
                    f"the {self.task} tests earn nothing")
        return (f"{self.construct} ({where}): it can defeat what the tests measure, so this and every later "
                "test cell earn nothing until an instructor reviews it")


#: The cell name of the instructor's provided definitions (:attr:`SourceNotebook.provided`) in findings.
PROVIDED_CELL = "provided definitions"


def scan_plan(plan_cells: list[PlannedCell], answers, provided: str = "") -> list[Finding]:
    """:func:`scan_cells` over the planned cells the submission wrote (not the graded ones).

    ``provided`` (the instructor's imports and definitions, which the sandbox runs before
    every graded cell) is read first: it binds the names the answers use (``torch``, ``F``)
    even where the submission deleted the cell that imports them, and a task that calls one
    of its functions reaches what that function calls. It is the instructor's code, so no
    evasion is reported in it.
    """
    cells = [(cell.name, cell.source) for cell in plan_cells if cell.kind != "graded"]
    return scan_cells(cells, answers, provided)


def scan_cells(cells: list[tuple[str, str]], answers=(), provided: str = "") -> list[Finding]:
    """Findings in ``cells`` ((name, source) in run order); ``answers`` names the tasks' functions.

    A cell that is not valid Python is skipped (it cannot run in the sandbox
    either); one too deep for the parser is an ``evasion`` finding on that cell.
    Code over the size or node budget is one ``evasion`` finding on the first
    cell: none of it is looked at, and the whole notebook is charged.
    ``provided`` is the instructor's code read before the cells (see :func:`scan_plan`):
    outside the budgets, and never a source of evasion findings.
    """
    cells = [(str(name), source if isinstance(source, str) else "") for name, source in cells]
    if not cells:
        return []
    first = cells[0][0]
    total = sum(len(source) for _name, source in cells)
    if total > MAX_SCAN_CHARS:
        return [Finding("evasion", f"code too long to scan ({total} characters, the limit is {MAX_SCAN_CHARS})",
                        first, 1)]
    trees: list[tuple[str, ast.Module]] = []
    unscanned: list[Finding] = []
    nodes = 0
    for name, source in cells:
        try:
            tree = parsed(source)
        except SyntaxError:
            continue
        except (RecursionError, MemoryError, ValueError) as exc:
            # deeper than the parser goes here: the sandbox runs it only if the submission raised its
            # recursion limit first, so it is charged from its own cell on
            unscanned.append(Finding("evasion", f"code that cannot be scanned ({type(exc).__name__})", name, 1))
            continue
        nodes += _count_nodes(tree, MAX_NODES - nodes + 1)
        if nodes > MAX_NODES:
            return [Finding("evasion", f"code too large to scan (more than {MAX_NODES} syntax nodes)", first, 1)]
        trees.append((name, tree))
    from lmtrain.checking import FORBIDDEN_BUILTINS

    tasks = {task: FORBIDDEN_BUILTINS[task] for task in answers if task in FORBIDDEN_BUILTINS}
    if provided.strip():
        trees.insert(0, (PROVIDED_CELL, parsed(provided)))
    findings = unscanned + _Scanner(trees, tasks).run()
    return [f for f in findings if not (f.cell == PROVIDED_CELL and f.kind == "evasion")][:MAX_FINDINGS]


def _count_nodes(tree: ast.AST, limit: int) -> int:
    count = 0
    stack = [tree]
    while stack and count < limit:
        node = stack.pop()
        count += 1
        stack.extend(ast.iter_child_nodes(node))
    return count


def _children(node: ast.AST):
    return ast.iter_child_nodes(node)


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@functools.lru_cache(maxsize=8192)  # the same dotted names come back in every notebook
def _banned(path: str) -> str | None:
    """The reason ``path`` (or a prefix of it) is banned, else None."""
    if path in _CHECKING_PUBLIC:
        return None
    parts = path.split(".")
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        for pattern, reason in BANNED_PATHS:
            if fnmatch.fnmatchcase(prefix, pattern):
                return f"{prefix}: {reason}"
    return None


def _chain(node: ast.AST) -> tuple[ast.AST, list[str]] | None:
    """(base, attribute names) of ``a.b.c`` or ``getattr(a, "b").c``; None when it is neither."""
    attrs: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        elif _literal_getattr(node) is not None:
            attrs.append(_literal_getattr(node))
            node = node.args[0]
        else:
            break
        if len(attrs) > 64:
            return None
    attrs.reverse()
    return node, attrs


def _literal_getattr(node: ast.AST) -> str | None:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) in (2, 3) and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)):
        return node.args[1].value
    return None


class _Scope:
    """Names a function binds, with the dotted names of those bound to an import or an alias."""

    def __init__(self, parent: "_Scope | None"):
        self.parent = parent
        self.local: set[str] = set()
        self.aliases: dict[str, set[str]] = {}


class _Scanner:
    def __init__(self, trees: list[tuple[str, ast.Module]], tasks: dict):
        self.trees = trees
        self.tasks = tasks
        self.module = _Scope(None)
        self.scopes: dict[int, _Scope] = {}  # id(function node) -> its scope
        self.stars: list[str] = []  # modules star-imported at top level
        self.findings: list[Finding] = []
        self.seen: set[tuple] = set()
        self.definitions: dict[str, list[int]] = {}  # top-level name -> indices of its statements
        self.statements: list[tuple[str, ast.stmt]] = []
        self.loads: list[set[str]] = []  # per top-level statement: global names it reads
        self.refs: list[list[tuple[str, str, int]]] = []  # per statement: (task, construct, line)
        self._forbidden_cache: dict[str, tuple] = {}

    # ---- bindings ------------------------------------------------------------------------------

    def _collect_scopes(self) -> None:
        """Every function's scope and the module's aliases (imports, ``x = a.b`` assignments)."""
        for _name, tree in self.trees:
            stack = [(tree, self.module)]
            while stack:
                node, scope = stack.pop()
                if isinstance(node, _FUNCTIONS):
                    inner = _Scope(scope)
                    self.scopes[id(node)] = inner
                    args = node.args
                    for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                        if arg is not None:
                            inner.local.add(arg.arg)
                    if not isinstance(node, ast.Lambda):
                        scope.local.add(node.name)
                    outer = set(map(id, getattr(node, "decorator_list", [])))
                    stack.extend((child, scope if id(child) in outer else inner) for child in _children(node))
                    continue
                if isinstance(node, ast.ClassDef):
                    scope.local.add(node.name)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    for bound, path in _import_bindings(node):
                        if not bound:
                            continue
                        scope.local.add(bound)
                        if path is not None:
                            scope.aliases.setdefault(bound, set()).add(path)
                        elif scope is self.module and isinstance(node, ast.ImportFrom) and node.module:
                            self.stars.append(node.module)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    scope.local.add(node.id)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    scope.local.difference_update(node.names)
                stack.extend((child, scope) for child in _children(node))
        # x = a.b.c: x names what a.b.c names (twice: an alias of an alias defined later)
        for _ in range(2):
            for _name, tree in self.trees:
                stack = [(tree, self.module)]
                while stack:
                    node, scope = stack.pop()
                    if isinstance(node, _FUNCTIONS):
                        scope = self.scopes[id(node)]
                    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        paths = self.paths(node.value, scope)
                        for target in targets:
                            if isinstance(target, ast.Name) and paths:
                                self._owner(scope, target.id).aliases.setdefault(target.id, set()).update(paths)
                    stack.extend((child, scope) for child in _children(node))

    @staticmethod
    def _owner(scope: _Scope, name: str) -> _Scope:
        while name not in scope.local and scope.parent is not None:
            scope = scope.parent
        return scope

    def paths(self, node: ast.AST, scope: _Scope) -> set[str]:
        """The dotted names an expression may name (``F.cross_entropy`` -> torch.nn.functional.cross_entropy)."""
        chain = _chain(node)
        if chain is None:
            return set()
        base, attrs = chain
        if not isinstance(base, ast.Name):
            return set()
        roots = self._name_paths(base.id, scope)
        suffix = "".join("." + a for a in attrs)
        return {root + suffix for root in roots}

    def _name_paths(self, name: str, scope: _Scope) -> set[str]:
        while scope is not None:
            if name in scope.local or name in scope.aliases:
                return scope.aliases.get(name, set())
            scope = scope.parent
        return {f"{module}.{name}" for module in self.stars if _resolve(f"{module}.{name}") is not _MISSING}

    # ---- the walk ------------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        self._collect_scopes()
        for cell, tree in self.trees:
            for statement in tree.body:
                index = len(self.statements)
                self.statements.append((cell, statement))
                self.loads.append(set())
                self.refs.append([])
                for name in _top_level_names(statement):
                    self.definitions.setdefault(name, []).append(index)
                self._walk(cell, statement, index)
        self._charge_forbidden()
        return sorted(self.findings, key=lambda f: (f.kind != "forbidden", self._cell_order(f.cell), f.line))

    def _cell_order(self, cell: str) -> int:
        return next((i for i, (name, _tree) in enumerate(self.trees) if name == cell), 0)

    def _flag(self, kind: str, construct: str, cell: str, line: int, task: str = "") -> None:
        key = (kind, construct, cell, line, task)
        if key not in self.seen:
            self.seen.add(key)
            self.findings.append(Finding(kind, construct[:200], cell, int(line or 1), task))

    def _walk(self, cell: str, statement: ast.stmt, index: int) -> None:
        stack = [(statement, self.module)]
        while stack:
            node, scope = stack.pop()
            if isinstance(node, _FUNCTIONS):
                self._check_function(cell, node)
                inner = self.scopes[id(node)]
                decorators = set(map(id, getattr(node, "decorator_list", [])))
                stack.extend((child, scope if id(child) in decorators else inner) for child in _children(node))
                continue
            self._check_node(cell, node, scope, index)
            stack.extend((child, scope) for child in _children(node))

    def _check_function(self, cell: str, node: ast.AST) -> None:
        name = getattr(node, "name", "")
        if name in _DISPATCH_NAMES:
            self._flag("evasion", f"def {name}: a dispatch override", cell, node.lineno)

    def _check_node(self, cell: str, node: ast.AST, scope: _Scope, index: int) -> None:
        line = getattr(node, "lineno", 1)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._check_import(cell, node)
            for _bound, path in _import_bindings(node):
                if path is not None:
                    self._check_path(cell, path, line, index)
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.loads[index].add(node.id)
            if node.id in _DYNAMIC_BUILTINS and self._is_builtin(node.id, scope):
                self._flag("evasion", f"{node.id}: {_DYNAMIC_BUILTINS[node.id]}", cell, line)
            if node.id in _DISPATCH_NAMES:
                self._flag("evasion", f"{node.id}: a dispatch override", cell, line)
            for path in self._name_paths(node.id, scope):
                self._check_path(cell, path, line, index)
            return
        if isinstance(node, ast.Attribute):
            self._check_attribute(cell, node, scope, index)
            return
        if isinstance(node, ast.Call):
            self._check_call(cell, node, scope, index)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            if text.lstrip().startswith(("/proc/", "/dev/mem", "/dev/kmem")):
                self._flag("evasion", f"{text.strip()[:40]!r}: a process's memory or state", cell, line)
            return
        if isinstance(node, ast.ClassDef) and node.name in _DISPATCH_NAMES:
            self._flag("evasion", f"class {node.name}: a dispatch override", cell, line)

    def _is_builtin(self, name: str, scope: _Scope) -> bool:
        while scope is not None:
            if name in scope.local:
                return False
            scope = scope.parent
        return True

    def _check_import(self, cell: str, node: ast.AST) -> None:
        if isinstance(node, ast.ImportFrom) and node.level:
            self._flag("evasion", "a relative import", cell, node.lineno)
        for alias in node.names:
            if alias.name in _DISPATCH_NAMES or (alias.asname or "") in _DISPATCH_NAMES:
                self._flag("evasion", f"{alias.name}: a dispatch override", cell, node.lineno)
            if alias.name == "*" and isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
                if _banned(module) or any(
                    pattern.startswith(module + ".") and not pattern[len(module) + 1:].startswith("_")
                    for pattern, _reason in BANNED_PATHS
                ):
                    self._flag("evasion", f"from {module} import *: brings in what an answer may not use",
                               cell, node.lineno)

    def _check_path(self, cell: str, path: str, line: int, index: int) -> None:
        reason = _banned(path)
        if reason:
            self._flag("evasion", reason, cell, line)
        for task in self._forbidden_tasks(path):
            self.refs[index].append((task, path, line))

    def _check_attribute(self, cell: str, node: ast.Attribute, scope: _Scope, index: int) -> None:
        line = node.lineno
        attr = node.attr
        base = node.value
        if attr in _DUNDER_ESCAPES:
            self._flag("evasion", f".{attr}: reaches code, frames or globals", cell, line)
        if attr in _DISPATCH_NAMES:
            self._flag("evasion", f".{attr}: a dispatch override", cell, line)
        if attr == "__dict__" and not (isinstance(base, ast.Name) and base.id == "self"):
            self._flag("evasion", ".__dict__: another object's namespace", cell, line)
        if attr == "__class__" and isinstance(node.ctx, ast.Store):
            self._flag("evasion", ".__class__ assignment: changes an object's type", cell, line)
        paths = self.paths(node, scope)
        for path in paths:
            self._check_path(cell, path, line, index)
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            # torch.backends.* are settings a user is meant to set (cudnn.benchmark, allow_tf32)
            owners = {p for p in self.paths(base, scope) if not p.startswith("torch.backends.")}
            if owners:
                self._flag("evasion", f"{sorted(owners)[0]}.{attr} rebound: a library's attribute replaced",
                           cell, line)
            elif isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type":
                self._flag("evasion", f"type(...).{attr} rebound: a class's attribute replaced", cell, line)

    def _check_call(self, cell: str, node: ast.Call, scope: _Scope, index: int) -> None:
        if _literal_getattr(node) is not None:  # getattr(F, "cross_entropy"): what it names
            for path in self.paths(node, scope):
                self._check_path(cell, path, node.lineno, index)
        func = node.func
        if not isinstance(func, ast.Name) or not self._is_builtin(func.id, scope):
            return
        line = node.lineno
        if func.id in ("getattr", "setattr", "delattr") and node.args:
            owners = self.paths(node.args[0], scope)
            literal = len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(
                node.args[1].value, str)
            if func.id in ("setattr", "delattr") and owners:
                self._flag("evasion", f"{func.id} on {sorted(owners)[0]}: a library's attribute replaced", cell, line)
            elif not literal and owners:
                self._flag("evasion", f"{func.id} with a computed name on {sorted(owners)[0]}", cell, line)
            elif func.id in ("setattr", "delattr") and literal and node.args[1].value in _DUNDER_ESCAPES | {"__class__"}:
                self._flag("evasion", f"{func.id}(..., {node.args[1].value!r})", cell, line)
            elif literal and node.args[1].value in _DUNDER_ESCAPES | {"__dict__"}:
                self._flag("evasion", f"{func.id}(..., {node.args[1].value!r}): reaches code, frames or globals",
                           cell, line)
        elif func.id == "vars" and (not node.args or self.paths(node.args[0], scope)):
            self._flag("evasion", "vars() of a module: its namespace as a dictionary", cell, line)

    # ---- forbidden built-ins ---------------------------------------------------------------------

    def _forbidden_tasks(self, path: str) -> tuple:
        cached = self._forbidden_cache.get(path)
        if cached is None:
            cached = tuple(task for task, forbidden in self.tasks.items() if _names_forbidden(path, forbidden))
            self._forbidden_cache[path] = cached
        return cached

    def _charge_forbidden(self) -> None:
        entries = [task for task in self.tasks if task in self.definitions]
        for task in entries:
            others = set(entries) - {task}
            queue = deque([task])
            visited = {task}
            while queue:
                name = queue.popleft()
                for index in self.definitions.get(name, []):
                    cell, _statement = self.statements[index]
                    for charged, path, line in self.refs[index]:
                        if charged == task:
                            self._flag("forbidden", path, cell, line, task)
                    for loaded in self.loads[index]:
                        if loaded in self.definitions and loaded not in visited and loaded not in others:
                            visited.add(loaded)
                            queue.append(loaded)


def _import_bindings(node: ast.AST) -> list[tuple[str, str | None]]:
    """(name bound, dotted name it stands for) of an import; None for ``*``."""
    out = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name))
            else:
                root = alias.name.split(".")[0]
                out.append((root, root))
                if alias.name != root:  # import a.b binds a, but the statement names a.b too
                    out.append(("", alias.name))
    elif isinstance(node, ast.ImportFrom):
        module = ("." * node.level) + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                out.append(("*", None))
            else:
                out.append((alias.asname or alias.name, f"{module}.{alias.name}" if module else alias.name))
    return [(bound, path) for bound, path in out if bound != "*" or path is None]


def _top_level_names(statement: ast.stmt) -> list[str]:
    """The names a top-level statement defines (a def, a class, an assignment, an import)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [bound for bound, _path in _import_bindings(statement) if bound and bound != "*"]
    targets: list[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    names = []
    stack = targets
    while stack:
        target = stack.pop()
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            stack.extend(target.elts)
        elif isinstance(target, ast.Starred):
            stack.append(target.value)
    return names


# ---- what a dotted name is -----------------------------------------------------------------------

_MISSING = object()
_RESOLVED: dict[str, object] = {}


def _resolve(path: str):
    """The object a dotted name names among the modules already loaded here, without running any of
    their code (no import, no ``__getattr__``, no property); ``_MISSING`` when it cannot be told."""
    if path in _RESOLVED:
        return _RESOLVED[path]
    import inspect

    parts = path.split(".")
    value = sys.modules.get(parts[0], _MISSING)
    for part in parts[1:]:
        if value is _MISSING or not part:
            value = _MISSING
            break
        if isinstance(value, types.ModuleType):
            found = vars(value).get(part, _MISSING)
            if found is _MISSING:
                found = sys.modules.get(f"{value.__name__}.{part}", _MISSING)
        else:
            try:
                found = inspect.getattr_static(value, part, _MISSING)
            except Exception:  # noqa: BLE001 - an object whose type lies about its attributes
                found = _MISSING
        if isinstance(found, (staticmethod, classmethod)):
            found = found.__func__
        value = found
    if len(_RESOLVED) < 10_000:
        _RESOLVED[path] = value
    return value


def _names_forbidden(path: str, forbidden) -> bool:
    """True when ``path`` names (or wraps) one of ``forbidden``'s built-ins."""
    parts = path.split(".")
    if parts[:2] == ["torch", "ops"] and len(parts) >= 4 and f"{parts[2]}::{parts[3]}" in forbidden.aten_ops:
        return True
    value = _resolve(path)
    if value is _MISSING:
        # a spelling that cannot be followed here: judged by its last name, under torch only
        return parts[0] == "torch" and parts[-1] in _forbidden_names(forbidden)
    return _is_forbidden_object(value, forbidden)


def _function_code(value):
    value = getattr(value, "__wrapped__", value) if not isinstance(value, type) else value
    return getattr(value, "__code__", None)


def _is_forbidden_object(value, forbidden) -> bool:
    if isinstance(value, types.ModuleType):
        return getattr(value, "__file__", None) in forbidden.python_files
    if any(value is fn for fn in forbidden.python_functions) or any(value is fn for fn in forbidden.c_functions):
        return True
    aten_names = {op.split("::", 1)[-1] for op in forbidden.aten_ops}
    if isinstance(value, types.BuiltinFunctionType) and getattr(value, "__name__", "") in aten_names:
        return True
    code = _function_code(value)
    if code is not None:
        return code in {fn.__code__ for fn in forbidden.python_functions} or code.co_filename in forbidden.python_files
    if isinstance(value, type):
        called = {fn.__name__ for fn in forbidden.python_functions}
        for klass in value.__mro__:
            for member in vars(klass).values():
                member_code = _function_code(member.__func__ if isinstance(member, (staticmethod, classmethod))
                                             else member)
                if member_code is None:
                    continue
                if member_code.co_filename in forbidden.python_files:
                    return True
                # a loss module that is the built-in's wrapper: its forward calls it by name
                if getattr(member, "__name__", "") == "forward" and called & set(member_code.co_names):
                    return True
    return False


def _forbidden_names(forbidden) -> set[str]:
    """Last names that stand for ``forbidden``'s built-ins (for spellings that cannot be followed)."""
    names = {fn.__name__ for fn in forbidden.python_functions}
    names |= {op.split("::", 1)[-1] for op in forbidden.aten_ops}
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) in forbidden.python_files:
            names |= {key for key, value in vars(module).items()
                      if not key.startswith("_") and getattr(value, "__module__", None) == module.__name__}
    return names
