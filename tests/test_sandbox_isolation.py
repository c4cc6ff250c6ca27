"""Sandboxes share nothing: what one notebook leaves in the kernel, the next cannot find.

Each sandbox has its own mount, PID, network, IPC and UTS namespaces, but kernel keys are kept
apart only by user namespaces (their serials are global, a key linked to a uid's keyring outlives
the process, and its owner may make it readable by every uid), so the system-call filter refuses
them. The tests
run two sandboxes side by side (as two notebooks of a class do, under different uids) and
one after the other, and let the first hide a secret everywhere it can.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from autograder import protocol
from autograder.course import REPO_ROOT
from autograder.sandbox import Limits, SandboxEnded, SandboxSpec, Session

NB = "01_cross_entropy"
LIMITS = Limits(notebook_timeout=120, cell_timeout=60, memory_gb=1.0, max_processes=32)
SECRET = "lmtrain-isolation-secret-4417"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's namespaces, chroot and uid switch need root")


class Box:
    def __init__(self, tmp_path: Path, limits: Limits = LIMITS, isolate: bool = True):
        staging = tmp_path / "stage" / "notebooks" / NB
        staging.mkdir(parents=True)
        (staging / f"{NB}.ipynb").write_text("{}", encoding="utf-8")
        (tmp_path / "root").mkdir()
        spec = SandboxSpec(staging=str(tmp_path / "stage"), workdir=f"notebooks/{NB}",
                           root_mount=str(tmp_path / "root"), data_dir=str(REPO_ROOT / "data"), isolate=isolate)
        self.session = Session(spec, limits, forbidden=[str(REPO_ROOT / d) for d in ("solutions", "tests", ".git")])
        self.index = 0

    def run(self, source: str, exports=()):
        self.index += 1
        raw = self.session.request({"op": "exec", "index": self.index, "name": "probe",
                                    "source": textwrap.dedent(source), "exports": list(exports)}, "probe")
        reply = protocol.parse_reply(raw, self.index, list(exports), {"probe": 1000})
        assert not reply.error_type, reply.error
        return reply.values

    def close(self):
        self.session.close()


# The first notebook hides the secret in every place a process can write without a file the
# grader reads: a kernel key readable by all (linked to its uid's keyring and to the session's),
# files in /tmp and /dev/shm, a POSIX message queue, an abstract socket that answers with it.
HIDE = f"""
    import ctypes, os, socket, threading
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    hidden = []
    for keyring in (-4, -3, -5):  # KEY_SPEC_USER_KEYRING, SESSION, USER_SESSION
        serial = libc.syscall(248 if os.uname().machine == 'x86_64' else 217, b'user', b'{SECRET}',
                              b'{SECRET}', len(b'{SECRET}'), ctypes.c_long(keyring))
        if serial > 0:
            libc.syscall(250 if os.uname().machine == 'x86_64' else 219, 5, serial, 0x3f3f3f3f)  # SETPERM: all
            hidden.append('key')
    for folder in ('/tmp', '/dev/shm'):
        try:
            with open(folder + '/{SECRET}', 'w') as f:
                f.write('{SECRET}')
            os.chmod(folder + '/{SECRET}', 0o666)
            hidden.append(folder)
        except OSError:
            pass
    try:
        libc.mq_open.restype = ctypes.c_int
        if libc.mq_open(b'/{SECRET}', os.O_CREAT | os.O_RDWR, 0o666, None) >= 0:
            hidden.append('mqueue')
    except AttributeError:
        pass
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind('\\0{SECRET}')
        server.listen()
        def answer():
            while True:
                conn, _ = server.accept()
                conn.sendall(b'{SECRET}')
                conn.close()
        threading.Thread(target=answer, daemon=True).start()
        hidden.append('abstract socket')
    except OSError:
        pass
