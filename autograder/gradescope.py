"""A Gradescope autograder: the zip an instructor uploads, and what it runs on each submission.

Gradescope runs an uploaded autograder in a container of its own: ``setup.sh`` once when the image is
built, then ``run_autograder`` for every submission, as root, with the student's files in
``/autograder/submission`` and the verdict expected in ``/autograder/results/results.json``.
:func:`build_zip` packs this course (the grader, the course package, the source and release
notebooks, the data) with those two scripts; ``run_autograder`` calls :func:`run`, which grades the
submission with our own grader (isolation on: the container is root) as a class of one and copies its
Gradescope results into place. Every path is under one root (``/autograder``, or ``GRADESCOPE_ROOT``
for a local replica in the tests).
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .course import REPO_ROOT

__all__ = ["COURSE_FILES", "build_zip", "run", "STUDENT"]

#: What the container needs of this repository (tracked files only: no venv, runs or answers).
COURSE_FILES = ("pyproject.toml", "README.md", "autograder", "src", "solutions", "notebooks", "notebooks-zh", "data")
STUDENT = "submission"  # the one student a Gradescope run grades; its id in the grader's files

SETUP_SH = """#!/usr/bin/env bash
# Run once by Gradescope when it builds the autograder's image: the pinned environment of the course.
set -euo pipefail
cd /autograder/source
if ! command -v python3.11 >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv >/dev/null
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
# The exact pins of pyproject.toml (torch==2.13.0, ...). Add your CPU wheel index with
# PIP_EXTRA_INDEX_URL here if the default build of torch is too large for your image.
/autograder/venv/bin/python -m pip install --quiet -e .
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Run by Gradescope for every submission: grade /autograder/submission into /autograder/results.
# GRADESCOPE_ROOT, AUTOGRADER_PYTHON and AUTOGRADER_MEMORY_GB exist for local replicas and tuning.
root="${GRADESCOPE_ROOT:-/autograder}"
cd "$root/source" || exit 1
exec "${AUTOGRADER_PYTHON:-$root/venv/bin/python}" -m autograder gradescope-run "$root" \\
    --memory "${AUTOGRADER_MEMORY_GB:-1}"
"""


def _tracked(root: Path) -> list[Path]:
    """The repository's tracked files under COURSE_FILES (git's list, so nothing local slips in)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--", *COURSE_FILES], cwd=root, capture_output=True, check=True)
    return [root / name for name in listed.stdout.decode().split("\0") if name]


def build_zip(out: Path, root: Path = REPO_ROOT) -> Path:
    """Write the autograder zip to ``out`` (setup.sh and run_autograder at its top, the course in source/)."""
    out = Path(out)
    if out.suffix != ".zip":
        raise ValueError(f"{out}: the autograder must be a .zip file (Gradescope accepts nothing else)")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            archive.writestr(info, text)
        for path in _tracked(root):
            if path.is_file():
                archive.write(path, "source/" + path.relative_to(root).as_posix())
    partial.replace(out)
    return out


def _stage(submission: Path, class_folder: Path) -> None:
    """The submission as a class of one: a handed-in zip stays a zip (the grader opens it safely),
    anything else is copied as the student's folder."""
    entries = [p for p in submission.iterdir() if not p.name.startswith(".")] if submission.is_dir() else []
    zips = [p for p in entries if p.suffix == ".zip" and p.is_file()]
    class_folder.mkdir(parents=True)
    if len(zips) == 1 and not any(p.suffix == ".ipynb" for p in entries):
        shutil.copyfile(zips[0], class_folder / f"{STUDENT}.zip")
    else:
        shutil.copytree(submission, class_folder / STUDENT, symlinks=True)


def _write_results(results: Path, payload: dict) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")


def run(root: Path, memory_gb: float = 1.0) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json``; 0 unless grading failed."""
    from .classrun import OutputOptions, RunOptions, grade_class
    from .pipeline import GradeOptions
    from .sandbox import Limits

    results = root / "results"
    with tempfile.TemporaryDirectory(prefix="gradescope-") as scratch:
        class_folder, out = Path(scratch) / "class", Path(scratch) / "out"
        try:
            _stage(root / "submission", class_folder)
            # one student per run: no other notebook to share the template's once-per-class work with
            grade_class(class_folder, out, options=GradeOptions(limits=Limits(memory_gb=memory_gb), class_cache=False),
                        run=RunOptions(progress=False), output=OutputOptions(formats=("csv", "gradescope"), db_url="none"))
            produced = out / "gradescope" / STUDENT / "results.json"
            _write_results(results, json.loads(produced.read_text(encoding="utf-8")))
        except Exception as exc:  # noqa: BLE001 - the student must see a result, the staff the cause
            _write_results(results, {
                "score": 0,
                "output": "The autograder could not grade this submission; your course staff has been told. "
                          f"({type(exc).__name__})",
                "tests": [],
            })
            print(f"grading failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return 0
