"""The sandbox a submission runs in, and the grader's end of its channel.

One notebook runs in two processes forked from a fork server that has already
imported PyTorch (milliseconds instead of seconds for a Jupyter kernel):

* the *keeper* (forked by the server) closes every inherited file descriptor
  but its channel, enters fresh network, mount, PID, IPC and UTS namespaces,
  builds a minimal root file system on one size-bounded tmpfs (read-only
  system folders, the interpreter and its packages, the course package, this
  student's notebooks, the released data read-only, an empty /tmp and
  /dev/shm: the folders it may write share that one size) and forks
* the *runner*, PID 1 of the new PID namespace, which mounts its own /proc,
  chroots into that root, drops to an unprivileged uid leased for this
  notebook (:mod:`autograder.sandbox.uids`), sets resource limits, re-arms its
  parent-death signal (a uid change clears it), installs the system-call
  filter of :mod:`autograder.sandbox.seccomp` (kernel keys, ptrace, mounts, BPF, ...:
  the kernel state no namespace separates, refused in both paths below) and
  runs :func:`autograder.sandbox.runner.notebook_loop`.

The fork server exits when the grader dies (``kill -9`` included), the keeper
gets SIGKILL when the fork server dies, the runner when the keeper dies, and
when the runner dies the kernel kills every process left in its PID
namespace: nothing the student started outlives the grader. When the grader
runs as root, each notebook also gets a memory cgroup limited to exactly
``--memory`` (which counts its tmpfs files, shared memory and memfd pages
that an address-space limit misses), and an out-of-memory kill is reported
as such, whatever the machine's speed.
Where namespaces are not permitted (not root, a locked-down container) the
keeper runs the cells itself in its own session, with the resource limits,
and the grader logs that isolation is best effort.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass

from .. import protocol
from . import uids

__all__ = ["Limits", "SandboxSpec", "Session", "SandboxEnded", "start_fork_server", "fork_context", "read_frame",
           "write_frame"]

# torch._dynamo is imported by the first TorchDispatchMode a graded test enters
# (2.4 s here): pay that once in the server, not once per notebook.
_PRELOAD = [
    "torch", "torch._dynamo", "numpy", "numpy.testing", "matplotlib", "matplotlib.pyplot",
    "lmtrain.checking", "lmtrain.loader", "lmtrain.model", "lmtrain.parts", "lmtrain.testing",
    "autograder.protocol", "autograder.sections", "autograder.sandbox", "autograder.sandbox.session",
    "autograder.sandbox.runner", "autograder.sandbox.tamper", "autograder.sandbox.seccomp", "autograder.checker",
    "autograder.sandbox.warmup",  # last: PyTorch's first-use set-up, once for every process forked from here
]

_context = None


def fork_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_PRELOAD)
        _skip_main_module()
    return _context


def _skip_main_module() -> None:
    """Never re-run the grader's main script in a sandbox process.

    For a grader started as ``python some_script.py``, multiprocessing re-executes that script
    (as ``__mp_main__``) in every child it starts: seconds per notebook, and the instructor's
    script (its globals: paths, a database URL) would live in the memory of the process that runs
    the student's code. The keeper's target is in this module, so the main module is not needed.
    """
    from multiprocessing import spawn

    if getattr(spawn.get_preparation_data, "_lmtrain_no_main", False):
        return
    original = spawn.get_preparation_data

    def get_preparation_data(name):
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    get_preparation_data._lmtrain_no_main = True
    spawn.get_preparation_data = get_preparation_data



#: Environment variables the fork server inherits (nothing secret: tokens and database URLs stay out).
_SERVER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "PYTHONHASHSEED")
_server_lock = threading.Lock()


def start_fork_server() -> None:
    """Start (or restart) the fork server with a scrubbed environment.

    Called before every notebook: if a submission managed to kill the server,
    multiprocessing would otherwise restart it with the grader's whole
    environment.
    """
    from multiprocessing import forkserver

    fork_context()
    with _server_lock:
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update({k: v for k, v in saved.items() if k in _SERVER_ENV})
            os.environ["MPLBACKEND"] = "Agg"
            forkserver.ensure_running()
        finally:
            os.environ.clear()
            os.environ.update(saved)

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


_SANDBOX_ROOT_NAME = "course"  # the student's course folder inside the sandbox root


@dataclass(frozen=True)
class Limits:
    """Resource limits for one notebook."""

    notebook_timeout: float = 300.0  # wall seconds for the whole notebook
    cell_timeout: float = 120.0  # wall seconds for one cell
    memory_gb: float = 4.0  # all the notebook holds (its cgroup); its address space on top of the interpreter's
    output_bytes: int = 2_000_000  # characters a notebook may print in all
    kept_output_chars: int = 20_000  # characters kept per cell for the feedback
    max_processes: int = 128  # processes and threads of the sandbox user
    file_bytes: int = 64 * 2**20  # largest file the notebook may write
    tmpfs_bytes: int = 256 * 2**20  # the course folder, /tmp and /dev/shm together (counted in memory_gb)


@dataclass(frozen=True)
class SandboxSpec:
    """Where a notebook runs: ``staging`` holds the course tree the parent prepared."""

    staging: str  # <staging>/notebooks/<assignment>/<assignment>.ipynb, other notebooks beside
    workdir: str  # relative to the course folder: "notebooks/<assignment>"
    root_mount: str  # an empty folder the keeper may mount the sandbox root on
    data_dir: str | None = None  # course data, mounted read-only at <course>/data
    extra_paths: tuple = ()  # further folders the runner needs read-only (e.g. provided code)
    slot: int = 0  # job slot: names its cgroup; where the search for a free sandbox uid starts
    isolate: bool = True  # try namespaces + chroot + unprivileged uid

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


# ---- building the sandbox ------------------------------------------------------


_ETC_ENTRIES = (
    "passwd", "group", "nsswitch.conf", "host.conf", "hosts", "localtime", "timezone",
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "mime.types", "matplotlibrc",
)


def _package_folders() -> set[str]:
    """The interpreter's own folders and its site-packages: never the grader's working folder,
    nor whatever else is on ``sys.path`` (a tests folder, the current directory)."""
    import site
    import sysconfig

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            folders.add(path)
    folders.update(site.getsitepackages())
    return {f for f in folders if f and os.path.isdir(f)}


def _runtime_paths(spec: SandboxSpec) -> list[str]:
    """Folders the runner must read: the system, the interpreter and its packages, the course package."""
    paths = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"}
    # only the parts of /etc that programs need to start: configuration files elsewhere in /etc
    # (an nbgrader_config.py with a database password, say) stay out of reach
    paths.update(f"/etc/{name}" for name in _ETC_ENTRIES)
    paths.update(_package_folders())
    import lmtrain  # the course package the notebooks import (an editable install lives in the repository)

    paths.add(os.path.dirname(os.path.abspath(lmtrain.__file__)))
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
    # One tmpfs holds every folder the notebook may write (/tmp, /dev/shm, its course folder), so that
    # they share one size, within the memory limit: three mounts of their own would each add theirs.
    _mount(libc, "sandbox", root, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={_writable_bytes(limits)},mode=0755")
    # /tmp is made first: the environment itself may live under /tmp (a CI clone with its .venv
    # there), and its binds below go inside it.
    os.makedirs(root + "/tmp", exist_ok=True)
    os.chmod(root + "/tmp", 0o1777)
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
    os.chmod(root + "/dev/shm", 0o1777)
    os.makedirs(root + "/proc", exist_ok=True)
    course = f"{root}/{_SANDBOX_ROOT_NAME}"
    os.makedirs(course, exist_ok=True)
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


def _writable_bytes(limits: Limits) -> int:
    """Size of the sandbox root's tmpfs: what the notebook may write, plus room for the folders and
    mount points of the root itself; never more than the memory limit, whose cgroup counts its pages."""
    return min(limits.tmpfs_bytes, int(limits.memory_gb * 2**30)) + 16 * 2**20


#: Address space a notebook may reserve beyond --memory: pages reserved and never written (np.zeros of
#: the 2 GiB corpus in notebook 06's hidden test, a memmap) cost no memory, and an honest answer must
#: not fail for them under a small --memory. The memory cgroup counts what is touched and stops the
#: notebook at --memory; where there is none (not root, isolation off) this address-space limit is the
#: only bound, and a notebook may then touch up to --memory plus this much (the README says so).
RESERVED_ADDRESS_SPACE = 3 * 2**30


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
    lower(resource.RLIMIT_AS, vm_kb * 1024 + limits.memory_gb * 2**30 + RESERVED_ADDRESS_SPACE)
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


def _close_inherited_fds(keep: int) -> None:
    """Every descriptor but the channel goes: the fork server's, multiprocessing's resource
    tracker's, and whatever else root processes left open would otherwise reach the sandbox."""
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def _sandbox_environment(home: str) -> dict:
    """The runner's whole environment, built fresh (never inherited: it could hold secrets)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "MPLCONFIGDIR": "/tmp/matplotlib",
        "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
        "USER": "student", "LOGNAME": "student",
    }


def _die_with_parent(libc, parent_alive: int | None = None) -> None:
    """SIGKILL when the parent dies; re-armed after every uid change, which clears it.

    If the parent died before the signal was armed, exit now. ``getppid() == 1`` tells that
    only outside a new PID namespace (there the parent of PID 1 always reads as 0), so the
    runner is given ``parent_alive``, the read end of a pipe whose write end only the keeper
    holds: it reads as end-of-file once the keeper is gone.
    """
    import select

    _check(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if parent_alive is not None:
        if select.select([parent_alive], [], [], 0)[0]:
            os._exit(1)
    elif os.getppid() == 1:
        os._exit(1)


def _drop_privileges(libc, uid: int, parent_alive: int | None = None) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _die_with_parent(libc, parent_alive)


def _filter_system_calls(notes: list[str]) -> None:
    """The last step before the notebook's code: kernel calls no notebook needs are refused from here
    on (:mod:`autograder.sandbox.seccomp`), whether or not the namespaces above were available."""
    from . import seccomp

    try:
        seccomp.install()
    except (OSError, RuntimeError) as exc:
        notes.append(f"no system-call filter ({exc}): kernel keys and other shared kernel state stay reachable")


def _keeper_main(conn, spec: SandboxSpec, limits: Limits, provided: str, forbidden: list[str],
                 cgroup_procs: str | None, uid: int | None) -> None:
    """Target of the process forked by the fork server (see the module comment); ``uid``, leased by
    the grader, is None exactly when the grader is not root or isolation is off (no uid switch)."""
    from .runner import notebook_loop

    _close_inherited_fds(conn.fileno())
    # The grader writes its outputs owner-only (umask 077), and the fork server may have started under
    # that umask: the folders of the sandbox root must stay searchable by the unprivileged user, or
    # every module not preloaded (torch.utils.flop_counter, say) fails to import inside.
    os.umask(0o022)
    os.setsid()
    _quiet_fds()
    notes: list[str] = []
    libc = _libc()
    _die_with_parent(libc)  # the fork server exits with the grader
    if cgroup_procs:
        try:
            with open(cgroup_procs, "w") as procs:
                procs.write(str(os.getpid()))
        except OSError as exc:
            notes.append(f"could not join the memory cgroup ({exc}); only the address-space limit applies")
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
        os.environ.clear()
        os.environ.update(_sandbox_environment(os.getcwd()))
        os.makedirs(os.environ["MPLCONFIGDIR"], exist_ok=True) if os.access("/tmp", os.W_OK) else None
        if os.geteuid() == 0 and spec.isolate:
            # no chroot, but at least not root: the sandbox user owns its staging copy and
            # nothing else (the working folder stays usable even if its parents are not searchable)
            try:
                for dirpath, dirnames, filenames in os.walk(spec.staging):
                    for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                        os.lchown(name, uid, uid)
                _drop_privileges(libc, uid)
            except OSError as exc:
                notes.append(f"could not switch to an unprivileged user ({exc}); student code ran as root")
        _filter_system_calls(notes)
        _send(conn, {"op": "hello", "isolated": False, "notes": notes})
        _set_limits(limits, processes=os.geteuid() != 0)
        notebook_loop(conn, limits, provided)
        os._exit(0)
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(alive_w)
            _die_with_parent(libc, alive_r)
            _mount(libc, "proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
            os.chroot(root)
            os.chdir(f"/{_SANDBOX_ROOT_NAME}/{spec.workdir}")
            _drop_privileges(libc, uid, alive_r)
            os.close(alive_r)
            os.environ.clear()
            os.environ.update(_sandbox_environment("/tmp"))
            _set_limits(limits, processes=True)
            _filter_system_calls(notes)
            _send(conn, {"op": "hello", "isolated": True, "notes": notes})
            notebook_loop(conn, limits, provided)
        except BaseException as exc:  # noqa: BLE001
            try:
                _send(conn, {"op": "fatal", "error": f"{type(exc).__name__}: {exc}"})
            except Exception:  # noqa: BLE001
                pass
        os._exit(0)
    conn.close()
    os.close(alive_r)  # alive_w stays open until the keeper exits
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    os._exit(0)


def _send(conn, message: dict) -> None:
    conn.send_bytes(protocol.dumps(message))


def _read_exactly(fd: int, n: int, deadline: float) -> bytearray:
    """``n`` bytes into one buffer allocated once (never a list of chunks joined into a second copy)."""
    import select

    buffer = bytearray(n)
    view = memoryview(buffer)
    got = 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            continue
        try:
            count = os.readv(fd, [view[got:got + (1 << 20)]])
        except BlockingIOError:
            continue
        if not count:
            raise EOFError
        got += count
    view.release()
    return buffer


def read_frame(fd: int, deadline: float, limit: int) -> bytearray:
    """One message in multiprocessing.Connection's framing (the runner sends with send_bytes),
    read with a deadline for the whole message and a size limit checked from its length header,
    before a byte of the message is read or a buffer allocated."""
    import struct

    (size,) = struct.unpack("!i", _read_exactly(fd, 4, deadline))
    if size == -1:
        (size,) = struct.unpack("!Q", _read_exactly(fd, 8, deadline))
    if size < 0 or size > limit:
        raise protocol.ProtocolError(f"a message of {size} bytes (the limit is {limit})")
    return _read_exactly(fd, size, deadline)


def write_frame(fd: int, data: bytes, deadline: float) -> None:
    """Send one message in Connection's framing; TimeoutError if the reader stops reading."""
    import select
    import struct

    view = memoryview(struct.pack("!i", len(data)) + data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        _, writable, _ = select.select([], [fd], [], left)
        if not writable:
            continue
        try:
            written = os.write(fd, view[: 1 << 16])
        except BlockingIOError:
            continue
        view = view[written:]


class SandboxEnded(Exception):
    """The notebook's sandbox stopped answering: ``kind`` is timeout, crash, memory or output."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Session:
    """The grader's end of one notebook's sandbox: send a request, wait for its reply.

    Only time spent waiting for the sandbox counts against the notebook's
    limit (the grader's own checks do not).
    """

    def __init__(self, spec: SandboxSpec, limits: Limits, provided: str = "", forbidden: list[str] | None = None):
        from . import cgroup

        start_fork_server()
        self.limits = limits
        self.notes: list[str] = []
        self.isolated = False
        self.waited = 0.0
        self._cgroup = None
        # a uid of its own while it runs: one per job slot is not enough with two graders on a machine
        self._uid = uids.lease_uid(spec.slot) if spec.isolate and os.geteuid() == 0 else None
        if spec.isolate:
            # --memory is the limit for every page the notebook holds, in any form (anonymous memory,
            # its files in the tmpfs root, /dev/shm, memfd): pages it shares with the fork server
            # stay charged to the server, so the notebook's own start costs only a few MB of it
            self._cgroup = cgroup.create(f"lmtrain-grade-{os.getpid()}-slot-{spec.slot}",
                                         int(limits.memory_gb * 2**30))
        context = fork_context()
        self._conn, child_end = context.Pipe(duplex=True)
        # the grader's end is only read and written by read_frame/write_frame, with deadlines
        os.set_blocking(self._conn.fileno(), False)
        procs = str(self._cgroup.path / "cgroup.procs") if self._cgroup else None
        self._process = context.Process(
            target=_keeper_main, args=(child_end, spec, limits, provided, list(forbidden or []), procs, self.uid),
            daemon=True)
        self._process.start()
        child_end.close()
        if spec.isolate and self._cgroup is None and os.geteuid() == 0:
            self.notes.append("no memory cgroup available: shared memory is not counted against --memory")
        try:
            hello = self._receive(min(60.0, limits.notebook_timeout), "the sandbox did not start")
            if hello.get("op") != "hello":
                raise SandboxEnded("crash", "the sandbox did not start: "
                                   + protocol.safe_text(str(hello.get("error", "")), 300))
        except BaseException:
            self.close()
            raise
        self.isolated = hello.get("isolated") is True
        notes = hello.get("notes", [])
        self.notes += [protocol.safe_text(n, 300) for n in notes[:10]] if type(notes) is list else []

    @property
    def memory_cgroup(self):
        """The cgroup that counts this notebook's memory (None without one); the grader's checker worker for
        the notebook joins it, so --memory bounds the two together."""
        return self._cgroup

    def peak_memory(self) -> int | None:
        """The most bytes the notebook held at once, as its memory cgroup counted (None without one)."""
        return self._cgroup.peak_bytes() if self._cgroup is not None else None

    @property
    def uid(self) -> int | None:
        """The uid this notebook's runner switched to (None when the grader is not root)."""
        return self._uid.uid if self._uid is not None else None

    def _receive(self, wait: float, what: str, where: str = "while starting") -> dict:
        # The whole message must arrive before the deadline: a sandbox that sends a length header
        # and then stalls would otherwise block this thread (and the class) in a blocking read.
        started = time.monotonic()
        try:
            data = read_frame(self._conn.fileno(), started + max(0.0, wait), protocol.MAX_MESSAGE_BYTES)
        except TimeoutError:
            raise self._timeout(what) from None
        except (EOFError, OSError):
            raise self._death(where) from None
        except protocol.ProtocolError as exc:
            raise SandboxEnded("crash", f"the sandbox sent {exc}") from None
        finally:
            self.waited += time.monotonic() - started
        try:
            return protocol.loads(data)
        except protocol.ProtocolError as exc:
            raise SandboxEnded("crash", f"the sandbox sent {exc}") from None

    def _timeout(self, what: str) -> SandboxEnded:
        """A clock ran out; if the memory limit was hit meanwhile, that is the cause (a notebook
        that fills its memory limit slows to a crawl in reclaim, faster or slower by machine)."""
        if self._cgroup is not None and self._cgroup.limit_hits():
            return SandboxEnded("memory", f"the notebook ran out of memory (limit {self.limits.memory_gb:g} GB)")
        return SandboxEnded("timeout", what)

    def _death(self, what: str) -> SandboxEnded:
        self._process.join(2.0)
        if self._cgroup is not None and self._cgroup.limit_hits():
            return SandboxEnded("memory", f"the notebook ran out of memory (limit {self.limits.memory_gb:g} GB)")
        return SandboxEnded("crash", f"the notebook's process died {what}")

    def request(self, message: dict, name: str) -> dict:
        """Send one request; its raw reply (validated later by :func:`protocol.parse_reply`)."""
        remaining = self.limits.notebook_timeout - self.waited
        if remaining <= 0:
            raise SandboxEnded("timeout", f"the notebook ran past {self.limits.notebook_timeout:g} s")
        wait = min(self.limits.cell_timeout, remaining)
        what = (f"cell {name} ran past {self.limits.cell_timeout:g} s" if wait >= self.limits.cell_timeout
                else f"the notebook ran past {self.limits.notebook_timeout:g} s")
        started = time.monotonic()
        try:  # bounded too: a sandbox that stops reading must not block a large request forever
            write_frame(self._conn.fileno(), protocol.dumps(message), started + wait)
        except TimeoutError:
            raise self._timeout(f"cell {name} stopped reading its requests") from None
        except (BrokenPipeError, ConnectionError, OSError):
            raise self._death(f"before cell {name}") from None
        finally:
            self.waited += time.monotonic() - started
        wait = max(0.0, wait - (time.monotonic() - started))
        reply = self._receive(wait, what, f"in cell {name}")
        if reply.get("op") == "fatal":
            raise SandboxEnded("crash", f"the sandbox failed in cell {name}")
        return reply

    def close(self) -> None:
        try:
            write_frame(self._conn.fileno(), b'{"op": "exit"}', time.monotonic() + 0.5)
        except (OSError, TimeoutError):
            pass
        self._conn.close()
        self._process.join(2.0)
        if self._process.pid:
            try:  # the keeper's session: itself, the runner, anything they started (before reaping)
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        if self._cgroup is not None:
            self._cgroup.remove()
        if self._uid is not None:  # only now: nothing of this notebook runs under it any more
            self._uid.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
