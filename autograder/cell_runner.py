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
import ctypes
import io
import json
import math
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CellResult", "Limits", "NotebookCell", "NotebookRun", "SandboxSpec", "read_cells", "run_cells", "run_sandboxed"]

# torch._dynamo is imported by the first TorchDispatchMode a graded test enters
# (2.4 s here): pay that once in the server, not once per notebook.
_PRELOAD = [
    "torch", "torch._dynamo", "numpy", "numpy.testing", "matplotlib", "matplotlib.pyplot",
    "lmtrain.checking", "lmtrain.loader", "autograder.cell_runner",
]


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


#: Environment variables the fork server (and so every notebook) inherits.
_SERVER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "PYTHONHASHSEED")


def start_fork_server() -> None:
    """Start the fork server now, with a scrubbed environment (no tokens or database URLs
    for student code to find in /proc/self/environ)."""
    from multiprocessing import forkserver

    _fork_context()
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update({k: v for k, v in saved.items() if k in _SERVER_ENV})
        os.environ["MPLBACKEND"] = "Agg"
        forkserver.ensure_running()
    finally:
        os.environ.clear()
        os.environ.update(saved)


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


# ===========================================================================
# Sandboxed execution for grading a class (used by autograder.grade)
# ===========================================================================
#
# One notebook runs in two processes forked from the same fork server:
#
# * the *keeper* (forked by the server) enters fresh network, mount, PID, IPC
#   and UTS namespaces, builds a minimal root file system (read-only system
#   and Python folders, a tmpfs holding only this student's notebooks, the
#   course data read-only, an empty /tmp) and forks
# * the *runner*, PID 1 of the new PID namespace, which mounts its own /proc,
#   chroots into that root, drops to an unprivileged per-slot uid, sets
#   resource limits and executes the cells the grader sends it one at a time.
#
# When the keeper dies (the grader kills it at a timeout) the runner gets
# SIGKILL (PR_SET_PDEATHSIG), and when the runner dies the kernel kills every
# process left in its PID namespace: nothing the student started outlives
# the notebook. Where the namespaces are not permitted (not root, a locked
# down container) the keeper runs the cells itself in its own session, with
# the resource limits, as the unprivileged uid when the grader is root, and
# the grader logs that isolation is best effort.
#
# Messages between grader and runner are JSON (never pickle: the runner is
# untrusted), one cell at a time, so hidden tests of later cells are not in
# the runner's memory before they run.


_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1

#: First uid of the unprivileged users the runners switch to (one per job slot,
#: so RLIMIT_NPROC, which counts per user, is per slot). No account needs to exist.
SANDBOX_UID_BASE = 1_990_000

_SANDBOX_ROOT_NAME = "course"  # the student's course folder inside the sandbox root


@dataclass(frozen=True)
class Limits:
    """Resource limits for one notebook."""

    notebook_timeout: float = 300.0  # wall seconds for the whole notebook
    cell_timeout: float = 120.0  # wall seconds for one cell
    memory_gb: float = 4.0  # address space on top of the preloaded interpreter's
    output_bytes: int = 2_000_000  # characters a notebook may print in all
    kept_output_chars: int = 20_000  # characters kept per cell for the feedback
    max_processes: int = 128  # processes and threads of the sandbox user
    file_bytes: int = 64 * 2**20  # largest file the notebook may write
    tmpfs_bytes: int = 256 * 2**20  # size of the course folder and of /tmp


@dataclass(frozen=True)
class SandboxSpec:
    """Where a notebook runs: ``staging`` holds the course tree the parent prepared."""

    staging: str  # <staging>/notebooks/<assignment>/<assignment>.ipynb, other notebooks beside
    workdir: str  # relative to the course folder: "notebooks/<assignment>"
    root_mount: str  # an empty folder the keeper may mount the sandbox root on
    data_dir: str | None = None  # course data, mounted read-only at <course>/data
    extra_paths: tuple = ()  # further folders the runner needs read-only (e.g. provided code)
    slot: int = 0  # job slot: selects the sandbox uid
    isolate: bool = True  # try namespaces + chroot + unprivileged uid


class _OutputLimitExceeded(BaseException):
    """Raised from print() when a notebook printed more than its budget (not an Exception, so
    ``except Exception`` in student code does not swallow it)."""


