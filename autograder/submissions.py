"""Find every student's notebooks in a submissions folder, refusing anything unsafe.

Three layouts are understood (they may be mixed):

* ``<student_id>/<assignment>.ipynb`` (or ``<student_id>/<assignment>/<assignment>.ipynb``);
* ``<student_id>.zip`` holding ``<assignment>.ipynb`` files (at any folder depth);
* nbgrader's ``submitted/<student_id>/<assignment>/<assignment>.ipynb``.

Nothing is extracted: notebooks are read into memory (zip members too, with
a size cap), so a hostile archive cannot write anywhere. Student ids and
archive member names are checked; symbolic links are never followed; every
file that is not a known notebook is reported as a warning and ignored.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = ["Submission", "Discovery", "discover", "valid_student_id"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_MEMBER_PART = re.compile(r"^[A-Za-z0-9._ @+()-]{1,200}$")
MAX_MEMBER_BYTES = 20 * 2**20
MAX_ZIP_MEMBERS = 1000


def valid_student_id(name: str) -> bool:
    return bool(_STUDENT_ID.match(name)) and name not in (".", "..") and ".." not in name


@dataclass
class Submission:
    """One student's notebooks: assignment name -> raw bytes (None: present but unreadable)."""

    student_id: str
    origin: str
    notebooks: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)  # assignment -> why it could not be read


@dataclass
class Discovery:
    submissions: dict = field(default_factory=dict)  # student_id -> Submission
    warnings: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # (name, reason)


def _read_regular(path: Path, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """Read a file without following a symbolic link at its last component."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > limit:
            raise OSError(f"larger than {limit} bytes")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


def _add(discovery: Discovery, student: str, origin: str) -> Submission | None:
    if student in discovery.submissions:
        discovery.rejected.append((origin, f"a second submission for student {student!r} "
                                           f"(already have {discovery.submissions[student].origin}); ignored"))
        return None
    submission = Submission(student, origin)
    discovery.submissions[student] = submission
    return submission


def _scan_student_dir(discovery: Discovery, folder: Path, student: str, assignments: set[str], label: str) -> None:
    submission = _add(discovery, student, label)
    if submission is None:
        return
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                discovery.rejected.append((f"{label}/{(here / name).relative_to(folder)}", "symbolic link; not followed"))
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink() and not d.startswith("."))
        for name in sorted(filenames):
            path = here / name
            rel = f"{label}/{path.relative_to(folder)}"
            if path.is_symlink():
                discovery.rejected.append((rel, "symbolic link; not read"))
                continue
            stem = name[:-6] if name.endswith(".ipynb") else None
            if stem in assignments and (here == folder or here.name == stem):
                if stem in submission.notebooks:
                    discovery.warnings.append(f"{rel}: a second copy of {stem}.ipynb for {student}; ignored")
                    continue
                try:
                    submission.notebooks[stem] = _read_regular(path)
                except OSError as exc:
                    submission.notebooks[stem] = None
                    submission.problems[stem] = f"could not read {rel}: {exc}"
            elif not name.startswith(".") and "checkpoint" not in rel and name != "timestamp.txt":
                discovery.warnings.append(f"{rel}: not a notebook of this course; ignored")


def _scan_zip(discovery: Discovery, path: Path, student: str, assignments: set[str]) -> None:
    submission = _add(discovery, student, path.name)
    if submission is None:
        return
    try:
        data_fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(data_fd, "rb") as handle, zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                discovery.rejected.append((path.name, f"more than {MAX_ZIP_MEMBERS} files in the archive"))
                return
            for info in members:
                name = info.filename
                problem = _unsafe_member(info)
                if problem:
                    discovery.rejected.append((f"{path.name}:{name!r}", problem))
                    continue
                if info.is_dir():
                    continue
                base = PurePosixPath(name).name
                stem = base[:-6] if base.endswith(".ipynb") else None
                if stem not in assignments or "__MACOSX" in name or ".ipynb_checkpoints" in name:
                    if not base.startswith("."):
                        discovery.warnings.append(f"{path.name}:{name}: not a notebook of this course; ignored")
                    continue
                if stem in submission.notebooks:
                    discovery.warnings.append(f"{path.name}:{name}: a second copy of {stem}.ipynb; ignored")
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    submission.notebooks[stem] = None
                    submission.problems[stem] = f"{name} is larger than {MAX_MEMBER_BYTES} bytes"
                    continue
                try:
                    with archive.open(info) as member:
                        data = member.read(MAX_MEMBER_BYTES + 1)
                    if len(data) > MAX_MEMBER_BYTES:
                        raise ValueError("larger than declared")
                    submission.notebooks[stem] = data
                except Exception as exc:  # noqa: BLE001 - a corrupt member, bad CRC, encryption...
                    submission.notebooks[stem] = None
                    submission.problems[stem] = f"could not read {name} from the archive: {exc}"
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        discovery.rejected.append((path.name, f"not a readable zip archive ({exc}); the student's notebooks count as missing"))


def _unsafe_member(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute or Windows path in the archive; rejected"
    parts = [p for p in name.split("/") if p]
    if any(p in ("..", ".") for p in parts):
        return "path traversal ('..') in the archive; rejected"
    if any(not _MEMBER_PART.match(p) for p in parts):
        return "unusual characters in a file name in the archive; rejected"
    mode = (info.external_attr >> 16) & 0o170000
    if mode == stat.S_IFLNK:
        return "symbolic link in the archive; rejected"
    if mode and mode not in (stat.S_IFREG, stat.S_IFDIR):
        return "special file in the archive; rejected"
    return ""


def discover(root: str | Path, assignments: list[str]) -> Discovery:
    """Every student's notebooks under ``root``."""
    root = Path(root)
    wanted = set(assignments)
    discovery = Discovery()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    entries = sorted(os.listdir(root))
    for name in entries:
        path = root / name
        if name.startswith("."):
            continue
        if path.is_symlink():
            discovery.rejected.append((name, "symbolic link; not followed"))
            continue
        if name == "submitted" and path.is_dir():
            for student in sorted(os.listdir(path)):
                spath = path / student
                if spath.is_symlink() or not spath.is_dir():
                    discovery.rejected.append((f"submitted/{student}", "not a folder (or a symbolic link); ignored"))
                    continue
                if not valid_student_id(student):
                    discovery.rejected.append((f"submitted/{student!r}", "not a valid student id (letters, digits, . _ @ + -)"))
                    continue
                _scan_student_dir(discovery, spath, student, wanted, f"submitted/{student}")
            continue
        if path.is_dir():
            if not valid_student_id(name):
                discovery.rejected.append((repr(name), "not a valid student id (letters, digits, . _ @ + -)"))
                continue
            _scan_student_dir(discovery, path, name, wanted, name)
        elif name.endswith(".zip") and path.is_file():
            student = name[:-4]
            if not valid_student_id(student):
                discovery.rejected.append((repr(name), "not a valid student id (letters, digits, . _ @ + -)"))
                continue
            _scan_zip(discovery, path, student, wanted)
        else:
            discovery.warnings.append(f"{name}: neither a student folder nor a .zip; ignored")
    return discovery
