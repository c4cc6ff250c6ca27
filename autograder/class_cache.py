"""The grader's side of a graded cell that is the same for every student, computed once per class.

A graded cell's ``setup`` sections build its inputs and the first statements of a ``check`` section
usually compute what the student's values are compared against (a reference loss, the state a
model should reach); neither reads anything the student's code produced. They depend only on the
instructor's code and on the cell's seed, which is the same for the whole class. So the checker
template (:mod:`autograder.checker`), which never sees a submission, runs them once, and every
student's checker worker takes their results from it (a fork: copy on write) instead of computing
them again. What reads the student's values (the rest of each check) still runs in the worker.

Which statements qualify is decided by reading the code (:func:`plan_cell`): a statement is
*student-free* when it reads no name that a drive section sends back or that a student-dependent
statement binds, and defines no function that would read, when called later, a name the cell binds
again afterwards. A ``setup`` is reused whole or not at all; a ``check`` up to its first statement
that is not student-free.

Then running it decides (:func:`compute`). Each reused section runs in the template exactly as it
would in a worker (the same seeds, one PyTorch thread) and its result is kept only if it

* raised nothing and finished within its time,
* wrote no file, started no process and opened no connection (an audit hook notes any attempt),
* left every object that existed before it as it was, and PyTorch's and NumPy's settings too
  (:mod:`autograder.object_state`): a reused section must not change what an earlier one built, or
  the base namespace every cell starts from.

A cell's reuse ends at the first section that fails these: it and everything after it run in each
worker, as before. A section that changed an object it should not have spoils the base namespace,
so the template builds everything again without it.

What this changes for a check: its student-free statements and the cell's later setups never see
what an earlier check did with the student's values, since they ran before any student's. The
course's checks only compare, so their verdicts are the same either way; ``tests/test_class_cache.py``
grades three wrong and one correct solution of every function both ways and compares.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field

from lmtrain.notebook import compile_tree, parse_python

from .name_reads import Reads, stored_names
from .object_state import Snapshot, changed, global_settings, restore_settings, snapshot
from .sections import section_seed, seed_everything, use_section_threads

__all__ = ["CellPlan", "Reused", "Replay", "compute", "plan_cell", "restore_generators"]

#: Calls whose effects the code does not show: they touch files or processes (the audit hook misses
#: writes made in C, ``torch.save`` to a path among them) or set attributes by name.
_UNSEEN_CALLS = frozenset({
    "setattr", "delattr", "save", "savez", "savez_compressed", "savetxt", "tofile", "write_text", "write_bytes", "mkdir", "makedirs",
    "touch", "unlink", "remove", "rmtree", "rename", "replace", "mkdtemp", "mkstemp", "TemporaryDirectory",
    "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "system", "Popen", "chdir", "putenv",
})


# ---------------------------------------------------------------------------
# Which statements are student-free (read from the code)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Statement:
    binds: frozenset  # names it binds or deletes at the top level
    surely: bool  # it binds them whenever it runs (an assignment, a def, an import; not a loop or a branch)
    reads: frozenset  # names it reads before binding them, in the functions it defines too
    reads_later: frozenset  # names read by the functions, lambdas and generators it defines, when used later
    opaque: bool  # it reads names it does not spell, or touches files or processes

    @classmethod
    def of(cls, node: ast.stmt) -> "_Statement":
        reads = Reads()
        reads.statement(node, set())
        later = set(reads.deferred) | _generator_reads(node)
        calls = {_call_name(n) for n in ast.walk(node) if isinstance(n, ast.Call)}
        star = any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(node))
        surely = isinstance(node, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.FunctionDef,
                                   ast.AsyncFunctionDef, ast.ClassDef))
        return cls(frozenset(reads.bound), surely, frozenset(reads.exposed | later), frozenset(later),
                   reads.dynamic or star or bool(calls & _UNSEEN_CALLS))


def _generator_reads(node: ast.AST) -> set[str]:
    """Names the generator expressions of a statement read, but for their own loop variables: when
    consumed, which can be later (those inside a function are the function's reads already)."""
    found: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return found
    if isinstance(node, ast.GeneratorExp):
        own = {name for generator in node.generators for name in stored_names(generator.target)}
        found |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - own
    for child in ast.iter_child_nodes(node):
        found |= _generator_reads(child)
    return found


def _call_name(node: ast.Call) -> str:
    target = node.func
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


@dataclass(frozen=True)
class CellPlan:
    """What of one graded cell the template computes: ``steps`` are (section index, statements reused)."""

    grade_id: str
    cell_seed: int
    sections: tuple  # (kind, source) of every section, drives included
    steps: tuple  # (index, count) for the leading setup and check sections reused, in order


def _parse(kind: str, source: str) -> list | None:
    """A section's statements (a drive: one that binds what the whole drive binds); None if it does not parse."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if kind == "drive":
        reads = Reads()
        reads.block(tree.body, set())
        return [_Statement(frozenset(reads.bound), False, frozenset(), frozenset(), False)]
    return [_Statement.of(node) for node in tree.body]


def plan_cell(grade_id: str, cell_seed: int, sections: list[tuple[str, str]]) -> CellPlan:
    """Which leading statements of each setup and check section read nothing of the student's.

    Read in the order the sections run: a name is the student's from the drive that binds it, or from a
    statement that is not reused (which runs in the worker, after the student's values arrived), until a
    reused statement surely binds it again.
    """
    parsed = [_parse(kind, source) for kind, source in sections]
    bound_at: dict[str, list] = {}
    for i, statements in enumerate(parsed):
        for j, statement in enumerate(statements or ()):
            for name in statement.binds:
                bound_at.setdefault(name, []).append((i, j))
    students: dict[str, bool] = {}  # name -> whether it holds something of the student's, at this point
    steps = []
    for i, (kind, _) in enumerate(sections):
        statements = parsed[i]
        if statements is None:
            break
        count, reusing = 0, kind != "drive"
        for j, statement in enumerate(statements):
            # a function it defines reads its globals when called: from the template's namespace, which
            # holds the cell's last binding of each name, so none may be bound again after it
            reusing = (reusing and not statement.opaque and not any(students.get(n) for n in statement.reads)
                       and not any(at > (i, j) for n in statement.reads_later for at in bound_at.get(n, ())))
            count += reusing
            for name in statement.binds:
                students[name] = (not reusing) or (statement.surely is False and students.get(name, False))
        if kind == "drive":
            continue
        if kind == "setup" and count < len(statements):
            break  # a setup is the cell's inputs: reused whole or not at all
        steps.append((i, count))
    return CellPlan(grade_id, cell_seed, tuple(sections), tuple(steps))


# ---------------------------------------------------------------------------
# Running them once, in the template
# ---------------------------------------------------------------------------


@dataclass
class Reused:
    """One reused section's results, as a worker takes them."""

    index: int
    source: str
    bindings: dict  # what its student-free statements bound (the template's objects)
    removed: tuple  # what they deleted
    stdout: str
    rest: ast.Module | None  # the statements left to run on the student's values (None: none)
    generators: tuple | None  # the random generators' states where the rest starts


@dataclass
class Outcome:
    """What :func:`compute` kept, and why each cell's reuse ended where it did (for reports and tests)."""

    cells: dict = field(default_factory=dict)  # grade_id -> [Reused]
    stopped: dict = field(default_factory=dict)  # grade_id -> reason ('' : every planned section reused)
    rebuilds: int = 0


class _TooLong(BaseException):
    """Raised inside a section that ran past its time (a BaseException: ``except Exception`` lets it through)."""


#: Audit events of work outside the process's memory: a reused section may make none of them.
_SIDE_EFFECT_EVENTS = ("os.", "shutil.", "subprocess.", "socket.", "tempfile.", "ctypes.", "signal.", "fcntl.",
                       "mmap.", "resource.", "sys.addaudithook", "sys.settrace", "sys.setprofile", "webbrowser.")
_HARMLESS_EVENTS = frozenset({"os.listdir", "os.scandir", "os.walk", "os.getxattr", "os.listxattr", "os.fwalk"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_watching: list[list] = []  # while a reused section runs: one list, of what it did outside memory


def _importing() -> bool:
    """Whether a module is being imported on this thread: what a library does once when it loads is
    not the section's doing (a worker forked afterwards has that module loaded as well)."""
    try:
        frame = sys._getframe(2)  # past this function and the hook or handler that asks
    except ValueError:  # no Python caller at all
        return False
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _audit(event: str, args: tuple) -> None:
    if not _watching:
        return
    if event == "open":
        mode, flags = args[1], args[2]
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
        if writes and not _importing():
            _watching[-1].append(f"it opened {args[0]!r} for writing")
    elif event.startswith(_SIDE_EFFECT_EVENTS) and event not in _HARMLESS_EVENTS and not _importing():
        # noted, not stopped: an exception raised here, inside a library, could leave it half set up
        _watching[-1].append(f"it made the call {event!r}")


_hooked = False


def _watch_side_effects() -> None:
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # for good: a process cannot remove it, so it does nothing unless _watching
        _hooked = True


def generator_states() -> tuple:
    """The states of the global generators a section draws from (Python's, NumPy's, PyTorch's CPU one)."""
    import numpy
    import torch

    return random.getstate(), numpy.random.get_state(), torch.random.default_generator.get_state()


def restore_generators(states: tuple) -> None:
    """Put back what :func:`generator_states` recorded."""
    import numpy
    import torch

    random.setstate(states[0])
    numpy.random.set_state(states[1])
    torch.random.default_generator.set_state(states[2])


@contextlib.contextmanager
def _deadline(seconds: float):
    def expire(signum, frame):
        if _importing():  # an import stopped half-way can leave its library unusable: a little later
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            return
        raise _TooLong(f"it ran past {seconds:.3g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_cell(plan: CellPlan, base: dict, recorded: Snapshot, deadline: float, filename) -> tuple[list, str, bool]:
    """The cell's reused sections in a copy of ``base`` (whose objects ``recorded`` holds):
    (results kept, why reuse stopped, base spoiled)."""
    namespace = dict(base)
    before = recorded.copy()
    kept: list[Reused] = []
    for index, count in plan.steps:
        kind, source = plan.sections[index]
        tree = parse_python(source, filename(index))
        head = ast.Module(tree.body[:count], tree.type_ignores)
        rest = ast.Module(tree.body[count:], tree.type_ignores) if count < len(tree.body) else None
        before_names = dict(namespace)
        before.walk(namespace.values())  # what the earlier sections built (the rest is recorded already)
        out = io.StringIO()
        use_section_threads()
        seed_everything(section_seed(plan.cell_seed, index), plan.cell_seed)
        failure = ""
        left = deadline - time.monotonic()
        if left <= 0:
            return kept, "the time for computing once per class ran out", False
        _watching.append([])
        try:
            with _deadline(left), contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                exec(compile_tree(head, filename(index), "exec"), namespace)
        except _TooLong as too_long:
            failure = str(too_long)
        except Exception as exc:  # noqa: BLE001 - the worker runs it again and reports the error
            failure = f"it raised {type(exc).__name__}"
        finally:
            outside = _watching.pop()
        failure = failure or (outside[0] if outside else "")
        generators = generator_states() if rest is not None else None
        spoiled = changed(before)
        if spoiled:
            return kept, f"section {index} changed {spoiled}", True
        if failure:
            return kept, f"section {index}: {failure}", False
        bindings = {k: v for k, v in namespace.items() if k not in before_names or before_names[k] is not v}
        removed = tuple(k for k in before_names if k not in namespace)
        kept.append(Reused(index, source, bindings, removed, out.getvalue(), rest, generators))
    return kept, "", False


def compute(build_base, plans: list[CellPlan], budget: float, filename) -> tuple[dict, str, Outcome]:
    """Run every cell's reused sections; returns the base namespace to serve, its error, and what was kept.

    ``build_base()`` -> (namespace, error) builds the base namespace; it is called again (and the cells
    run again without the offending section) whenever a reused section changed something it must not.
    """
    _watch_side_effects()
    settings = global_settings()
    deadline = time.monotonic() + budget
    limits: dict[str, tuple[int, str]] = {}  # grade_id -> (sections reused at most, why), after a rebuild
    outcome = Outcome()
    while True:
        base, error = build_base()
        if error:  # every check fails and says so: nothing is reused
            outcome.cells = {}
            return base, error, outcome
        recorded = snapshot(base, base.get("__name__", ""))
        outcome.cells, outcome.stopped = {}, {}
        spoiled_by = None
        for plan in plans:
            limit, why = limits.get(plan.grade_id, (len(plan.steps), ""))
            plan = CellPlan(plan.grade_id, plan.cell_seed, plan.sections, plan.steps[:limit])
            kept, reason, spoiled = _run_cell(plan, base, recorded, deadline,
                                              lambda index, plan=plan: filename(plan.grade_id, index))
            reason = reason or why
            outcome.cells[plan.grade_id], outcome.stopped[plan.grade_id] = kept, reason
            if spoiled:
                spoiled_by = plan.grade_id
                limits[spoiled_by] = (len(kept), reason)
                break
        if spoiled_by is None:
            return base, error, outcome
        outcome.rebuilds += 1
        restore_settings(settings)


# ---------------------------------------------------------------------------
# Taking them, in a worker
# ---------------------------------------------------------------------------


class Replay:
    """A worker's place in the reused sections of the cell it is checking.

    A reused section is taken only in order: if the pipeline skips one (a run without hidden tests)
    or a section runs in the worker, the results after it were computed on what the worker no longer
    has, so the cell's remaining sections all run in the worker.
    """

    def __init__(self, cells: dict):
        self._cells = cells
        self._cell: list = []
        self._next: int | None = None

    def begin(self, grade_id: str) -> None:
        self._cell, self._next = self._cells.get(grade_id, []), 0

    def take(self, index, source: str) -> Reused | None:
        position = self._next
        if position is not None and position < len(self._cell):
            reused = self._cell[position]
            if reused.index == index and reused.source == source:
                self._next = position + 1
                return reused
        self._next = None
        return None