class _CappedWriter(io.TextIOBase):
    def __init__(self, budget: dict, keep: int):
        self._budget = budget
        self._keep = keep
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        n = len(s)
        self.total += n
        if self.kept < self._keep:
            piece = s[: self._keep - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        self._budget["used"] += n
        if self._budget["used"] > self._budget["limit"]:
            self._budget["exceeded"] = True
            raise _OutputLimitExceeded(f"the notebook printed more than {self._budget['limit']} characters")
        return n

    def flush(self):
        pass

    def text(self) -> str:
        out = "".join(self.parts)
        if self.total > self.kept:
            out += f"\n... [{self.total - self.kept} more characters not shown]"
        return out


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    _check(
        libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


# ---- tamper detection ------------------------------------------------------

_WATCHED_MODULES = (
    "builtins", "math", "io", "contextlib", "warnings",
    "torch", "torch.nn", "torch.nn.functional", "torch.testing", "torch.autograd",
    "torch.utils._python_dispatch",
    "numpy", "numpy.testing", "numpy.linalg",
    "lmtrain", "lmtrain.checking", "lmtrain.loader",
)
_WATCHED_SYS = ("getprofile", "setprofile", "gettrace", "settrace", "modules")


def _watched_types():
    import numpy
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    return [torch.Tensor, torch._C.TensorBase, TorchDispatchMode, numpy.ndarray, torch.nn.Module, torch.nn.Parameter]


def _function_state(value):
    code = getattr(value, "__code__", None)
    if code is None:
        return None
    return (code, getattr(value, "__defaults__", None), getattr(value, "__kwdefaults__", None))


class _Guard:
    """Identity snapshot of the objects the tests rely on, taken before student code runs."""

    def __init__(self):
        import importlib

        self.modules = {}
        for name in _WATCHED_MODULES:
            try:
                module = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - an optional module
                continue
            self.modules[name] = (module, dict(vars(module)))
        self.types = [(cls, dict(vars(cls))) for cls in _watched_types()]
        self.functions = {}
        for _module, snapshot in self.modules.values():
            for value in snapshot.values():
                state = _function_state(value)
                if state is not None:
                    self.functions[id(value)] = (value, state)
        for _cls, snapshot in self.types:
            for value in snapshot.values():
                state = _function_state(value)
                if state is not None:
                    self.functions[id(value)] = (value, state)
        self.sys_attrs = {name: getattr(sys, name) for name in _WATCHED_SYS}

    def check_and_restore(self) -> list[str]:
        """Names of watched objects that changed since the snapshot; all are put back."""
        changed = []
        for name, (module, snapshot) in self.modules.items():
            if sys.modules.get(name) is not module:
                changed.append(f"sys.modules[{name!r}]")
                sys.modules[name] = module
            current = vars(module)
            for key, value in snapshot.items():
                if current.get(key, _MISSING) is not value:
                    if key in ("__builtins__", "__loader__", "__spec__"):
                        continue
                    changed.append(f"{name}.{key}")
                    try:
                        setattr(module, key, value) if name != "builtins" else current.__setitem__(key, value)
                    except Exception:  # noqa: BLE001
                        pass
        for cls, snapshot in self.types:
            current = vars(cls)
            for key, value in snapshot.items():
                if current.get(key, _MISSING) is not value:
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                    try:
                        setattr(cls, key, value)
                    except Exception:  # noqa: BLE001
                        pass
        for value, (code, defaults, kwdefaults) in self.functions.values():
            if _function_state(value) != (code, defaults, kwdefaults):
                changed.append(f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')} (code)")
                try:
                    value.__code__, value.__defaults__, value.__kwdefaults__ = code, defaults, kwdefaults
                except Exception:  # noqa: BLE001
                    pass
        for name, value in self.sys_attrs.items():
            if getattr(sys, name) is not value:
                changed.append(f"sys.{name}")
                setattr(sys, name, value)
        return sorted(set(changed))


_MISSING = object()


# ---- the runner's cell loop --------------------------------------------------


def _send(conn, message: dict) -> None:
    conn.send_bytes(json.dumps(message).encode("utf-8"))


def _is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in text or "not enough memory" in text)


def _value_credit(value):
    """nbgrader's partial credit: a number as last expression; None means full points."""
    if value is None:
        return None
    try:
        return float(repr(value))
    except (TypeError, ValueError):
        return None


def _notebook_loop(conn, limits: Limits, provided: str) -> None:
    """Receive cells, execute them in one namespace, report each result."""
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib

    matplotlib.use("Agg")
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001
        pass
    import lmtrain.loader

    from pathlib import Path as _Path

    # the student's course folder, as a path relative to the working folder: without the
    # sandbox's chroot the folders above it may not be searchable by the sandbox user
    course = os.path.normpath(os.path.join(os.getcwd(), "..", ".."))
    lmtrain.loader.repo_root = lambda: _Path(os.path.relpath(course))
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    provided_code = compile(provided, "<provided definitions>", "exec") if provided.strip() else None
    defined_here = {
        node.name for node in ast.parse(provided).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    expected_names: dict = {}
    if provided_code is not None:
        try:
            exec(provided_code, expected_names)
        except Exception:  # noqa: BLE001 - the grader's own definitions; reported as not restorable
            provided_code = None
    guard = _Guard()
    budget = {"used": 0, "limit": limits.output_bytes, "exceeded": False}
    me = os.getpid()
    tampered_once: list[str] = []
    real_stdout, real_stderr = sys.stdout, sys.stderr
    while True:
        try:
            message = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            break
        if message.get("op") != "run":
            break
        graded_cell = message.get("kind") == "graded"
        reply = {"index": message["index"], "segments": [], "tampered": [], "shadowed": []}
        if graded_cell:
            changed = guard.check_and_restore()
            if changed:
                tampered_once.extend(changed)
                reply["tampered"].extend(changed)
            if provided_code is not None:
                for key, value in expected_names.items():
                    if key != "__builtins__" and key not in defined_here and namespace.get(key, value) is not value:
                        reply["shadowed"].append(key)
                try:
                    exec(provided_code, namespace)
                except Exception:  # noqa: BLE001
                    pass
        value = None
        for number, (hidden, source) in enumerate(message["segments"]):
            out = _CappedWriter(budget, limits.kept_output_chars)
            err = _CappedWriter(budget, limits.kept_output_chars)
            error_type, error = "", ""
            value = None
            started = time.perf_counter()
            try:
                sys.stdout, sys.stderr = out, err
                value = _execute(source, namespace, f"<cell {message.get('name', '')}>")
            except _OutputLimitExceeded as exc:
                error_type, error = "OutputLimitExceeded", str(exc)
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                error_type = type(exc).__name__
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
                if _is_memory_error(exc):
                    reply["memory"] = True
            finally:
                sys.stdout, sys.stderr = real_stdout, real_stderr
            if os.getpid() != me:  # a process the cell forked came back here: it must not talk
                os._exit(0)
            reply["segments"].append({
                "hidden": bool(hidden),
                "error_type": error_type,
                "error": error,
                "stdout": out.text(),
                "stderr": err.text(),
                "seconds": round(time.perf_counter() - started, 3),
            })
            if error_type or budget["exceeded"]:
                break
        if graded_cell:
            changed = guard.check_and_restore()
            if changed:
                tampered_once.extend(changed)
                reply["tampered"].extend(changed)
        reply["credit"] = _value_credit(value) if graded_cell else None
        if reply["credit"] is not None and not math.isfinite(reply["credit"]):
            reply["credit"] = 0.0
        reply["output_exceeded"] = budget["exceeded"]
        try:
            _send(conn, reply)
        except Exception:  # noqa: BLE001 - e.g. a reply that cannot be encoded
            _send(conn, {"index": message["index"], "segments": [], "error": "unencodable reply"})
        if budget["exceeded"]:
            break


# ---- building the sandbox ------------------------------------------------------


_ETC_ENTRIES = (
    "passwd", "group", "nsswitch.conf", "host.conf", "hosts", "localtime", "timezone",
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "mime.types", "matplotlibrc",
)


def _runtime_paths(spec: SandboxSpec) -> list[str]:
    """Folders the runner must read: the interpreter, its libraries, the system."""
    paths = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"}
    # only the parts of /etc that programs need to start: configuration files elsewhere in /etc
    # (an nbgrader_config.py with a database password, say) stay out of reach
    paths.update(f"/etc/{name}" for name in _ETC_ENTRIES)
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        paths.add(p)
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            paths.add(entry)
    for name in ("lmtrain", "autograder"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            paths.add(os.path.dirname(module.__file__))
    paths.update(spec.extra_paths)
    return sorted(paths)


def _safe_runtime_paths(spec: SandboxSpec, forbidden: list[str]) -> list[str]:
    """Drop every path that is, or contains, something the student must not see."""
    kept = []
    for path in _runtime_paths(spec):
        if not os.path.lexists(path):
            continue
        real = os.path.realpath(path)
        if any(f == real or f.startswith(real.rstrip("/") + "/") or real.startswith(f.rstrip("/") + "/") for f in forbidden):
            continue
        kept.append(path)
    return kept


def _build_root(libc, spec: SandboxSpec, uid: int, limits: Limits, forbidden: list[str]) -> str:
    """In the keeper's own mount namespace: assemble the sandbox root at spec.root_mount."""
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
    root = spec.root_mount
    _mount(libc, "sandbox", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=16m,mode=0755")
    size = f"size={limits.tmpfs_bytes}"
    # The empty /tmp goes in first: the environment itself may live under /tmp (a CI clone with
    # its .venv there), and a tmpfs mounted after those binds would hide them.
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount(libc, "tmp", root + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, f"{size},mode=1777")
    for path in _safe_runtime_paths(spec, forbidden):
        target = root + path
        if os.path.islink(path):  # merged /usr: /bin -> usr/bin
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.lexists(target):
                os.symlink(os.readlink(path), target)
            continue
        if os.path.lexists(target) and (os.path.ismount(target) or not os.path.isdir(target) or os.listdir(target)):
            continue  # already inside a folder bound earlier
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "w").close()
        _mount(libc, path, target, None, _MS_BIND | _MS_REC)
        _mount(libc, None, target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    os.makedirs(root + "/dev", exist_ok=True)
    for node in ("null", "zero", "random", "urandom", "full"):
        target = f"{root}/dev/{node}"
        open(target, "w").close()
        _mount(libc, f"/dev/{node}", target, None, _MS_BIND)
    os.makedirs(root + "/dev/shm", exist_ok=True)
    _mount(libc, "shm", root + "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, f"{size},mode=1777")
    os.makedirs(root + "/proc", exist_ok=True)
    course = f"{root}/{_SANDBOX_ROOT_NAME}"
    os.makedirs(course, exist_ok=True)
    _mount(libc, "course", course, "tmpfs", _MS_NOSUID | _MS_NODEV, f"{size},mode=0755")
    shutil.copytree(spec.staging, course, dirs_exist_ok=True, symlinks=True)
    for dirpath, dirnames, filenames in os.walk(course):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, uid)
    os.lchown(course, uid, uid)
    if spec.data_dir and os.path.isdir(spec.data_dir):
        os.makedirs(course + "/data", exist_ok=True)
        _mount(libc, spec.data_dir, course + "/data", None, _MS_BIND | _MS_REC)
        _mount(libc, None, course + "/data", None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    return root


def _set_limits(limits: Limits, processes: bool) -> None:
    def lower(kind, value):
        soft, hard = resource.getrlimit(kind)
        value = int(value)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))

    vm_kb = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                vm_kb = int(line.split()[1])
    lower(resource.RLIMIT_AS, vm_kb * 1024 + limits.memory_gb * 2**30)
    lower(resource.RLIMIT_FSIZE, limits.file_bytes)
    lower(resource.RLIMIT_CORE, 0)
    lower(resource.RLIMIT_NOFILE, 256)
    if processes:
        lower(resource.RLIMIT_NPROC, limits.max_processes)


def _quiet_fds() -> None:
    """C-level output of the notebook goes nowhere (never to the grader's terminal)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def _keeper_main(conn, spec: SandboxSpec, limits: Limits, provided: str, forbidden: list[str]) -> None:
    """Target of the process forked by the fork server (see the module comment)."""
    os.setsid()
    _quiet_fds()
    notes: list[str] = []
    libc = _libc()
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the fork server exits with the grader
    uid = SANDBOX_UID_BASE + spec.slot
    isolated = False
    if spec.isolate and os.geteuid() == 0:
        try:
            _check(libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS), "unshare")
            root = _build_root(libc, spec, uid, limits, forbidden)
            isolated = True
        except OSError as exc:
            notes.append(f"sandbox namespaces unavailable ({exc}); ran without file system and network isolation")
    elif spec.isolate:
        notes.append("not running as root: no namespaces, chroot or unprivileged uid (best-effort isolation only)")
    if not isolated:
        if not spec.isolate:
            notes.append("isolation disabled")
        try:
            _check(libc.unshare(_CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        except OSError as exc:
            notes.append(f"network not isolated ({exc})")
        os.chdir(os.path.join(spec.staging, spec.workdir))
        if os.geteuid() == 0 and spec.isolate:
            # no chroot, but at least not root: the sandbox user owns its staging copy and
            # nothing else (the working folder stays usable even if its parents are not searchable)
            try:
                for dirpath, dirnames, filenames in os.walk(spec.staging):
                    for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                        os.lchown(name, uid, uid)
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.environ.update({"HOME": os.getcwd(), "USER": "student", "LOGNAME": "student"})
            except OSError as exc:
                notes.append(f"could not switch to an unprivileged user ({exc}); student code ran as root")
        _send(conn, {"op": "hello", "isolated": False, "notes": notes})
        _set_limits(limits, processes=os.geteuid() != 0)
        _notebook_loop(conn, limits, provided)
        os._exit(0)
    pid = os.fork()
    if pid == 0:
        try:
            _check(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
            _mount(libc, "proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
            os.chroot(root)
            os.chdir(f"/{_SANDBOX_ROOT_NAME}/{spec.workdir}")
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.environ.clear()
            os.environ.update({
                "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
                "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
                "USER": "student", "LOGNAME": "student",
            })
            _set_limits(limits, processes=True)
            _send(conn, {"op": "hello", "isolated": True, "notes": notes})
            _notebook_loop(conn, limits, provided)
        except BaseException as exc:  # noqa: BLE001
            try:
                _send(conn, {"op": "fatal", "error": f"{type(exc).__name__}: {exc}"})
            except Exception:  # noqa: BLE001
                pass
        os._exit(0)
    conn.close()
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    os._exit(0)


@dataclass
class NotebookRun:
    """What came back from running a planned notebook."""

    replies: list  # one dict per cell that finished, in order
    ended: str = "ok"  # ok | timeout | crash | memory | output
    detail: str = ""
    notes: list = None
    isolated: bool = False


def run_sandboxed(
    cells: list[dict],
    spec: SandboxSpec,
    limits: Limits,
    provided: str = "",
    forbidden: list[str] | None = None,
) -> NotebookRun:
    """Run ``cells`` ({"kind", "name", "segments": [[hidden, source], ...]}) in a sandbox.

    The grader waits at most ``limits.cell_timeout`` for each cell and
    ``limits.notebook_timeout`` for all of them; at a timeout, a crash, a
    memory error or too much output the notebook stops and the cells not run
    get nothing.
    """
    context = _fork_context()
    parent_end, child_end = context.Pipe(duplex=True)
    process = context.Process(
        target=_keeper_main, args=(child_end, spec, limits, provided, list(forbidden or [])), daemon=True
    )
    process.start()
    child_end.close()
    run = NotebookRun(replies=[], notes=[])
    started = time.monotonic()
    max_reply = 8 * limits.kept_output_chars + 2_000_000

    def receive(wait: float):
        if wait <= 0 or not parent_end.poll(wait):
            return "timeout", None
        try:
            data = parent_end.recv_bytes(max_reply)
        except (EOFError, ConnectionError):
            return "crash", None
        except OSError:
            return "crash", None
        try:
            message = json.loads(data)
        except ValueError:
            return "crash", None
        return ("ok", message) if isinstance(message, dict) else ("crash", None)

    try:
        state, hello = receive(min(60.0, limits.notebook_timeout))
        if state != "ok" or hello.get("op") != "hello":
            run.ended = "crash" if state != "timeout" else "timeout"
            run.detail = (hello or {}).get("error", "the sandbox did not start")
            return run
        run.isolated = bool(hello.get("isolated"))
        run.notes = [str(n) for n in hello.get("notes", [])]
        for index, cell in enumerate(cells):
            remaining = limits.notebook_timeout - (time.monotonic() - started)
            if remaining <= 0:
                run.ended, run.detail = "timeout", f"the notebook ran past {limits.notebook_timeout:g} s"
                break
            try:
                parent_end.send_bytes(json.dumps({"op": "run", "index": index, **cell}).encode("utf-8"))
            except (BrokenPipeError, ConnectionError, OSError):
                run.ended, run.detail = "crash", "the notebook's process exited"
                break
            wait = min(limits.cell_timeout, remaining)
            state, reply = receive(wait)
            if state == "timeout":
                run.ended = "timeout"
                run.detail = (
                    f"cell {cell.get('name', index)} ran past {limits.cell_timeout:g} s"
                    if wait >= limits.cell_timeout else f"the notebook ran past {limits.notebook_timeout:g} s"
                )
                break
            if state != "ok" or reply.get("op") == "fatal" or reply.get("index") != index:
                run.ended, run.detail = "crash", f"the notebook's process died in cell {cell.get('name', index)}"
                break
            run.replies.append(reply)
            if reply.get("memory"):
                run.ended, run.detail = "memory", f"cell {cell.get('name', index)} ran out of memory"
                break
            if reply.get("output_exceeded"):
                run.ended, run.detail = "output", f"the notebook printed more than {limits.output_bytes} characters"
                break
        else:
            try:
                parent_end.send_bytes(b'{"op": "exit"}')
            except OSError:
                pass
    finally:
        parent_end.close()
        process.join(2.0)
        if process.pid:
            try:  # the keeper's session: itself, the runner, anything they started (before reaping)
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if process.is_alive():
            process.kill()
        process.join()
    return run
