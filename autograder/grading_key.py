"""The cache key of a grade: a hash of everything that decides it, computed once per run.

A re-grade must re-grade whatever changed. A pair (student, notebook) is
graded again unless its saved key equals the key of this run, which covers
the grader's and the course package's source code (tolerances, scoring rules,
forbidden-call detection, the loader), the versions of the libraries that
compute (Python, PyTorch, NumPy, nbgrader), every source and release notebook
with its released data, the limits and the isolation mode, and the student's
own notebooks. The key is built from named parts (:data:`PARTS`), saved with
each grade, so a re-grade can say which of them changed.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

__all__ = ["PARTS", "run_parts", "pair_parts", "key_of", "changed_parts", "run_key", "pair_key"]

_LIBRARIES = ("torch", "numpy", "nbgrader", "nbformat")

#: What a grade depends on, each part with the words a re-grade report uses for it.
PARTS = {
    "submission": "the submission",
    "other_notebooks": "the student's other notebooks",
    "tests": "the tests (source or release notebooks)",
    "code": "the grader's code",
    "libraries": "a library version",
    "limits": "a limit or the isolation mode",
}


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


def _digest(data: bytes | None) -> bytes:
    return hashlib.sha256(data).digest() if data is not None else b"unreadable"


def run_parts(course_root: Path, limits, isolate: bool) -> dict[str, str]:
    """Every part of the key but the student's notebooks (once per run)."""
    from .course import RELEASE_DIR, SOURCE_DIR

    code = hashlib.sha256()
    for path in _package_sources():
        code.update(b"|code:" + path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    tests = hashlib.sha256()
    root = Path(course_root)
    for folder in (SOURCE_DIR, RELEASE_DIR):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts and "__pycache__" not in path.parts:
                tests.update(f"|{path.relative_to(root).as_posix()}:".encode() + _digest(path.read_bytes()))
    return {"code": code.hexdigest(), "tests": tests.hexdigest(), "libraries": _library_versions(),
            "limits": f"{limits!r}|isolate={isolate}"}


def pair_parts(run: dict[str, str], assignment: str, notebooks: dict) -> dict[str, str]:
    """The parts of one (student, notebook): the run's, its notebook and every other one the student
    handed in (later notebooks load earlier answers)."""
    others = hashlib.sha256()
    for name in sorted(notebooks):
        if name != assignment:
            others.update(f"|{name}:".encode() + _digest(notebooks[name]))
    own = _digest(notebooks[assignment]).hex() if assignment in notebooks else "missing"
    return {**run, "submission": f"{assignment}:{own}", "other_notebooks": others.hexdigest()}


def key_of(parts: dict[str, str]) -> str:
    """The key itself: one hash of every part."""
    return hashlib.sha256("|".join(f"{name}={parts[name]}" for name in sorted(parts)).encode()).hexdigest()


def changed_parts(old: dict | None, new: dict[str, str]) -> list[str]:
    """The names of the parts that differ from ``old`` (none when ``old`` was never recorded)."""
    if not isinstance(old, dict):
        return []
    return [name for name in PARTS if old.get(name) != new.get(name)]


def run_key(course_root: Path, limits, isolate: bool) -> str:
    """Everything a grade depends on except the submission (once per run)."""
    return key_of(run_parts(course_root, limits, isolate))


def pair_key(run: dict[str, str], assignment: str, notebooks: dict) -> str:
    """The key of one (student, notebook): this run's parts and every notebook the student handed in."""
    return key_of(pair_parts(run, assignment, notebooks))
