"""Sandbox uids, leased so that no two notebooks running on one machine share one.

The runner of each notebook switches to an unprivileged uid that no account
owns. RLIMIT_NPROC counts processes per uid, so two graders on one machine
(shards of a class on one node, or a test run beside a grading run) that both
gave their first job slot the same uid would let one notebook's fork bomb
starve the other of processes. A uid is therefore leased: an exclusive
``flock`` on its own lock file in a root-only folder, held by the grader for as
long as the notebook runs and dropped by the kernel if the grader dies.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile

__all__ = ["SANDBOX_UID_BASE", "UID_COUNT", "UidLease", "lease_uid", "is_leased"]

#: First of the uids the runners switch to; no account needs to exist.
SANDBOX_UID_BASE = 1_990_000
UID_COUNT = 1000

#: Where the lock files live: root-only folders, so no other user can hold (or fake) a lease. The
#: first that can be made is used; the second is for machines whose /run is missing or read-only.
LEASE_DIRS = ("/run/lmtrain-sandbox-uids", os.path.join(tempfile.gettempdir(), "lmtrain-sandbox-uids"))


class UidLease:
    """One uid, ours until :meth:`release` (or until this process ends)."""

    def __init__(self, uid: int, fd: int):
        self.uid = uid
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = -1


def _lease_dir() -> str:
    for folder in LEASE_DIRS:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            continue  # no such parent, or a read-only file system: try the next place
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
            raise RuntimeError(f"{folder} must be a folder owned by root and writable by root only; "
                               "remove it and grade again")
        return folder
    raise RuntimeError(f"cannot make a folder for the sandbox uid leases in any of {', '.join(LEASE_DIRS)}; "
                       "make one of them writable by root")


def _lock_path(uid: int) -> str:
    return os.path.join(_lease_dir(), f"{uid}.lock")


def lease_uid(preferred: int = 0) -> UidLease:
    """Lease the first free uid, starting the search at slot ``preferred``."""
    for offset in range(UID_COUNT):
        uid = SANDBOX_UID_BASE + (preferred + offset) % UID_COUNT
        fd = os.open(_lock_path(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                continue
            raise
        return UidLease(uid, fd)
    raise RuntimeError(f"all {UID_COUNT} sandbox uids are leased by graders running on this machine; "
                       "wait for some to finish or lower --jobs")


def is_leased(uid: int) -> bool:
    """Whether a running grader holds ``uid`` now (a probe: takes and drops the lock at once)."""
    try:
        fd = os.open(_lock_path(uid), os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False
