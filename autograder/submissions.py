"""Find every student's notebooks in a submissions folder, refusing anything unsafe.

Three layouts are understood (they may be mixed):

* ``<student_id>/<assignment>.ipynb`` (at any folder depth);
* ``<student_id>.zip`` holding ``<assignment>.ipynb`` files (at any folder depth);
* nbgrader's ``submitted/<student_id>/<assignment>/<assignment>.ipynb``.

A notebook handed in under another name (``01_cross_entropy-Copy1.ipynb``,
``Untitled.ipynb``) is matched to its assignment by its cells: the grade ids
of the release's answer and test cells (see :func:`matching_assignment`).
Where a student has two notebooks for one assignment, the most recently saved
is graded. Each such choice becomes a note for the student; a file that is
none of the course's notebooks is named to the student too.

Nothing is extracted: notebooks are read into memory (zip members too, with
a size cap), so a hostile archive cannot write anywhere. Student ids and
archive member names are checked; symbolic links are never followed, and
nothing but a regular file is ever opened (a FIFO named like a notebook would
block its reader forever).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lmtrain.notebook import nbgrader_meta

__all__ = ["Submission", "Discovery", "discover", "valid_student_id", "signatures_of", "matching_assignment"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_MEMBER_PART = re.compile(r"^[A-Za-z0-9._ @+()-]{1,200}$")
MAX_MEMBER_BYTES = 20 * 2**20
MAX_ZIP_MEMBERS = 1000
#: A notebook under another name is an assignment's when it holds more than this share of its ids.
MATCH_SHARE = 0.5


def valid_student_id(name: str) -> bool:
    return bool(_STUDENT_ID.match(name)) and name not in (".", "..") and ".." not in name


@dataclass
class Submission:
    """One student's notebooks: assignment name -> raw bytes (None: present but unreadable)."""

    student_id: str
    origin: str
    notebooks: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)  # assignment -> why it could not be read
    files: dict = field(default_factory=dict)  # assignment -> the file graded, as the student named it
    notes: dict = field(default_factory=dict)  # assignment -> [what the student should know about that file]
    unmatched: list = field(default_factory=list)  # [a file that is none of the course's notebooks, and why]


@dataclass
class Discovery:
    submissions: dict = field(default_factory=dict)  # student_id -> Submission
    warnings: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # (name, reason)


@dataclass
class _Candidate:
    """A file that may be a student's notebook for ``assignment``."""

    label: str  # as the student named it: a path in their folder or a member of their zip
    assignment: str | None  # by its file name; None: to be matched by its cells
    data: bytes | None
    problem: str = ""
    saved: float = 0.0  # modification time (a zip member's date) as seconds; the newest copy wins


# ---------------------------------------------------------------------------
# Matching a notebook to an assignment by its cells
# ---------------------------------------------------------------------------


def _cell_ids(notebook: dict) -> set[str]:
    """The grade ids and cell ids of a notebook's cells."""
    ids = set()
    for cell in notebook.get("cells", []) if isinstance(notebook.get("cells"), list) else []:
        if not isinstance(cell, dict):
            continue
        for value in (cell.get("id"), nbgrader_meta(cell).get("grade_id")):
            if isinstance(value, str) and len(value) <= 200:
                ids.add(value)
    return ids


def signatures_of(releases: dict[str, dict]) -> dict[str, frozenset]:
    """Each assignment's grade ids (answer, test and written cells) that no other assignment has.

    Plain cells are left out: their ids (``cell-01``, ``release-header``) repeat in every notebook.
    """
    ids = {}
    for name, notebook in releases.items():
        ids[name] = set()
        for cell in notebook.get("cells", []):
            gid = nbgrader_meta(cell).get("grade_id")
            if isinstance(gid, str):
                ids[name].add(gid)
    shared = {i for name in ids for i in ids[name] if any(i in ids[other] for other in ids if other != name)}
    return {name: frozenset(found - shared) for name, found in ids.items()}


def matching_assignment(data: bytes, signatures: dict[str, frozenset]) -> tuple[str | None, str]:
    """``(assignment, "")`` for a notebook holding more than half of exactly one assignment's ids;
    ``(None, why not)`` otherwise."""
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"it is not a readable notebook ({type(exc).__name__})"
    if not isinstance(notebook, dict):
        return None, "it is not a notebook"
    ids = _cell_ids(notebook)
    shares = {name: len(ids & wanted) / len(wanted) for name, wanted in signatures.items() if wanted}
    matches = sorted(name for name, share in shares.items() if share > MATCH_SHARE)
    if len(matches) == 1:
        return matches[0], ""
    if matches:
        return None, f"it holds the cells of several notebooks ({', '.join(matches)})"
    return None, "its cells are not those of any notebook of the course"


