"""Write the repository a class is given: the release, the course package, the data and the lab.

``python -m autograder student-repo DEST`` (``make student-repo DEST=...``) writes a git
repository with one commit, ready to push as a GitHub Classroom template or to zip for an LMS.
What it holds is an allow-list (:data:`SHIPPED`) of files git tracks here, plus the files written
for students (README, Makefile, pyproject.toml, environment.yml, .gitignore, the data README);
nothing an instructor keeps (``solutions/``, hidden tests, ``tests/``, the grader, the calculator
of ``data/``) is ever copied. Before writing, it checks that the release manifest is current and
that no notebook holds a solution or hidden-test marker.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

from lmtrain.manifest import load_manifest
from lmtrain.notebook import marker_of, read_cells

from .course import REPO_ROOT
from .manifest import MANIFEST_PATH, build_manifest, manifest_text

__all__ = ["SHIPPED", "StudentRepoError", "shipped_files", "write_student_repo"]

TEMPLATE = Path(__file__).resolve().parent / "student_template"
#: What a student gets of this repository, as paths (a folder: everything git tracks under it).
SHIPPED = (
    ".gitattributes",  # keeps the corpus's line endings, which its SHA256SUMS checks
    "notebooks",
    "notebooks-zh",
    "src/lmtrain",
    "data/shakespeare",
    "data/build_shakespeare.py",  # how the corpus was made, from its pinned source (data/README.md)
    "lab/common",
    "lab/student",
    "lab/settings",
)
#: Who commits the student repository when git has no user configured.
NEUTRAL_AUTHOR = ("Course staff", "staff@example.invalid")
COMMIT_MESSAGE = "The workbook as released to the class"


class StudentRepoError(RuntimeError):
    """The student repository cannot be written; the message says why and what to do."""


def _git(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, **kwargs)


def shipped_files(root: Path = REPO_ROOT) -> list[str]:
    """The files of :data:`SHIPPED` that git tracks in ``root`` and that exist, sorted."""
    try:
        listed = _git(["ls-files", "-z", "--", *SHIPPED], root).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise StudentRepoError(f"{root} must be the workbook's git repository (git ls-files failed: {exc}).") from None
    return sorted(p for p in listed if p and (root / p).is_file() and "__pycache__" not in p)


def _check_release(root: Path, files: list[str]) -> None:
    if (root / MANIFEST_PATH).read_text(encoding="utf-8") != manifest_text(build_manifest(root)):
        raise StudentRepoError(f"{MANIFEST_PATH} does not describe notebooks/: run `make release` and commit, then try again.")
    for path in files:
        if path.endswith(".ipynb"):
            for cell in read_cells(root / path):
                for line in cell.source.splitlines():
                    marker = marker_of(line)
                    if marker and marker[0] in ("begin_solution", "begin_hidden"):
                        raise StudentRepoError(f"{path} holds a {line.strip()!r} line: it is not a student release. "
                                               "Run `make release` and try again.")


def _readme(root: Path) -> str:
    rows = []
    for notebook in load_manifest(root / MANIFEST_PATH):
        tasks = ", ".join(f"{task.title} ({task.points:g})" for task in notebook.tasks)
        rows.append(f"| `{notebook.name}` | {tasks} | {notebook.points:g} |")
    total = sum(notebook.points for notebook in load_manifest(root / MANIFEST_PATH))
    rows.append(f"| **course total** | | **{total:g}** |")
    return (TEMPLATE / "README.md").read_text(encoding="utf-8").replace("@NOTEBOOKS_TABLE@", "\n".join(rows))


def _project(root: Path) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pyproject(root: Path) -> str:
    """The course package alone, with the instructor's exact pins (a class needs everyone on the same numbers)."""
    project = _project(root)
    dependencies = "".join(f'    "{dep}",\n' for dep in project["dependencies"])
    return f'''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "{project["name"]}"
version = "{project["version"]}"
description = "Workbook for training Transformer language models (CS336 assignment 1, training chapter)."
readme = "README.md"
requires-python = "{project["requires-python"]}"
license = "{project["license"]}"
# Exact pins: every student, the course's machines and the grader run the same numbers.
dependencies = [
{dependencies}]

[tool.setuptools]
package-dir = {{"lmtrain" = "src/lmtrain"}}
packages = ["lmtrain"]

[tool.setuptools.package-data]
lmtrain = ["release_manifest.json"]  # what make check and make handin compare your notebooks with
'''


def _environment(root: Path) -> str:
    python = re.search(r"^\s*-\s*(python=\S+)\s*$", (root / "environment.yml").read_text(encoding="utf-8"), re.M)
    pins = "".join(f"      - {dep}\n" for dep in _project(root)["dependencies"])
    return ("# Conda equivalent of `make lab`; the versions are pyproject.toml's.\n"
            "name: lmtrain\nchannels:\n  - conda-forge\ndependencies:\n"
            f"  - {python.group(1) if python else 'python=3.11'}\n  - pip\n  - pip:\n{pins}      - -e .\n")


def _data_readme(root: Path) -> str:
    """``data/README.md`` without what a student's copy lacks: the calculator and the tests."""
    text = (root / "data" / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"^## `compute\.html`.*?(?=^## |\Z)", "", text, flags=re.S | re.M)
    paragraphs = [p for p in text.split("\n\n") if "tests/" not in p]
    text = "\n\n".join(paragraphs).rstrip("\n") + "\n"
    leftover = [word for word in ("compute.html", "compute_gpt2_xl", "tests/") if word in text]
    if leftover:
        raise StudentRepoError(f"data/README.md mentions {', '.join(leftover)} outside the parts the student copy "
                               "drops; update _data_readme in autograder/student_repo.py.")
    return text


def _commit(dest: Path) -> None:
    _git(["init", "-q", "-b", "main"], dest)
    identity = []
    for key, fallback in zip(("user.name", "user.email"), NEUTRAL_AUTHOR):
        if subprocess.run(["git", "config", "--get", key], cwd=dest, capture_output=True).returncode != 0:
            identity += ["-c", f"{key}={fallback}"]
    _git(["add", "-A"], dest)
    _git([*identity, "commit", "-q", "-m", COMMIT_MESSAGE], dest)


def write_student_repo(dest: str | Path, root: Path = REPO_ROOT) -> list[str]:
    """Write the student repository into ``dest`` (absent or empty); returns its files.

    It is built in a sibling folder and moved into place, so a failure leaves ``dest`` as it was.
    """
    dest = Path(dest).absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise StudentRepoError(f"{dest} is not an empty folder: nothing was written. Name a new folder "
                               "(or an empty one) as DEST.")
    files = shipped_files(root)
    _check_release(root, files)
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for path in files:
            (scratch / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / path, scratch / path)
        written = {
            "README.md": _readme(root),
            "Makefile": (TEMPLATE / "Makefile").read_text(encoding="utf-8"),
            ".gitignore": (TEMPLATE / "gitignore").read_text(encoding="utf-8"),
            "pyproject.toml": _pyproject(root),
            "environment.yml": _environment(root),
            "data/README.md": _data_readme(root),
        }
        for path, text in written.items():
            (scratch / path).write_text(text, encoding="utf-8")
        try:
            _commit(scratch)
        except subprocess.CalledProcessError as exc:
            raise StudentRepoError(f"git could not commit the student repository: {exc.stderr.strip()}") from None
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.replace(scratch, dest)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return sorted(files + list(written))
