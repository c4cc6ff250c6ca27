"""The cache key of a grade: a hash of everything that decides it, computed once per run.

A re-grade must re-grade whatever changed. A pair (student, notebook) is
graded again unless its saved key equals the key of this run, which covers
the grader's and the course package's source code (tolerances, scoring rules,
forbidden-call detection, the loader), the versions of the libraries that
compute (Python, PyTorch, NumPy, nbgrader), every source and release notebook
with its released data, the limits and the isolation mode, and the student's
own notebooks.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

__all__ = ["run_key", "pair_key"]

_LIBRARIES = ("torch", "numpy", "nbgrader", "nbformat")


def _package_sources() -> list[Path]:
    import lmtrain

    import autograder

    files = []
    for package in (autograder, lmtrain):
        folder = Path(package.__file__).resolve().parent
        files += sorted(folder.rglob("*.py"))
    return files


def _library_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"python={platform.python_version()}"]
    for name in _LIBRARIES:
        try:
            parts.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name}=absent")
    return ";".join(parts)


def run_key(course_root: Path, limits, isolate: bool) -> str:
    """Everything a grade depends on except the submission (once per run)."""
    from .course import RELEASE_DIR, SOURCE_DIR

    h = hashlib.sha256()
    h.update(f"{_library_versions()}|{limits!r}|isolate={isolate}".encode())
    for path in _package_sources():
        h.update(b"|code:" + path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    root = Path(course_root)
    for folder in (SOURCE_DIR, RELEASE_DIR):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts and "__pycache__" not in path.parts:
                h.update(f"|{path.relative_to(root).as_posix()}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def pair_key(run: str, assignment: str, notebooks: dict) -> str:
    """The key of one (student, notebook): this run's key and every notebook the student handed in."""
    h = hashlib.sha256(f"{run}|{assignment}".encode())
    for name in sorted(notebooks):
        data = notebooks[name]
        h.update(f"|{name}:".encode() + (hashlib.sha256(data).digest() if data is not None else b"unreadable"))
    return h.hexdigest()