"""

# The second looks everywhere the first could have left it.
SEEK = f"""
    import ctypes, os, socket
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    found = []
    try:
        keys = open('/proc/keys').read().splitlines()
    except OSError:
        keys = []
    for line in keys:
        if '{SECRET}' in line:
            buffer = ctypes.create_string_buffer(256)
            size = libc.syscall(250 if os.uname().machine == 'x86_64' else 219, 11, int(line.split()[0], 16),
                                buffer, 256)  # KEYCTL_READ
            if size > 0 and b'{SECRET}' in buffer.raw:
                found.append('key')
    for keyring in (-4, -5):
        serial = libc.syscall(249 if os.uname().machine == 'x86_64' else 218, b'user', b'{SECRET}', None,
                              ctypes.c_long(keyring))  # request_key
        if serial > 0:
            found.append('key by name')
    for folder in ('/tmp', '/dev/shm'):
        if os.path.exists(folder + '/{SECRET}'):
            found.append(folder)
    libc.mq_open.restype = ctypes.c_int
    if libc.mq_open(b'/{SECRET}', os.O_RDONLY) >= 0:
        found.append('mqueue')
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.settimeout(5)
        probe.connect('\\0{SECRET}')
        if b'{SECRET}' in probe.recv(100):
            found.append('abstract socket')
    except OSError:
        pass
"""


@needs_root
def test_nothing_one_sandbox_leaves_reaches_the_next(tmp_path):
    first = Box(tmp_path / "first")
    try:
        hidden = first.run(HIDE, ["hidden"])["hidden"]
        assert {"/tmp", "/dev/shm", "abstract socket"} <= set(hidden)  # the probe itself works
        beside = Box(tmp_path / "beside")  # a notebook graded at the same time, under another uid
        try:
            assert beside.session.uid != first.session.uid
            assert beside.run(SEEK, ["found"])["found"] == []
        finally:
            beside.close()
    finally:
        first.close()
    after = Box(tmp_path / "after")  # the next notebook, likely under the uid the first gave back
    try:
        assert after.run(SEEK, ["found"])["found"] == []
    finally:
        after.close()


@needs_root
def test_kernel_keys_and_other_kernel_calls_are_refused_inside(tmp_path):
    box = Box(tmp_path)
    try:
        values = box.run("""
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            x86 = os.uname().machine == 'x86_64'
            calls = {'add_key': (248 if x86 else 217, b'user', b'k', b'v', 1, ctypes.c_long(-4)),
                     'keyctl': (250 if x86 else 219, 0, ctypes.c_long(-4), 0),
                     'unshare': (272 if x86 else 97, 0x10000000),
                     'bpf': (321 if x86 else 280, 0, None, 0)}
            errors = {}
            for name, args in calls.items():
                result = libc.syscall(*args)
                errors[name] = ctypes.get_errno() if result < 0 else 0
            filtered = [line.split()[1] for line in open('/proc/self/status') if line.startswith('Seccomp:')]
        """, ["errors", "filtered"])
    finally:
        box.close()
    assert values["filtered"] == ["2"]  # SECCOMP_MODE_FILTER
    assert values["errors"] == {"add_key": 1, "keyctl": 1, "unshare": 1, "bpf": 1}  # EPERM each


def test_without_namespaces_the_filter_still_applies(tmp_path):
    """Not root, or isolation off: no namespaces or uid switch, but the same system-call filter."""
    box = Box(tmp_path, isolate=False)
    try:
        assert not box.session.isolated
        values = box.run("""
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            result = libc.syscall(248 if os.uname().machine == 'x86_64' else 217, b'user', b'k', b'v', 1,
                                  ctypes.c_long(-4))
            error = ctypes.get_errno() if result < 0 else 0
            filtered = [line.split()[1] for line in open('/proc/self/status') if line.startswith('Seccomp:')]
        """, ["error", "filtered"])
    finally:
        box.close()
    assert values == {"error": 1, "filtered": ["2"]}


# ---------------------------------------------------------------------------
# --memory is the limit for everything a notebook holds
# ---------------------------------------------------------------------------

# Shared memory in every form the sandbox offers: files in /dev/shm and /tmp (tmpfs pages, which an
# address-space limit never sees), then memfd files, 16 MB at a time, until something stops it.
HOARD = """
    import os
    chunk = b'x' * 2**24
    for folder in ('/dev/shm', '/tmp'):
        for i in range(64):
            try:
                with open(f'{folder}/hoard{i}', 'wb') as f:
                    f.write(chunk)
            except OSError:
                break
    hoard = []
    for _ in range(128):
        hoard.append(os.memfd_create('hoard'))
        os.write(hoard[-1], chunk)
