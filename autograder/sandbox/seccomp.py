"""A system-call filter for the sandbox: the kernel refuses what a notebook never needs.

Namespaces give a notebook its own mounts, processes, network, IPC and host
name, but kernel keys (``add_key``, ``keyctl``) are separated by none of
those, only by user namespaces, which the sandbox does not enter: their
serial numbers are global, a key linked to a uid's keyring outlives the
process that made it, and its owner may make it readable by every uid, so
they are the plain way for one sandbox to leave a message for the next.
Refusing them covers the grader that is not root too, where no namespace
can be made at all. Other calls here reach the kernel itself
(modules, mounts, BPF, io_uring, perf events) or another process's memory
(``ptrace``, ``process_vm_readv``, ``pidfd_getfd``). None has a place in
these notebooks, so a seccomp filter answers them with EPERM.

:func:`install` sets ``no_new_privs`` (which an unprivileged process needs
before it may install a filter) and loads a classic BPF program with
``prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)``. The filter, inherited by
every thread and child and never removable, is written for x86_64 and
aarch64 and checks the architecture first: any other calling convention
(i386 system calls through ``int 0x80``, x32) gets EPERM for every call,
since their numbers differ and could otherwise bypass the list.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

__all__ = ["DENIED", "install", "supported"]

#: The calls refused (EPERM), by name. Creating namespaces through clone's flags is refused too,
#: and clone3 (whose flags the filter cannot read) answers ENOSYS, so that the C library falls
#: back to clone for threads and processes.
DENIED = (
    "add_key", "request_key", "keyctl",  # kernel keys: global serials, they outlive the sandbox
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "mount_setattr",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "mq_open",
)

_NUMBERS = {
    "x86_64": {
        "add_key": 248, "request_key": 249, "keyctl": 250, "ptrace": 101, "process_vm_readv": 310,
        "process_vm_writev": 311, "pidfd_getfd": 438, "kcmp": 312, "process_madvise": 440, "mount": 165,
        "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308, "mount_setattr": 442,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
        "finit_module": 313, "delete_module": 176, "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163,
        "quotactl": 179, "quotactl_fd": 443, "syslog": 103, "vhangup": 153, "open_by_handle_at": 304,
        "name_to_handle_at": 303, "lookup_dcookie": 212, "mq_open": 240,
        "iopl": 172, "ioperm": 173,  # x86 only: port I/O
        "clone": 56, "clone3": 435, "personality": 135,
    },
    "aarch64": {
        "add_key": 217, "request_key": 218, "keyctl": 219, "ptrace": 117, "process_vm_readv": 270,
        "process_vm_writev": 271, "pidfd_getfd": 438, "kcmp": 272, "process_madvise": 440, "mount": 40,
        "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268, "mount_setattr": 442,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
        "finit_module": 273, "delete_module": 106, "swapon": 224, "swapoff": 225, "reboot": 142, "acct": 89,
        "quotactl": 60, "quotactl_fd": 443, "syslog": 116, "vhangup": 58, "open_by_handle_at": 265,
        "name_to_handle_at": 264, "lookup_dcookie": 18, "mq_open": 180,
        "clone": 220, "clone3": 435, "personality": 92,
    },
}
_EXTRA_DENIED = {"x86_64": ("iopl", "ioperm"), "aarch64": ()}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_BIT = 0x40000000  # x86_64's x32 ABI: the same numbers with this bit set

# every CLONE_NEW* flag (NEWTIME, NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET)
_CLONE_NEW_FLAGS = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
_PERSONALITY_QUERY = 0xFFFFFFFF  # personality(0xffffffff) reads the persona; every other call changes it

# classic BPF (linux/filter.h, linux/seccomp.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16  # struct seccomp_data (arg0's low word: little endian)
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def _machine() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return _machine() in _NUMBERS and struct.calcsize("P") == 8


def _stmt(code: int, k: int) -> tuple:
    return (code, 0, 0, k)


def _jump(code: int, k: int, true: int, false: int) -> tuple:
    return (code, true, false, k)


def _program(machine: str) -> list[tuple]:
    """The filter as (code, jt, jf, k) instructions; jumps are relative and forward only."""
    numbers = _NUMBERS[machine]
    eperm = _stmt(_RET_K, _SECCOMP_RET_ERRNO | errno.EPERM)
    enosys = _stmt(_RET_K, _SECCOMP_RET_ERRNO | errno.ENOSYS)
    allow = _stmt(_RET_K, _SECCOMP_RET_ALLOW)
    denied = sorted({numbers[name] for name in DENIED + _EXTRA_DENIED[machine]})
    # [arch] -> [nr] -> [x32?] -> clone3 -> clone -> personality -> denied list -> allow
    program = [
        _stmt(_LD_W_ABS, _OFFSET_ARCH),
        _jump(_JEQ_K, _AUDIT_ARCH[machine], 1, 0),
        eperm,  # another calling convention: its numbers differ, so nothing goes through
        _stmt(_LD_W_ABS, _OFFSET_NR),
    ]
    if machine == "x86_64":
        program += [_jump(_JGE_K, _X32_BIT, 0, 1), eperm]
    program += [_jump(_JEQ_K, numbers["clone3"], 0, 1), enosys]
    # clone: refuse any CLONE_NEW* flag in its first argument
    program += [
        _jump(_JEQ_K, numbers["clone"], 0, 3),
        _stmt(_LD_W_ABS, _OFFSET_ARG0),
        _jump(_JSET_K, _CLONE_NEW_FLAGS, 0, 1),
        eperm,
        # (clone without those flags: reload the number and go on; it matches nothing below)
        _stmt(_LD_W_ABS, _OFFSET_NR),
    ]
    # personality: only the query
    program += [
        _jump(_JEQ_K, numbers["personality"], 0, 4),
        _stmt(_LD_W_ABS, _OFFSET_ARG0),
        _jump(_JEQ_K, _PERSONALITY_QUERY, 1, 0),
        eperm,
        allow,
    ]
    for index, number in enumerate(denied):
        to_eperm = len(denied) - index  # past the remaining tests and the allow
        program.append(_jump(_JEQ_K, number, to_eperm, 0))
    program += [allow, eperm]
    return program


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def install() -> None:
    """Load the filter into this process (and everything it starts from now on); OSError if the
    kernel refuses, RuntimeError on an architecture without a filter here."""
    machine = _machine()
    if not supported():
        raise RuntimeError(f"no system-call filter for {machine}")
    program = _program(machine)
    for code, jt, jf, _k in program:
        assert jt < 256 and jf < 256, "a jump too far for classic BPF"
    instructions = (_SockFilter * len(program))(*[_SockFilter(*(code, jt, jf, k)) for code, jt, jf, k in program])
    fprog = _SockFprog(len(program), ctypes.cast(instructions, ctypes.POINTER(_SockFilter)))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_NO_NEW_PRIVS): {errno.errorcode.get(err, err)}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_SECCOMP): {errno.errorcode.get(err, err)}")
