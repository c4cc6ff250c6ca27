"""The trusted side of a graded cell: its ``setup`` and ``check`` sections, run by the grader.

No submission code runs here. A check sees the student's work only as the
plain values a drive section sent back (decoded by :mod:`autograder.protocol`),
so what it expects (inputs, reference values, helpers) is computed on this side
and cannot be changed from the sandbox.

The values are the submission's to choose, though, and a check that reads them
(``torch.load`` of a crafted checkpoint, a walk over a shared nested list) can
be made to run for ever or to fill memory. So the sections of one notebook run
in a *checker worker*: a process of its own, forked from the fork server of
:mod:`autograder.sandbox` (which has already imported PyTorch, and runs no
thread), with a memory limit (a memory cgroup where there is one, an
address-space limit always) and a deadline per section. A worker that overruns
is killed and its notebook ends with status ``timeout`` or ``memory``; the
grader itself, and the rest of the class, carry on. One worker serves every
graded cell of a notebook run.

Each graded cell's sections run in a fresh namespace made of the notebook's
provided definitions (imports, functions and classes of its instructor code
cells) and of its *helper cells* (0-point graded cells, whose definitions,
hidden ones included, every later graded cell can use), then the values
returned by the drive sections. The random generators are seeded per section
and PyTorch runs on one thread (:data:`autograder.sections.SECTION_THREADS`), so
a check gives the same answer, bit for bit, whatever else the grader is doing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import io
import itertools
import os
import resource
import select
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from . import protocol
from .class_cache import Replay, Reused, compute, plan_cell, restore_generators
from .sandbox import Limits, SandboxEnded, cgroup, fork_context, read_frame, start_fork_server, write_frame
from .sections import execute, seed_everything, use_section_threads

__all__ = ["Checker", "HostOutcome", "cell_seed", "course_secret", "run_host_section", "secret_id"]

_WORKERS = itertools.count()  # names each worker's memory cgroup

#: Largest reply of a checker worker: its outcome's texts are cut to this before they are sent.
MAX_OUTCOME_CHARS = 100_000


# ---------------------------------------------------------------------------
# Seeds and the course secret
# ---------------------------------------------------------------------------


def cell_seed(grade_id: str, secret: bytes | None = None) -> int:
    """The seed both sides use before a graded cell (stable across runs and machines).

    Without a course secret it is the published one, so anyone with the repository can compute a
    hidden cell's inputs; with one, it is a keyed hash that only the grader can compute. The
    sandbox only ever receives the seed, never the secret.
    """
    if secret:
        digest = hmac.new(secret, grade_id.encode("utf-8"), hashlib.sha256).digest()
    else:
        digest = hashlib.sha256(grade_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


SECRET_ENV = "LMTRAIN_COURSE_SECRET"


def course_secret(path: str | Path | None = None, repository: str | Path | None = None) -> bytes | None:
    """The instructor's course secret: the file at ``path``, else ``$LMTRAIN_COURSE_SECRET``, else None.

    The file must lie outside ``repository`` (where it would be published with the hidden tests)
    and hold something; surrounding white space is not part of the secret.
    """
    if path is not None:
        path = Path(path).resolve()
        if repository is not None and path.is_relative_to(Path(repository).resolve()):
            raise ValueError(f"the secret file {path} is inside the course repository: keep it outside")
        secret = path.read_bytes().strip()
        if not secret:
            raise ValueError(f"the secret file {path} is empty")
        return secret
    secret = os.environ.get(SECRET_ENV, "").strip().encode("utf-8")
    return secret or None


def secret_id(secret: bytes | None) -> str:
    """A short name of the secret for the re-grade keys (which secret, never the secret itself)."""
    if not secret:
        return ""
    return hmac.new(secret, b"lmtrain course secret id", hashlib.sha256).hexdigest()[:12]


# ---------------------------------------------------------------------------
# Running sections (in the checker worker)
# ---------------------------------------------------------------------------


@dataclass
class HostOutcome:
    error_type: str = ""
    error: str = ""
    stdout: str = ""
    memory: bool = False  # the section failed for want of memory


def _is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in text or "not enough memory" in text)


def run_host_section(source: str, namespace: dict, name: str, seed: int | None = None,
                     cell_seed: int | None = None, *, tree=None, generators: tuple | None = None) -> HostOutcome:
    """Execute one setup or check section in this process; its exception, if any, is the failure message.

    ``tree``: the statements to run, already parsed (the part of ``source`` left after what the
    template computed); ``generators``: the random generators' states they start from.
    """
    out = io.StringIO()
    outcome = HostOutcome()
    use_section_threads()  # the sandbox's arithmetic, bit for bit (see SECTION_THREADS)
    if seed is not None:
        seed_everything(seed, cell_seed)
    if generators is not None:
        restore_generators(generators)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            execute(source, namespace, f"<check {name}>", tree)
    except Exception as exc:  # noqa: BLE001 - an assertion, or a check that could not read a value
        outcome.error_type = type(exc).__name__
        outcome.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        outcome.memory = _is_memory_error(exc)
    outcome.stdout = out.getvalue()
    return outcome


def _run_reused(reused: Reused, namespace: dict, name: str, seed: int | None, cell_seed: int | None) -> HostOutcome:
    """A section the template ran once for the class: its results, then what is left of it (if anything)."""
    namespace.update(reused.bindings)
    for removed in reused.removed:
        namespace.pop(removed, None)
    if reused.rest is None:
        return HostOutcome(stdout=reused.stdout)
    outcome = run_host_section(reused.source, namespace, name, seed, cell_seed, tree=reused.rest,
                               generators=reused.generators)
    outcome.stdout = reused.stdout + outcome.stdout
    return outcome


def _build_base(provided: str, helpers: list[tuple[str, str, str]]) -> tuple[dict, str]:
    """The namespace every graded cell starts from, and the error that spoils it ('' if none)."""
    # zip(cases, results) must not pass by comparing nothing: a drive that sent back fewer
    # results than the grader built cases for fails its check instead
    base: dict = {"__name__": "__checker__", "zip": functools.partial(zip, strict=True)}
    error = ""
    try:
        exec(compile(provided, "<provided definitions>", "exec"), base)
    except Exception as exc:  # noqa: BLE001 - an instructor's bug: every check will fail and say so
        error = f"the notebook's provided code failed in the grader: {type(exc).__name__}: {exc}"
    for grade_id, kind, source in helpers:
        if kind == "drive":
            continue
        outcome = run_host_section(source, base, grade_id)
        if outcome.error:
            error = f"helper cell {grade_id} failed in the grader: {outcome.error}"
    return base, error


def _lower_address_space(extra_bytes: int) -> None:
    vm_kb = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                vm_kb = int(line.split()[1])
    limit = vm_kb * 1024 + extra_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(conn, base: dict, reused: dict) -> None:
    """A worker's loop: a fresh copy of ``base`` per graded cell, the drive's values, the sections
    (``reused``: what the template computed of each cell, see :mod:`autograder.class_cache`)."""
    namespace = dict(base)
    replay = Replay(reused)
    while True:
        try:
            message = protocol.loads(conn.recv_bytes())
        except (EOFError, OSError, protocol.ProtocolError):
            break
        op = message.get("op")
        if op not in ("values", "run"):
            break
        # a message may open a new graded cell, bind a drive's values, then run a section, in that order
        reply: dict = {}
        if message.get("fresh"):
            namespace = dict(base)
            replay.begin(message.get("cell", ""))
        if message.get("values"):
            try:
                budget = protocol.Budget()
                namespace.update({name: protocol.decode_value(value, 0, budget)
                                  for name, value in message["values"].items()})
            except protocol.ProtocolError as exc:
                reply = {"protocol_error": str(exc)}
            except MemoryError:
                reply = {"memory": True}
        if op == "run" and not reply:
            taken = replay.take(message.get("index"), message["source"])
            if taken is not None:
                outcome = _run_reused(taken, namespace, message["name"], message.get("seed"), message.get("cell_seed"))
            else:
                outcome = run_host_section(message["source"], namespace, message["name"], message.get("seed"),
                                           message.get("cell_seed"))
            reply = {"error_type": outcome.error_type, "error": outcome.error[:MAX_OUTCOME_CHARS],
                     "stdout": outcome.stdout[:MAX_OUTCOME_CHARS], "memory": outcome.memory}
        conn.send_bytes(protocol.dumps(reply))


def _template_main(control, provided: str, helpers: list, cells: list) -> None:
    """Target of a notebook's *template*: build the base namespace once, then fork a worker per request.

    The provided code and the helper cells are the same for every student, and some helpers are
    costly (notebook 03 counts GPT-2 XL's parameters and FLOPs on the meta device, cached): built
    here once per class, every worker starts from a copy of them (fork: copy on write). So are the
    graded cells' sections that read nothing of the student's (``cells``, see
    :mod:`autograder.class_cache`). The template runs instructor code only; no value of a submission
    ever reaches it.
    """
    import ctypes
    from multiprocessing.connection import Connection
    from multiprocessing.reduction import recv_handle

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: never outlive the fork server
    use_section_threads()
    plans = [plan_cell(*cell) for cell in cells]
    base, error, computed = compute(lambda: _build_base(provided, helpers), plans, CLASS_CACHE_SECONDS,
                                    lambda grade_id, index: f"<check {grade_id}>")
    reused = {grade_id: [len(kept), computed.stopped.get(grade_id, "")] for grade_id, kept in computed.cells.items()}
    ready = protocol.dumps({"op": "ready", "names": sorted(base), "error": error, "reused": reused})
    while True:
        try:
            message = protocol.loads(control.recv_bytes())
            fd = recv_handle(control)
        except (EOFError, OSError, protocol.ProtocolError):
            break
        _reap_children()  # workers the grader is done with (it has its own handle on each: a pidfd)
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # never outlive the template
                if message.get("cgroup_procs"):
                    with contextlib.suppress(OSError), open(message["cgroup_procs"], "w") as procs:
                        procs.write(str(os.getpid()))
                _lower_address_space(int(message["address_space"]))
                conn = Connection(fd)
                conn.send_bytes(ready)
                _serve(conn, base, computed.cells)
            finally:
                os._exit(0)
        os.close(fd)
        control.send_bytes(protocol.dumps({"pid": pid}))
    os._exit(0)


def _reap_children() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _Template:
    """The grader's end of one template process: asks it for workers, one at a time."""

    def __init__(self, provided: str, helpers: list, cells: list):
        start_fork_server()
        self._control, child_end = fork_context().Pipe(duplex=True)
        self._process = fork_context().Process(target=_template_main, daemon=True,
                                               args=(child_end, provided, helpers, cells))
        self._process.start()
        child_end.close()
        self._lock = threading.Lock()

    def alive(self) -> bool:
        return self._process.is_alive()

    def fork_worker(self, address_space: int, cgroup_procs: str | None):
        """A new worker: (its pid's handle, a pidfd, and the grader's end of its connection)."""
        from multiprocessing.reduction import send_handle

        grader_end, worker_end = socket.socketpair()
        with self._lock, worker_end:
            self._control.send_bytes(protocol.dumps({"address_space": address_space, "cgroup_procs": cgroup_procs}))
            send_handle(self._control, worker_end.fileno(), self._process.pid)
            if not self._control.poll(_TEMPLATE_WAIT):
                grader_end.close()
                raise OSError("the checker template did not answer")
            pid = protocol.loads(self._control.recv_bytes())["pid"]
            # opened before the template can reap this worker (it reaps only on the next request,
            # which waits for this lock): the handle names this process, never a reused pid
            pidfd = os.pidfd_open(pid)
        return pidfd, grader_end

    def close(self) -> None:
        self._control.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


_TEMPLATE_WAIT = 60.0  # seconds a template may take to fork a worker (it forks at once; a margin for busy machines)
#: Seconds a template may spend on the sections it computes once per class (well inside _TEMPLATE_WAIT,
#: which its first worker waits); the cells it has not reached by then are checked in each worker.
CLASS_CACHE_SECONDS = 20.0
_templates: dict = {}
_templates_lock = threading.Lock()


def _template_for(provided: str, helpers: list, cells: list) -> _Template:
    """The template of these provided definitions, helper cells and graded cells, started once per grading process."""
    key = hashlib.sha256(protocol.dumps({"provided": provided, "helpers": helpers, "cells": cells})).hexdigest()
    with _templates_lock:
        template = _templates.get(key)
        if template is None or not template.alive():
            template = _templates[key] = _Template(provided, helpers, cells)
        return template


# ---------------------------------------------------------------------------
# The grader's end of a checker worker
# ---------------------------------------------------------------------------


class Checker:
    """The grader-side sections of one notebook run, in a worker process with a deadline and a memory limit.

    Time is counted per section (``cell_timeout``) and for the notebook's sections together
    (``notebook_timeout``), apart from the sandbox's clock. Overruns raise :class:`SandboxEnded`
    (``timeout`` or ``memory``), which ends the notebook as a sandbox overrun would.
    """

    def __init__(self, provided: str, helper_sections: list, limits: Limits, slot: int = 0, memory_cgroup=None,
                 cells: list = ()):
        self._shared_cgroup = memory_cgroup  # the notebook's own (Session.memory_cgroup): one --memory for both
        self._provided = provided
        # [grade_id, cell seed, [[kind, source], ...]] of each graded cell whose student-free sections
        # the template computes once per class (none: every section runs here)
        self._cells = [list(cell) for cell in cells]
        self._helpers = [(grade_id, s.kind, s.source) for grade_id, s in helper_sections]
        self._helper_ids = {grade_id for grade_id, _ in helper_sections}
        self.limits = limits
        self._slot = slot
        self._pidfd: int | None = None  # the worker's process handle (a pidfd: never a reused pid)
        self._conn = None
        self._cgroup = None
        self._names: set = set()
        self.error = ""
        self.reused: dict = {}
        self.spent = 0.0

    # -- the worker ---------------------------------------------------------------------------------

    def _start(self) -> None:
        memory = int(self.limits.memory_gb * 2**30)
        if self._shared_cgroup is not None:
            self._cgroup = self._shared_cgroup
        else:  # a name of its own: create() empties a cgroup of the same name, killing what runs in it
            self._cgroup = cgroup.create(f"lmtrain-check-{os.getpid()}-slot-{self._slot}-{next(_WORKERS)}", memory)
        # with a cgroup counting the pages, the address-space limit is only a backstop (PyTorch
        # reserves address space it never touches); without one, it is the limit
        address_space = 2 * memory if self._cgroup is not None else memory
        procs = str(self._cgroup.path / "cgroup.procs") if self._cgroup is not None else None
        try:
            self._pidfd, sock = _template_for(self._provided, self._helpers, self._cells).fork_worker(address_space,
                                                                                                     procs)
        except (OSError, EOFError, protocol.ProtocolError):
            raise self._ended("crash", "the notebook's helper cells", "the grader's checker could not start") from None
        self._conn = Connection(sock.detach())
        os.set_blocking(self._conn.fileno(), False)
        ready = self._exchange(None, "the notebook's helper cells")
        self._names = set(ready.get("names", []))
        self.error = protocol.safe_text(ready.get("error", ""), 4000)
        self.reused = ready.get("reused", {})  # grade_id -> [sections computed once per class, why no more]

    def _exchange(self, message: dict | None, name: str) -> dict:
        """Send ``message`` (None: only read) and wait for the worker's reply, within this section's time."""
        left = self.limits.notebook_timeout - self.spent
        if left <= 0:
            raise self._ended("timeout", name,
                              f"the grader's checks of this notebook ran past {self.limits.notebook_timeout:g} s")
        wait = min(self.limits.cell_timeout, left)
        started = time.monotonic()
        deadline = started + wait
        try:
            if message is not None:
                write_frame(self._conn.fileno(), protocol.dumps(message), deadline)
            data = read_frame(self._conn.fileno(), deadline, protocol.MAX_MESSAGE_BYTES)
        except TimeoutError:
            raise self._ended("timeout", name, f"the grader's check of cell {name} ran past {wait:g} s "
                                               "(on the values this notebook sent back)") from None
        except (EOFError, OSError, protocol.ProtocolError):
            raise self._ended("crash", name, f"the grader's check of cell {name} died") from None
        finally:
            self.spent += time.monotonic() - started
        reply = protocol.loads(data)
        if reply.get("memory") is True:
            raise self._ended("memory", name, self._memory_detail(name))
        return reply

    def _memory_detail(self, name: str) -> str:
        return (f"the grader's check of cell {name} ran out of memory on the values this notebook sent back "
                f"(limit {self.limits.memory_gb:g} GB)")

    def _ended(self, kind: str, name: str, detail: str) -> SandboxEnded:
        """Kill the worker; a worker that filled its cgroup ended for want of memory, whatever the clock said."""
        self.close()
        if kind != "memory" and self._cgroup_hit:
            return SandboxEnded("memory", self._memory_detail(name))
        return SandboxEnded(kind, detail)

    def close(self) -> None:
        self._cgroup_hit = False
        if self._pidfd is not None:
            self._kill()
            # wait for the end (a pidfd turns readable then): its memory cgroup must be empty to go
            select.select([self._pidfd], [], [], 10.0)
            os.close(self._pidfd)
            self._pidfd = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._cgroup is not None:
            self._cgroup_hit = bool(self._cgroup.limit_hits())
            if self._cgroup is not self._shared_cgroup:  # the notebook's own is its session's to remove
                self._cgroup.remove()
            self._cgroup = None

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    _cgroup_hit = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- what the pipeline asks -------------------------------------------------------------------

    @property
    def base_names(self) -> set:
        """Names the grader defines itself (provided code, helpers): never taken from the sandbox."""
        if self._conn is None:
            self._start()
        return set(self._names)

    # A graded cell's fresh namespace and a drive's values travel with the next section the worker
    # runs (one exchange, not three); values no section read are bound when the cell ends.
    _fresh = False
    _values: dict | None = None

    def begin_cell(self, name: str) -> None:
        """A fresh namespace for graded cell ``name`` (the base namespace, copied)."""
        if self._conn is None:
            self._start()
        self._fresh, self._values = True, None

    def add_values(self, values: dict, name: str) -> None:
        """Bind a drive's results (still encoded, as the sandbox sent them) in the cell's namespace."""
        if values:
            self._values = {**(self._values or {}), **values}

    def end_cell(self, name: str) -> None:
        """The cell's last values, if no section read them: bound all the same (a value that breaks the
        protocol ends the notebook whether or not a check reads it)."""
        if self._values:
            self._send_pending({"op": "values"}, name)

    def _send_pending(self, message: dict, name: str) -> dict:
        if self._fresh:
            message["fresh"], message["cell"] = True, name
        if self._values:
            message["values"] = self._values
        self._fresh, self._values = False, None
        reply = self._exchange(message, name)
        if reply.get("protocol_error"):
            raise SandboxEnded("crash", f"the sandbox broke the protocol in cell {name} "
                                        f"({protocol.safe_text(reply['protocol_error'], 300)})")
        return reply

    def run(self, source: str, name: str, seed: int | None = None, cell_seed: int | None = None,
            index: int | None = None) -> HostOutcome:
        """Section ``index`` (a setup or check) of graded cell ``name`` (``cell_seed``: see :mod:`lmtrain.seeds`).

        A helper cell's sections already ran in the base namespace every cell starts from (its
        errors are :attr:`error`), so they are not run again: a helper may compute once for the
        whole class what later checks read (a count of GPT-2 XL, say).
        """
        if name in self._helper_ids:
            if self._conn is None:
                self._start()
            return HostOutcome()
        reply = self._send_pending({"op": "run", "source": source, "name": name, "seed": seed, "cell_seed": cell_seed,
                                    "index": index}, name)
        return HostOutcome(protocol.safe_text(reply.get("error_type", ""), 200),
                           protocol.safe_text(reply.get("error", ""), MAX_OUTCOME_CHARS),
                           protocol.safe_text(reply.get("stdout", ""), MAX_OUTCOME_CHARS))