"""


@needs_root
def test_shared_memory_in_any_form_stops_at_the_memory_limit(tmp_path):
    limit_gb = 0.5
    box = Box(tmp_path, Limits(notebook_timeout=120, cell_timeout=60, memory_gb=limit_gb, max_processes=32))
    try:
        if box.session.peak_memory() is None:
            pytest.skip("no memory cgroup with a peak counter here")
        with pytest.raises(SandboxEnded) as ended:
            box.run(HOARD)
        assert ended.value.kind == "memory", ended.value.detail
        peak = box.session.peak_memory()
    finally:
        box.close()
    # everything the notebook held at once, its start included, stayed within --memory
    assert peak <= limit_gb * 2**30, f"the notebook held {peak / 2**20:.0f} MiB under --memory {limit_gb}"


@needs_root
def test_the_writable_folders_share_one_size(tmp_path):
    """/tmp, /dev/shm and the course folder are one tmpfs: filling one leaves no room in another."""
    box = Box(tmp_path, Limits(notebook_timeout=120, cell_timeout=60, memory_gb=1.0, max_processes=32,
                               tmpfs_bytes=64 * 2**20))
    try:
        values = box.run("""
            import os
            written = {}
            for folder in ('/tmp', '/dev/shm', '.'):
                written[folder] = 0
                try:
                    with open(f'{folder}/fill', 'wb') as f:
                        for _ in range(12):
                            f.write(b'x' * 2**22)
                            f.flush()
                            written[folder] += 4
                except OSError:
                    pass
        """, ["written"])
    finally:
        box.close()
    written = values["written"]
    assert written["/tmp"] == 48  # 48 MB fit in 64 MB
    assert written["/dev/shm"] + written["."] <= 64 + 16 - 48, written  # the rest of the same 64 MB (+ the root's)


# ---------------------------------------------------------------------------
# What a drive reports rests on the grader's own code, restored before it is read
# ---------------------------------------------------------------------------

GET_BATCH_ATTACKS = sorted((Path(__file__).parent / "hostile" / "get_batch").glob("*.py"))


def _expected(path: Path) -> dict:
    line = next(x for x in path.read_text(encoding="utf-8").splitlines() if x.startswith("# expect:"))
    fields = dict(item.split("=", 1) for item in line[len("# expect:"):].split())
    return {"status": set(fields.pop("status").split("|")), "cells": {k: float(v) for k, v in fields.items()}}


@needs_root
@pytest.mark.parametrize("attack", GET_BATCH_ATTACKS, ids=lambda p: p.stem)
def test_rebinding_a_helper_the_drive_uses_earns_nothing(attack, tmp_path):
    """Notebook 06 with a wrong get_batch that rewrites the helper definitions its drives call."""
    from _support import _course, submission_with_answer

    from autograder.grade import GradeOptions, Placement, grade_one

    want = _expected(attack)
    options = GradeOptions(limits=Limits(notebook_timeout=300, cell_timeout=120, memory_gb=1.0, max_processes=32),
                           isolate=True, course_root=REPO_ROOT)
    result = grade_one(_course(), "06_get_batch", attack.stem,
                       {"06_get_batch": submission_with_answer("get_batch", attack.read_text(encoding="utf-8"))},
                       options=options, placement=Placement(workroot=tmp_path), feedback=False)
    scores = {t.grade_id: t.score for t in result.tests}
    assert result.status in want["status"], (result.status, result.detail, scores)
    for cell, most in want["cells"].items():
        assert scores[cell] <= most, f"{attack.stem} earned {scores[cell]} in {cell}"
    assert any("helper definition" in detail for _kind, detail in result.integrity), result.integrity
