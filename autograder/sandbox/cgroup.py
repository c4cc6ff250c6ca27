"""A memory cgroup per notebook: a limit that counts every page (shared memory and memfd included).

An address-space limit (RLIMIT_AS) misses pages a process maps from tmpfs or
a memfd, and a memory bomb that swaps can run out the clock instead of
failing. A cgroup's limit is enforced by the kernel on the pages themselves,
and its out-of-memory counter says afterwards that the limit was hit, however
slow the machine. Needs root and a writable memory controller (cgroup v1 or
v2); :func:`create` returns None where there is none, and the caller logs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MemoryCgroup", "create"]


def _own_memory_cgroup() -> tuple[Path, str] | None:
    """(folder of this process's memory cgroup, version) or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            if folder.is_dir():
                return folder, "v1"
    for line in lines:
        if line.startswith("0::"):
            folder = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
            if (folder / "cgroup.controllers").is_file() and "memory" in (folder / "cgroup.controllers").read_text():
                return folder, "v2"
    return None


@dataclass
class MemoryCgroup:
    path: Path
    version: str

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def oom_kills(self) -> int:
        """How many processes the kernel killed for hitting this cgroup's limit."""
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def limit_hits(self) -> int:
        """How often usage reached the limit (an allocation had to wait for reclaim or failed):
        non-zero means the notebook filled its memory, whether or not the kernel killed it yet."""
        if self.version == "v1":
            try:
                return int((self.path / "memory.failcnt").read_text().strip() or 0) + self.oom_kills()
            except (OSError, ValueError):
                return self.oom_kills()
        try:
            for line in (self.path / "memory.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key in ("max", "oom", "oom_kill") and int(value):
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def peak_bytes(self) -> int | None:
        """The highest usage so far (None where the kernel does not keep it: cgroup v2 before 5.19)."""
        name = "memory.max_usage_in_bytes" if self.version == "v1" else "memory.peak"
        try:
            return int((self.path / name).read_text().strip())
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        """Kill what is left inside and delete the cgroup."""
        try:
            pids = (self.path / "cgroup.procs").read_text().split()
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                import time

                time.sleep(0.02)


def create(name: str, limit_bytes: int) -> MemoryCgroup | None:
    """A fresh memory cgroup under this process's own, limited to ``limit_bytes`` (swap included)."""
    if os.geteuid() != 0:
        return None
    found = _own_memory_cgroup()
    if found is None:
        return None
    parent, version = found
    path = parent / name
    try:
        if path.exists():
            MemoryCgroup(path, version).remove()
        path.mkdir()
        if version == "v1":
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            try:  # swap counted too, where the kernel accounts it
                (path / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
            except OSError:
                pass
        else:
            (path / "memory.max").write_text(str(limit_bytes))
            try:
                (path / "memory.swap.max").write_text("0")
            except OSError:
                pass
    except OSError:
        try:
            path.rmdir()
        except OSError:
            pass
        return None
    return MemoryCgroup(path, version)