def _choose(submission: Submission, candidates: list[_Candidate], signatures: dict, assignments: set[str],
            discovery: Discovery, prefix: str) -> None:
    """Give each assignment one notebook (the newest readable one) and note every other file."""
    by_assignment: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        name, why = candidate.assignment, ""
        if name is None and candidate.data is not None:
            name, why = matching_assignment(candidate.data, signatures)
        elif name is None:
            why = candidate.problem
        if name is None or name not in assignments:
            submission.unmatched.append(f"we found {candidate.label}, which is none of the course's notebooks: {why}")
            discovery.warnings.append(f"{prefix}{candidate.label}: none of the course's notebooks ({why}); not graded")
            continue
        candidate.assignment = name
        by_assignment.setdefault(name, []).append(candidate)
    for name, found in sorted(by_assignment.items()):
        # readable first, then the newest; on a tie the one named after the assignment
        found.sort(key=lambda c: (c.data is not None, c.saved, PurePosixPath(c.label).name == f"{name}.ipynb",
                                  c.label), reverse=True)
        chosen = found[0]
        submission.notebooks[name] = chosen.data
        submission.files[name] = chosen.label
        if chosen.data is None:
            submission.problems[name] = chosen.problem
        note = ""
        if len(found) > 1:
            others = ", ".join(c.label for c in found[1:])
            note = (f"{len(found)} notebooks for {name}: graded {chosen.label}, the most recently saved; "
                    f"not graded: {others} (hand in one notebook, named {name}.ipynb)")
        elif PurePosixPath(chosen.label).name != f"{name}.ipynb":
            note = f"graded {chosen.label}, whose cells are those of {name}.ipynb (hand it in under that name)"
        if note:
            submission.notes[name] = [note]
            discovery.warnings.append(f"{prefix}{name}: {note}")


# ---------------------------------------------------------------------------
# Reading files safely
# ---------------------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return kind
    return "not a regular file"


def _read_regular(path: Path, limit: int = MAX_MEMBER_BYTES) -> tuple[bytes, float]:
    """A regular file's bytes and modification time, never following a symbolic link at its last
    component and never blocking (a FIFO swapped in after the caller's check opens at once and is refused)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise OSError(f"larger than {limit} bytes")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1), info.st_mtime
    finally:
        os.close(fd)


def _special(path: Path) -> str:
    """What ``path`` is when it must not be opened (a link, a FIFO, a device...); "" for a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"could not be examined ({exc.strerror})"
    return "" if stat.S_ISREG(mode) else _kind(mode)


def _add(discovery: Discovery, student: str, origin: str) -> Submission | None:
    if student in discovery.submissions:
        discovery.rejected.append((origin, f"a second submission for student {student!r} "
                                           f"(already have {discovery.submissions[student].origin}); ignored"))
        return None
    submission = Submission(student, origin)
    discovery.submissions[student] = submission
    return submission


def _scan_student_dir(discovery: Discovery, folder: Path, student: str, assignments: set[str], label: str,
                      signatures: dict) -> None:
    submission = _add(discovery, student, label)
    if submission is None:
        return
    candidates = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                rel = (here / name).relative_to(folder).as_posix()
                discovery.rejected.append((f"{label}/{rel}", "symbolic link; not followed"))
                submission.unmatched.append(f"we skipped {rel}: a symbolic link, which the grader never follows")
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink() and not d.startswith(".")
                             and d != "__MACOSX")
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(folder).as_posix()
            if name.startswith(".") or name == "timestamp.txt":
                continue
            special = _special(path)
            if special:
                discovery.rejected.append((f"{label}/{rel}", f"{special}; not opened"))
                submission.unmatched.append(f"we skipped {rel}: {special}, not a file the grader reads")
                continue
            if not name.endswith(".ipynb"):
                discovery.warnings.append(f"{label}/{rel}: not a notebook of this course; ignored")
                submission.unmatched.append(f"we found {rel}, which is none of the course's notebooks")
                continue
            stem = name[:-6]
            try:
                data, saved = _read_regular(path)
                candidates.append(_Candidate(rel, stem if stem in assignments else None, data, saved=saved))
            except OSError as exc:
                candidates.append(_Candidate(rel, stem if stem in assignments else None, None,
                                             f"could not read {rel}: {exc}"))
    _choose(submission, candidates, signatures, assignments, discovery, f"{label}/")


