"""The sandbox's system-call filter, in a child process of its own (no root needed)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from autograder.sandbox import seccomp
from autograder.course import REPO_ROOT

pytestmark = pytest.mark.skipif(not seccomp.supported(), reason="no system-call filter for this architecture")

# Numbers by architecture for the calls the child makes (the filter's own table is not the oracle).
CALLS = {
    "x86_64": {"add_key": 248, "keyctl": 250, "unshare": 272, "ptrace": 101, "getpid": 39, "clone": 56, "clone3": 435},
    "aarch64": {"add_key": 217, "keyctl": 219, "unshare": 97, "ptrace": 117, "getpid": 172, "clone": 220,
                "clone3": 435},
}

CHILD = textwrap.dedent("""
    import ctypes, json, os, platform, subprocess, sys, threading
    numbers = json.loads(sys.argv[1])[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    def call(name, *args):
        ctypes.set_errno(0)
        result = libc.syscall(numbers[name], *args)
        return 0 if result >= 0 else ctypes.get_errno()

    def everything():
        thread_ran = []
        worker = threading.Thread(target=thread_ran.append, args=[1])
        worker.start()
        worker.join()
        return {
            "add_key": call("add_key", b"user", b"k", b"v", 1, ctypes.c_long(-4)),
            "keyctl": call("keyctl", 0, ctypes.c_long(-4), 0),
            "unshare": call("unshare", 0x20000),
            "ptrace": call("ptrace", 0, 0, 0, 0),  # PTRACE_TRACEME
            "clone3": call("clone3", None, 0),
            # CLONE_NEWUSER | CLONE_THREAD: a combination the kernel itself rejects (EINVAL), so no
            # process is ever made; the filter answers first, with EPERM
            "clone_newuser": call("clone", 0x10000000 | 0x00010000, None, None, None, None),
            "getpid": call("getpid"),
            "personality_query": libc.personality(ctypes.c_ulong(0xFFFFFFFF)) >= 0,
            "thread": thread_ran == [1],
            "subprocess": subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True,
                                         text=True).stdout.strip(),
            "seccomp": [l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")],
        }

    # before the filter, the harmless ones among them reach the kernel
    before = {"keyctl": call("keyctl", 0, ctypes.c_long(-4), 0),
              "clone_newuser": call("clone", 0x10000000 | 0x00010000, None, None, None, None)}
    from autograder.sandbox import seccomp
    seccomp.install()
    print(json.dumps({"before": before, "after": everything()}))
""")


def _run_child() -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(CALLS)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_refused_calls_fail_with_eperm_and_the_rest_works():
    result = _run_child()
    after = result["after"]
    assert after["seccomp"] == ["2"]  # SECCOMP_MODE_FILTER, inherited by the child's threads
    for name in ("add_key", "keyctl", "unshare", "ptrace", "clone_newuser"):
        assert after[name] == 1, f"{name}: errno {after[name]} (EPERM is 1)"
    assert after["clone3"] == 38  # ENOSYS: the C library falls back to clone
    assert after["getpid"] == 0 and after["personality_query"] and after["thread"]
    assert after["subprocess"] == "42"  # a child process (fork + exec) still starts
    assert result["before"] == {"keyctl": 0, "clone_newuser": 22}  # the kernel's answers: the id, EINVAL


def test_every_refused_call_has_a_number_on_each_architecture():
    for machine, numbers in seccomp._NUMBERS.items():
        assert set(seccomp.DENIED) <= set(numbers), machine
        program = seccomp._program(machine)
        assert len(program) < 256 and all(jt < 256 and jf < 256 for _c, jt, jf, _k in program)