def _member_time(info: zipfile.ZipInfo) -> float:
    try:
        return datetime.datetime(*info.date_time, tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return 0.0


def _scan_zip(discovery: Discovery, path: Path, student: str, assignments: set[str], signatures: dict) -> None:
    submission = _add(discovery, student, path.name)
    if submission is None:
        return
    candidates = []
    try:
        data_fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(data_fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise OSError(f"{_kind(mode)}, not a regular file")
            os.set_blocking(handle.fileno(), True)
            with zipfile.ZipFile(handle) as archive:
                members = archive.infolist()
                if len(members) > MAX_ZIP_MEMBERS:
                    discovery.rejected.append((path.name, f"more than {MAX_ZIP_MEMBERS} files in the archive"))
                    return
                for info in members:
                    candidate = _zip_candidate(discovery, submission, archive, info, path.name, assignments)
                    if candidate is not None:
                        candidates.append(candidate)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        discovery.rejected.append((path.name, f"not a readable zip archive ({exc}); the student's notebooks count as missing"))
        submission.unmatched.append(f"we could not open {path.name} as a zip archive")
        return
    _choose(submission, candidates, signatures, assignments, discovery, f"{path.name}:")


def _zip_candidate(discovery: Discovery, submission: Submission, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   zip_name: str, assignments: set[str]) -> _Candidate | None:
    name = info.filename
    problem = _unsafe_member(info)
    if problem:
        discovery.rejected.append((f"{zip_name}:{name!r}", problem))
        submission.unmatched.append(f"we skipped a file in {zip_name}: {problem}")
        return None
    if info.is_dir():
        return None
    base = PurePosixPath(name).name
    if base.startswith(".") or "__MACOSX" in name or ".ipynb_checkpoints" in name:
        return None
    if not base.endswith(".ipynb"):
        discovery.warnings.append(f"{zip_name}:{name}: not a notebook of this course; ignored")
        submission.unmatched.append(f"we found {name}, which is none of the course's notebooks")
        return None
    stem = base[:-6] if base[:-6] in assignments else None
    saved = _member_time(info)
    if info.file_size > MAX_MEMBER_BYTES:
        return _Candidate(name, stem, None, f"{name} is larger than {MAX_MEMBER_BYTES} bytes", saved)
    try:
        with archive.open(info) as member:
            data = member.read(MAX_MEMBER_BYTES + 1)
        if len(data) > MAX_MEMBER_BYTES:
            raise ValueError("larger than declared")
    except Exception as exc:  # noqa: BLE001 - a corrupt member, bad CRC, encryption...
        return _Candidate(name, stem, None, f"could not read {name} from the archive: {exc}", saved)
    return _Candidate(name, stem, data, saved=saved)


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


def discover(root: str | Path, assignments: list[str], signatures: dict[str, frozenset] | None = None) -> Discovery:
    """Every student's notebooks under ``root``.

    ``signatures`` (see :func:`signatures_of`) match notebooks handed in under another
    name; without them only a notebook named after its assignment counts.
    """
    root = Path(root)
    wanted = set(assignments)
    signatures = {name: ids for name, ids in (signatures or {}).items() if name in wanted}
    discovery = Discovery()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    entries = sorted(os.listdir(root))
    for name in entries:
        path = root / name
        if name.startswith("."):
            continue
        special = _special(path)
        if special == "a symbolic link":
            discovery.rejected.append((name, "symbolic link; not followed"))
            continue
        if name == "submitted" and path.is_dir():
            for student in sorted(os.listdir(path)):
                spath = path / student
                if _special(spath) != "a folder":
                    discovery.rejected.append((f"submitted/{student}", "not a folder (or a symbolic link); ignored"))
                    continue
                if not valid_student_id(student):
                    discovery.rejected.append((f"submitted/{student!r}", "not a valid student id (letters, digits, . _ @ + -)"))
                    continue
                _scan_student_dir(discovery, spath, student, wanted, f"submitted/{student}", signatures)
            continue
        if special == "a folder":
            if not valid_student_id(name):
                discovery.rejected.append((repr(name), "not a valid student id (letters, digits, . _ @ + -)"))
                continue
            _scan_student_dir(discovery, path, name, wanted, name, signatures)
        elif name.endswith(".zip") and not special:
            student = name[:-4]
            if not valid_student_id(student):
                discovery.rejected.append((repr(name), "not a valid student id (letters, digits, . _ @ + -)"))
                continue
            _scan_zip(discovery, path, student, wanted, signatures)
        elif special:
            discovery.rejected.append((name, f"{special}; not opened"))
        else:
            discovery.warnings.append(f"{name}: neither a student folder nor a .zip; ignored")
    return discovery
